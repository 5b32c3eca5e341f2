"""Chat Completions request -> Responses API request (pure: no I/O, no LiteLLM).

Used by the OpenAI Codex provider (the ChatGPT backend, ``POST {api_base}/responses``) and
by the GitHub Copilot provider for models that only speak ``/responses``. What differs
between the two backends lives in a :class:`ResponsesProfile`; the translation itself is
one set of module-level functions and tables.

The rules, with the upstream facts they rest on (``protocols/codex-chatgpt-backend.md``):

- ``system`` / ``developer`` messages become ``instructions`` (Codex requires them non-empty,
  §2.4) or, for a profile with ``system_as_instructions=False`` (Copilot: "system messages
  stay system", SPEC §4), ``message`` input items with their own role.
- Input items carry an ``id`` only for a profile with ``item_bookkeeping`` (Codex today:
  Codex CLI 0.171.0 sends them even with ``store: false``, reference-clients-2026-11.md
  §1.3, which supersedes the older "never send ids" note). The ids the server gave (a
  function call's item id, a reasoning item's id, kept in the assistant message's
  ``provider_specific_fields`` by ``responses_stream.py``) are sent back as they came; the items the
  client writes (its messages, ``additional_tools``, tool outputs) get a client-made one
  (``msg_``, ``at_``, ``fco_``, the reference's prefixes) that is *deterministic*: a hash of
  the conversation key, the item and how many identical items came before it. Our history
  arrives as Chat messages on every call, so the same item gets the same id on every turn
  and the prompt prefix the backend caches stays byte-identical. The model's items
  (reasoning, function calls, assistant text) never get a made id (see ``_ID_PREFIXES``).
- Every ``function_call_output`` must follow a ``function_call`` with the same ``call_id``,
  and every ``function_call`` needs its output; the backend rejects either orphan and
  Codex's own mock enforces both (§2.3). We check it here so the user gets a message naming
  the offending message instead of an opaque 400.
- Assistant ``reasoning_content`` in the history is **not** sent back: a ``reasoning`` input
  item is only useful with the ``encrypted_content`` the backend issued for it (Copilot
  answers "encrypted content could not be verified" otherwise, github-copilot.md §3.7).
  That encrypted content, when the answer carried it, rides in the assistant message's
  ``provider_specific_fields["reasoning_encrypted_content"]`` (see ``responses_stream.py``) and is
  replayed as ``reasoning`` items before the message's own items.
- Parameters the backend rejects (Codex: ``temperature``, ``max_output_tokens``, ... §2.4)
  are left out and *reported* in :attr:`BuiltRequest.dropped`, so the caller can warn once;
  no request fails because a client framework sent a harmless default (SPEC §4).
  ``stream`` / ``stream_options`` are the caller's business (it decides how to deliver the
  answer; usage is always reported): never forwarded and never reported. Params that are
  not Chat Completions params at all are ignored unless they arrive in ``extra_body``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litellm_codex.errors import ConfigurationError

__all__ = [
    "CODEX_PROFILE",
    "COPILOT_RESPONSES_PROFILE",
    "BuiltRequest",
    "ResponsesProfile",
    "build_responses_request",
    "conversation_key",
    "turn_id",
]


@dataclass(frozen=True)
class ResponsesProfile:
    """What one Responses backend accepts. Derive per-model variants with
    :func:`dataclasses.replace` (e.g. ``supports_verbosity`` per model)."""

    #: Short name used in error messages ("the Codex backend does not support ...").
    name: str
    #: Value of ``store`` to send, or ``None`` to leave the field out.
    store: bool | None
    #: Always send ``stream: true`` (the caller aggregates for non-stream calls).
    force_stream: bool
    #: Chat params this backend rejects: left out of the body and reported in ``dropped``.
    dropped_params: frozenset[str]
    #: ``instructions`` when the conversation has none; ``""`` means "leave the field out".
    default_instructions: str
    #: Whether ``verbosity`` may be sent as ``text.verbosity`` (model-dependent, §2.4).
    supports_verbosity: bool
    #: Ask for ``reasoning.encrypted_content`` whenever reasoning is on (stateless turns).
    include_encrypted_reasoning: bool
    #: ``True``: system/developer messages become ``instructions``; ``False``: they stay
    #: ``message`` input items with role ``system`` / ``developer``.
    system_as_instructions: bool = True
    #: Send ``prompt_cache_key`` (given, or derived with :func:`conversation_key`).
    send_prompt_cache_key: bool = True
    #: Map ``max_tokens`` / ``max_completion_tokens`` / ``max_output_tokens`` to
    #: ``max_output_tokens`` (only where the backend accepts it).
    supports_max_output_tokens: bool = False
    #: ``service_tier`` values passed through (after :data:`_SERVICE_TIER_ALIASES`);
    #: any other value is dropped and reported.
    service_tiers: frozenset[str] = field(default_factory=frozenset)
    #: ``True``: no top-level ``instructions``; system/developer messages become
    #: ``developer`` input messages where they stand, and a conversation without any
    #: starts with one carrying :attr:`default_instructions` (Codex today, §1.3).
    developer_messages: bool = False
    #: The "Responses Lite" shape (Codex models with ``use_responses_lite``, §1.3): no
    #: top-level ``tools``; the caller's function tools go in an ``additional_tools``
    #: developer item as a ``namespace`` group named :attr:`lite_namespace`;
    #: ``parallel_tool_calls: false``; ``reasoning.context: "all_turns"``; no image detail.
    lite: bool = False
    lite_namespace: str = "functions"
    #: ``detail`` for images the caller sent without one; ``None`` leaves ``detail`` out.
    default_image_detail: str | None = "auto"
    #: ``text.verbosity`` sent when the caller gives none (the catalog's default).
    default_verbosity: str | None = None
    #: Reasoning efforts the model takes (the catalog's); ``None``: not checked.
    reasoning_levels: tuple[str, ...] | None = None
    #: Effort sent when the caller gives none (the catalog's default); ``None``: no
    #: ``reasoning`` unless the caller asks.
    default_reasoning_effort: str | None = None
    #: ``False``: ``parallel_tool_calls`` is always sent as ``false`` (Lite, or a model
    #: without parallel calls); ``True``: the caller's value, ``true`` by default.
    #: ``None``: only the caller's value.
    parallel_tool_calls: bool | None = None
    #: Input items as Codex CLI 0.171.0 writes them (reference-clients-2026-11.md §1.3):
    #: ids on items (the server's where the history kept them, deterministic client-made
    #: ones on the client's own items, see the module docstring), ``status: "completed"``
    #: on function calls, and the reasoning summaries replayed with their encrypted content.
    item_bookkeeping: bool = False
    #: Send ``client_metadata`` (§1.3): ``session_id`` / ``thread_id`` (the conversation
    #: key, as in the ``session-id`` / ``thread-id`` headers) and ``turn_id`` (one id per
    #: user turn, the same on its tool follow-ups).
    client_metadata: bool = False


@dataclass(frozen=True)
class BuiltRequest:
    """The Responses request body, and the Chat params that were left out of it."""

    body: dict[str, Any]
    #: Names of params the caller passed but the backend does not take (sorted, unique).
    dropped: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------
# Tables

#: Chat params the ChatGPT Codex backend rejects or has no field for (§2.4: "Unsupported
#: parameter: max_output_tokens", temperature/top_p/penalties rejected; LiteLLM's allow-list
#: drops user, metadata, stream_options...). ``stop`` has no Responses equivalent at all.
#: ``store`` is ours to set (it must be ``false``), so a caller's value is dropped too.
_DROP_FOR_CODEX: frozenset[str] = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "max_output_tokens",
        "frequency_penalty",
        "presence_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "seed",
        "user",
        "metadata",
        "stop",
        "store",
        "prediction",
        "modalities",
        "audio",
        "web_search_options",
        "safety_identifier",
        "prompt_cache_retention",
    }
)

#: Copilot's ``/responses`` serves the codex models, which are reasoning models: the public
#: OpenAI API rejects ``temperature`` / ``top_p`` / penalties for those, and nothing in the
#: notes shows Copilot accepting more than model, input, stream, tools, tool_choice,
#: reasoning, include (ZED's request struct, github-copilot.md §3.7). Conservative: drop the
#: rest. ``max_*tokens`` is mapped to ``max_output_tokens`` instead (inference: Copilot
#: proxies the OpenAI Responses API; a caller's explicit limit is worth keeping).
_DROP_FOR_COPILOT: frozenset[str] = (_DROP_FOR_CODEX | {"prompt_cache_key"}) - {
    "max_tokens",
    "max_completion_tokens",
    "max_output_tokens",
}

#: Chat names for the output limit, in order of preference.
_MAX_TOKEN_PARAMS: tuple[str, ...] = ("max_output_tokens", "max_completion_tokens", "max_tokens")

#: LiteLLM's ChatGPT provider maps the Codex CLI's "fast" tier to ``priority`` (§6.1).
_SERVICE_TIER_ALIASES: dict[str, str] = {"fast": "priority"}

_TOOL_CHOICE_STRINGS: frozenset[str] = frozenset({"auto", "none", "required"})
_IMAGE_DETAILS: frozenset[str] = frozenset({"auto", "low", "high"})
_REASONING_SUMMARIES: frozenset[str] = frozenset({"auto", "concise", "detailed"})

#: Joins system texts into ``instructions`` ("joined with blank lines").
_INSTRUCTION_SEPARATOR = "\n\n"

CODEX_PROFILE = ResponsesProfile(
    name="Codex",
    # §2.4: `store` missing or true -> 400 "Store must be set to false".
    store=False,
    # §2.4: 400 "Stream must be set to true".
    force_stream=True,
    dropped_params=_DROP_FOR_CODEX,
    # The first developer message when the caller has none (reference-clients-2026-11.md
    # §1.3: no top-level `instructions`; Codex sends its base instructions as the first
    # developer message, and the backend once refused requests without instructions).
    default_instructions="You are a helpful assistant.",
    # Per model from the catalog's `support_verbosity` (the provider's profile_for); a
    # model the catalog does not list gets the caller's value passed through.
    supports_verbosity=True,
    # SPEC §4: include ["reasoning.encrypted_content"] when reasoning is on (as Codex does).
    include_encrypted_reasoning=True,
    system_as_instructions=True,
    send_prompt_cache_key=True,
    supports_max_output_tokens=False,
    # Newer Codex sends `service_tier: "priority"` (§2.2); other values are unverified.
    service_tiers=frozenset({"priority"}),
    # reference-clients-2026-11.md §1.3: system/developer messages as developer messages.
    developer_messages=True,
    # §1.3: item ids even with store:false, function_call status, client_metadata.
    item_bookkeeping=True,
    client_metadata=True,
)

COPILOT_RESPONSES_PROFILE = ResponsesProfile(
    name="Copilot",
    # ZED's Copilot /responses request has no `store` field; leave the backend default.
    store=None,
    # One translator for both providers: non-stream calls aggregate the stream.
    force_stream=True,
    dropped_params=_DROP_FOR_COPILOT,
    # Instructions are optional on the OpenAI Responses API; send none by default.
    default_instructions="",
    # Unknown for Copilot: conservative.
    supports_verbosity=False,
    include_encrypted_reasoning=True,
    # SPEC §4 Copilot: "System messages stay system".
    system_as_instructions=False,
    # Unknown whether Copilot accepts it: conservative.
    send_prompt_cache_key=False,
    supports_max_output_tokens=True,
    service_tiers=frozenset(),
)


# --------------------------------------------------------------------------------------
# Entry points


def build_responses_request(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    *,
    profile: ResponsesProfile,
    cache_key: str | None = None,
) -> BuiltRequest:
    """Translate a Chat Completions call into a Responses request body.

    ``params`` are the OpenAI chat params (``tools``, ``reasoning_effort``, ...);
    ``extra_body`` among them is merged into the body last. ``cache_key`` is the caller's
    conversation key, used for ``prompt_cache_key`` when the params do not set one.
    Raises :class:`ConfigurationError` for requests the backend cannot serve.
    """
    dropped: set[str] = set()
    instructions, input_items, first_user = _translate_messages(messages, profile)

    body: dict[str, Any] = {"model": model}
    instructions_text = ""
    if profile.developer_messages:
        input_items = _as_developer_messages(input_items, profile)
    elif not profile.system_as_instructions:
        instructions_text = profile.default_instructions
    else:
        instructions_text = instructions or profile.default_instructions
    if not profile.developer_messages and instructions_text:
        body["instructions"] = instructions_text
    _apply_image_detail(input_items, profile)
    body["input"] = input_items
    if profile.force_stream:
        body["stream"] = True
    if profile.store is not None:
        body["store"] = profile.store

    _apply_tools(body, params, dropped)
    if profile.parallel_tool_calls is not None and "tools" in body:
        if not profile.parallel_tool_calls:
            if params.get("parallel_tool_calls"):
                dropped.add("parallel_tool_calls")
            body["parallel_tool_calls"] = False
        else:
            body.setdefault("parallel_tool_calls", True)
    if profile.lite:
        _lite_tools(body, profile)
    _apply_reasoning(body, params, profile)
    _apply_text(body, params, profile, dropped)
    _apply_limits(body, params, profile, dropped)

    key = params.get("prompt_cache_key")
    if not isinstance(key, str) or not key:
        key = cache_key or conversation_key(model, instructions, first_user)
    if profile.send_prompt_cache_key:
        body["prompt_cache_key"] = key
    if profile.item_bookkeeping:
        _assign_item_ids(body["input"], key)
    else:
        for item in body["input"]:
            item.pop("id", None)
    if profile.client_metadata:
        body["client_metadata"] = {
            "session_id": key,
            "thread_id": key,
            "turn_id": turn_id(key, body["input"]),
        }

    for name, value in params.items():
        if value is not None and name in profile.dropped_params:
            dropped.add(name)
    if params.get("n") not in (None, 1):
        # One answer per call: n > 1 cannot be honoured by either backend (n == 1 is
        # exactly what we do, so it is neither forwarded nor reported).
        raise ConfigurationError(
            f"n={params['n']!r} is not supported by the {profile.name} backend "
            "(it returns one choice per request)"
        )

    extra = params.get("extra_body")
    if extra is not None:
        if not isinstance(extra, Mapping):
            raise ConfigurationError("extra_body must be a JSON object")
        _merge(body, extra)
    return BuiltRequest(body=body, dropped=tuple(sorted(dropped)))


def conversation_key(model: str, instructions: str, first_user: Any) -> str:
    """A stable ``prompt_cache_key`` for one conversation.

    Every turn of a conversation repeats the same model, system prompt and first user
    message, so hashing those gives the same key on every turn (the backend's prompt cache
    is keyed by it; Codex uses its conversation id, §2.2) and different keys for different
    conversations, without any state on our side.
    """
    canonical = json.dumps(
        [model, instructions, first_user],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return "lc-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def turn_id(key: str, items: Sequence[Mapping[str, Any]]) -> str:
    """The id of the conversation's current turn: a UUID (the reference's form) derived from
    the conversation key and how many user messages the history holds, so a turn's tool
    follow-ups share it and the next user message starts a new one."""
    users = sum(1 for i in items if i.get("type") == "message" and i.get("role") == "user")
    return str(uuid.uuid5(_TURN_NAMESPACE, f"{key}/{users}"))


#: Namespace of :func:`turn_id` (any fixed UUID; this one is ``uuid5(NAMESPACE_URL,
#: "https://github.com/openai/codex#turn")``, fixed here so the ids never change).
_TURN_NAMESPACE = uuid.UUID("57639e3a-da36-5d04-87d2-9d6705aa9639")

#: Prefix of a client-made id per input item kind, as Codex CLI 0.171.0 makes them
#: (reference-clients-2026-11.md §1.3: ``msg_``, ``at_``, ``fco_``, ``ctco_``): only for the
#: kinds the client itself writes. The model's items (reasoning, function calls, assistant
#: messages) carry the server's id when the history kept it, else none: the reference
#: never sends a made id for them, and the server answered 404 "Item with id ... not found"
#: to ids of its own kinds it could not find (codex-chatgpt-backend.md §2.4), which a made
#: one would risk for histories that lost the server's ids (e.g. rebuilt by a framework).
_ID_PREFIXES: dict[str, str] = {
    "message": "msg_",
    "additional_tools": "at_",
    "function_call_output": "fco_",
    "custom_tool_call_output": "ctco_",
}


def _assign_item_ids(items: list[dict[str, Any]], key: str) -> None:
    """Give every item without a server id a deterministic client-made one (in place).

    The id hashes the conversation key, the item itself and the number of identical items
    before it: the same history gives the same ids on every call (prompt caching), two
    equal messages in one conversation get different ids, and an edit earlier in the
    history does not renumber the items after it.
    """
    seen: dict[str, int] = {}
    for item in items:
        prefix = _ID_PREFIXES.get(str(item.get("type")))
        if prefix is None or item.get("role") == "assistant" or isinstance(item.get("id"), str):
            continue
        canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        count = seen.get(digest, 0)
        seen[digest] = count + 1
        made = hashlib.sha256(f"{key}\n{digest}\n{count}".encode()).hexdigest()[:32]
        item["id"] = prefix + made


# --------------------------------------------------------------------------------------
# Messages -> instructions + input items


def _translate_messages(
    messages: Sequence[Mapping[str, Any]], profile: ResponsesProfile
) -> tuple[str, list[dict[str, Any]], Any]:
    """Return ``(instructions, input items, first user item)``."""
    system_texts: list[str] = []
    items: list[dict[str, Any]] = []
    first_user: Any = None
    known_calls: dict[str, int] = {}  # call_id -> index of the assistant message
    answered: set[str] = set()
    # Legacy `function_call` / `function` messages carry no ids: pair them by name.
    legacy_open: dict[str, list[str]] = {}

    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise ConfigurationError(f"messages[{index}] is not an object")
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            texts = _texts(content, index)
            system_texts.extend(texts)
            if not profile.system_as_instructions or profile.developer_messages:
                items.append(_message_item(str(role), _input_text_parts(texts)))
        elif role == "user":
            item = _message_item("user", _user_parts(content, index))
            if first_user is None:
                first_user = item
            items.append(item)
        elif role == "assistant":
            items.extend(_assistant_items(message, index, known_calls, legacy_open, profile))
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str) or call_id not in known_calls:
                raise ConfigurationError(
                    f"messages[{index}] is a tool result for tool_call_id={call_id!r}, but no "
                    "earlier assistant message has a tool call with that id"
                )
            answered.add(call_id)
            items.append(_call_output(call_id, content, index))
        elif role == "function":
            name = message.get("name")
            open_calls = legacy_open.get(name, []) if isinstance(name, str) else []
            if not open_calls:
                raise ConfigurationError(
                    f"messages[{index}] is a function result for {name!r}, but no earlier "
                    "assistant message called that function"
                )
            call_id = open_calls.pop(0)
            answered.add(call_id)
            items.append(_call_output(call_id, content, index))
        else:
            raise ConfigurationError(f"messages[{index}] has an unsupported role {role!r}")

    for call_id, index in known_calls.items():
        if call_id not in answered:
            # The reverse pairing: the backend rejects a function_call without its output
            # ("No tool output found for function call ...", §2.3).
            raise ConfigurationError(
                f"messages[{index}] has a tool call {call_id!r} without a tool result after "
                "it; answer every tool call with a `tool` message carrying its tool_call_id"
            )
    instructions = _INSTRUCTION_SEPARATOR.join(t for t in system_texts if t.strip())
    return instructions, items, first_user


def _message_item(role: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "message", "role": role, "content": parts}


def _input_text_parts(texts: list[str]) -> list[dict[str, Any]]:
    return [{"type": "input_text", "text": t} for t in texts]


def _texts(content: Any, index: int) -> list[str]:
    """The text pieces of a system/developer/assistant content (str or text parts)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [content]
    texts: list[str] = []
    for part in _parts(content, index):
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text"):
            texts.append(str(part.get("text") or ""))
        elif kind == "refusal":
            texts.append(str(part.get("refusal") or ""))
        else:
            raise ConfigurationError(
                f"messages[{index}] has a content part of type {kind!r}, which is only "
                "supported in user messages"
            )
    return texts


def _parts(content: Any, index: int) -> list[Mapping[str, Any]]:
    if not isinstance(content, Sequence) or isinstance(content, (str, bytes)):
        raise ConfigurationError(f"messages[{index}].content must be a string or a list of parts")
    parts: list[Mapping[str, Any]] = []
    for part in content:
        if not isinstance(part, Mapping):
            raise ConfigurationError(f"messages[{index}].content has a part that is not an object")
        parts.append(part)
    return parts


def _user_parts(content: Any, index: int) -> list[dict[str, Any]]:
    if content is None:
        return [{"type": "input_text", "text": ""}]
    if isinstance(content, str):
        return [{"type": "input_text", "text": content}]
    out: list[dict[str, Any]] = []
    for part in _parts(content, index):
        out.append(_user_part(part, index))
    return out


def _user_part(part: Mapping[str, Any], index: int) -> dict[str, Any]:
    kind = part.get("type")
    if kind in ("text", "input_text"):
        return {"type": "input_text", "text": str(part.get("text") or "")}
    if kind in ("image_url", "input_image"):
        return _image_part(part, index)
    if kind == "file":
        file = part.get("file")
        if isinstance(file, Mapping):
            out: dict[str, Any] = {"type": "input_file"}
            for key in ("file_id", "file_data", "filename"):
                if isinstance(file.get(key), str):
                    out[key] = file[key]
            if "file_id" in out or "file_data" in out:
                return out
        raise ConfigurationError(f"messages[{index}] has a file part without file_id or file_data")
    raise ConfigurationError(
        f"messages[{index}] has a content part of type {kind!r}, which the Responses "
        "backends do not accept"
    )


def _image_part(part: Mapping[str, Any], index: int) -> dict[str, Any]:
    # Chat: {"type":"image_url","image_url": "<url>" | {"url":..., "detail":...}}.
    # Responses: {"type":"input_image","image_url": "<url or data URL>","detail": ...}.
    raw = part.get("image_url")
    detail = part.get("detail")
    url: Any = raw
    if isinstance(raw, Mapping):
        url = raw.get("url")
        detail = raw.get("detail", detail)
    if not isinstance(url, str) or not url:
        raise ConfigurationError(f"messages[{index}] has an image part without a URL")
    if detail not in _IMAGE_DETAILS:
        detail = "auto"
    return {"type": "input_image", "image_url": url, "detail": detail}


#: ``provider_specific_fields`` keys of an assistant message, set by the stream translator
#: (``responses_stream.py``): the encrypted reasoning the backend issued for it (a list of blobs);
#: per blob, the reasoning item's id and summary texts (``[{"id", "summary"}]``, the same
#: order); and the item id the server gave each function call (``{tool_call_id: item_id}``).
ENCRYPTED_REASONING_FIELD = "reasoning_encrypted_content"
REASONING_ITEMS_FIELD = "reasoning_items"
TOOL_CALL_ITEM_IDS_FIELD = "tool_call_item_ids"


def _fields(message: Mapping[str, Any]) -> Mapping[str, Any]:
    fields = message.get("provider_specific_fields")
    return fields if isinstance(fields, Mapping) else {}


def _encrypted_reasoning_items(
    message: Mapping[str, Any], profile: ResponsesProfile
) -> list[dict[str, Any]]:
    """``reasoning`` input items replaying the backend's own encrypted reasoning (stateless
    turns, ``include: ["reasoning.encrypted_content"]``), as the reference clients do; with
    ``item_bookkeeping`` also the item's id and summary, as Codex CLI 0.171.0 replays them."""
    fields = _fields(message)
    blobs = fields.get(ENCRYPTED_REASONING_FIELD)
    if not isinstance(blobs, list):
        return []
    known = fields.get(REASONING_ITEMS_FIELD)
    extras = known if isinstance(known, list) and len(known) == len(blobs) else []
    items: list[dict[str, Any]] = []
    for i, blob in enumerate(blobs):
        if not isinstance(blob, str) or not blob:
            continue
        item: dict[str, Any] = {"type": "reasoning", "summary": [], "encrypted_content": blob}
        extra = extras[i] if extras and isinstance(extras[i], Mapping) else {}
        if isinstance(extra.get("id"), str) and extra["id"]:
            item["id"] = extra["id"]
        summary = extra.get("summary")
        if profile.item_bookkeeping and isinstance(summary, list):
            item["summary"] = [
                {"type": "summary_text", "text": t} for t in summary if isinstance(t, str) and t
            ]
        items.append(item)
    return items


def _assistant_items(
    message: Mapping[str, Any],
    index: int,
    known_calls: dict[str, int],
    legacy_open: dict[str, list[str]],
    profile: ResponsesProfile,
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _encrypted_reasoning_items(message, profile)
    texts = [t for t in _texts(message.get("content"), index) if t]
    refusal = message.get("refusal")
    if not texts and isinstance(refusal, str) and refusal:
        texts = [refusal]
    if texts:
        parts = [{"type": "output_text", "text": t} for t in texts]
        items.append(_message_item("assistant", parts))
    # `reasoning_content` / `thinking_blocks` are deliberately not sent: see module docstring.

    server_ids = _fields(message).get(TOOL_CALL_ITEM_IDS_FIELD)
    if not isinstance(server_ids, Mapping):
        server_ids = {}
    tool_calls = message.get("tool_calls") or []
    if not isinstance(tool_calls, Sequence) or isinstance(tool_calls, (str, bytes)):
        raise ConfigurationError(f"messages[{index}].tool_calls must be a list")
    for call in tool_calls:
        if not isinstance(call, Mapping):
            raise ConfigurationError(
                f"messages[{index}].tool_calls has an entry that is not an object"
            )
        function = call.get("function")
        call_id = call.get("id")
        if call.get("type", "function") != "function" or not isinstance(function, Mapping):
            raise ConfigurationError(
                f"messages[{index}] has a tool call of type {call.get('type')!r}; "
                "only function tool calls are supported"
            )
        if not isinstance(call_id, str) or not call_id:
            raise ConfigurationError(f"messages[{index}] has a tool call without an id")
        item = _function_call(call_id, function, index, profile)
        server_id = server_ids.get(call_id)
        if isinstance(server_id, str) and server_id:
            item["id"] = server_id
        items.append(item)
        known_calls[call_id] = index

    legacy = message.get("function_call")
    if isinstance(legacy, Mapping):
        # Legacy function calling has no ids; give the call a deterministic one that the
        # following `function` message picks up by name.
        call_id = f"call_legacy_{index}"
        items.append(_function_call(call_id, legacy, index, profile))
        known_calls[call_id] = index
        legacy_open.setdefault(str(legacy.get("name")), []).append(call_id)
    return items


def _function_call(
    call_id: str, function: Mapping[str, Any], index: int, profile: ResponsesProfile
) -> dict[str, Any]:
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"messages[{index}] has a tool call without a function name")
    arguments = function.get("arguments")
    if arguments is None:
        arguments = "{}"
    elif not isinstance(arguments, str):
        # Some frameworks put the parsed object here; the backend wants a JSON string.
        arguments = json.dumps(arguments, ensure_ascii=False)
    item: dict[str, Any] = {"type": "function_call"}
    if profile.item_bookkeeping:
        # Codex CLI 0.171.0 replays its calls with the status the server gave them (§1.3);
        # a call in the history has its output after it, so it is always completed.
        item["status"] = "completed"
    item.update(call_id=call_id, name=name, arguments=arguments)
    return item


def _call_output(call_id: str, content: Any, index: int) -> dict[str, Any]:
    output: Any
    if content is None:
        output = ""
    elif isinstance(content, str):
        output = content
    else:
        parts = _parts(content, index)
        if all(p.get("type") in ("text", "input_text") for p in parts):
            output = "\n".join(str(p.get("text") or "") for p in parts)
        else:
            # Images in a tool result: the output may be a list of input parts (§2.3,
            # `FunctionCallOutputPayload`).
            output = [_user_part(p, index) for p in parts]
    return {"type": "function_call_output", "call_id": call_id, "output": output}


# --------------------------------------------------------------------------------------
# Params


def _apply_tools(body: dict[str, Any], params: Mapping[str, Any], dropped: set[str]) -> None:
    tools_param = params.get("tools")
    choice = params.get("tool_choice")
    if tools_param is None and params.get("functions") is not None:
        # Legacy `functions` / `function_call` params.
        tools_param = [{"type": "function", "function": f} for f in params["functions"]]
        legacy_choice = params.get("function_call")
        if isinstance(legacy_choice, Mapping):
            choice = {"type": "function", "function": legacy_choice}
        elif legacy_choice is not None:
            choice = legacy_choice

    if not tools_param:
        # Without tools a tool_choice / parallel_tool_calls means nothing; frameworks send
        # them as defaults. Leave them out, but say so.
        for name in ("tool_choice", "parallel_tool_calls"):
            if params.get(name) is not None:
                dropped.add(name)
        return
    if not isinstance(tools_param, Sequence) or isinstance(tools_param, (str, bytes)):
        raise ConfigurationError("tools must be a list")
    body["tools"] = [_tool(tool, i) for i, tool in enumerate(tools_param)]
    body["tool_choice"] = _tool_choice(choice if choice is not None else "auto")
    if params.get("parallel_tool_calls") is not None:
        body["parallel_tool_calls"] = bool(params["parallel_tool_calls"])


def _tool(tool: Any, index: int) -> dict[str, Any]:
    if not isinstance(tool, Mapping):
        raise ConfigurationError(f"tools[{index}] is not an object")
    kind = tool.get("type")
    function = tool.get("function")
    if kind != "function" or not isinstance(function, Mapping):
        label = tool.get("name") or (
            function.get("name") if isinstance(function, Mapping) else None
        )
        raise ConfigurationError(
            f"tools[{index}] ({label or kind!r}) has type {kind!r}; only function tools "
            "are supported"
        )
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"tools[{index}] has no function name")
    out: dict[str, Any] = {"type": "function", "name": name}
    if function.get("description") is not None:
        out["description"] = function["description"]
    out["parameters"] = function.get("parameters") or {"type": "object", "properties": {}}
    out["strict"] = bool(function.get("strict") or False)
    return out


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, str):
        if choice in _TOOL_CHOICE_STRINGS:
            return choice
        raise ConfigurationError(f"tool_choice {choice!r} is not one of auto, none, required")
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
        if choice.get("type") == "function" and isinstance(name, str) and name:
            return {"type": "function", "name": name}
    raise ConfigurationError(f"tool_choice {choice!r} is not supported")


def _apply_reasoning(
    body: dict[str, Any], params: Mapping[str, Any], profile: ResponsesProfile
) -> None:
    reasoning: dict[str, Any] = {}
    given = params.get("reasoning")
    if isinstance(given, Mapping):
        # A Responses-style `reasoning` object from the caller.
        reasoning.update(given)
    elif given is not None:
        raise ConfigurationError("reasoning must be an object like {'effort': 'medium'}")
    effort = params.get("reasoning_effort")
    if isinstance(effort, Mapping):
        # LiteLLM lets callers pass {"effort": ..., "summary": ...} here too.
        reasoning.update(effort)
    elif effort is not None:
        reasoning["effort"] = str(effort)
    summary = params.get("reasoning_summary")
    if summary is not None:
        reasoning["summary"] = str(summary)
    levels = profile.reasoning_levels
    if levels is not None and "effort" in reasoning and reasoning["effort"] not in levels:
        raise ConfigurationError(
            f"reasoning_effort={reasoning['effort']!r} is not supported by this model; "
            f"it takes {', '.join(repr(level) for level in levels)}"
        )
    if not reasoning:
        if profile.default_reasoning_effort is None:
            if profile.lite:
                body["reasoning"] = {"context": "all_turns"}
            return
        # The reference always sends the catalog's default effort, no summary (the
        # catalog's `default_reasoning_summary` is "none"), §1.2-1.3.
        body["reasoning"] = {"effort": profile.default_reasoning_effort}
        if profile.lite:
            body["reasoning"]["context"] = "all_turns"
        if profile.include_encrypted_reasoning:
            body["include"] = ["reasoning.encrypted_content"]
        return
    # Effort values (minimal/low/medium/high/xhigh/none) are passed through: the backend
    # knows which ones each model takes (§5, model presets) and says so in its 400.
    off = reasoning.get("effort") == "none"
    if "summary" not in reasoning and not off:
        # Codex sends summary "auto" so reasoning summaries stream (§2.2).
        reasoning["summary"] = "auto"
    if reasoning.get("summary") == "none":
        # Codex omits `summary` when it is "none" (§2.2).
        del reasoning["summary"]
    elif "summary" in reasoning and reasoning["summary"] not in _REASONING_SUMMARIES:
        raise ConfigurationError(
            f"reasoning summary {reasoning['summary']!r} is not one of "
            "auto, concise, detailed, none"
        )
    if profile.lite:
        reasoning.setdefault("context", "all_turns")
    body["reasoning"] = reasoning
    if profile.include_encrypted_reasoning and not off:
        # Stateless turns (store=false): the encrypted reasoning is the only way the
        # backend could be handed its reasoning back (§2.2, "only when reasoning is Some").
        body["include"] = ["reasoning.encrypted_content"]


def _apply_text(
    body: dict[str, Any],
    params: Mapping[str, Any],
    profile: ResponsesProfile,
    dropped: set[str],
) -> None:
    text: dict[str, Any] = {}
    fmt = params.get("response_format")
    if fmt is not None:
        text_format = _text_format(fmt)
        if text_format is not None:
            text["format"] = text_format
    verbosity = params.get("verbosity")
    if verbosity is None and profile.supports_verbosity:
        verbosity = profile.default_verbosity
    if verbosity is not None:
        if profile.supports_verbosity:
            text["verbosity"] = verbosity
        else:
            dropped.add("verbosity")
    if text:
        body["text"] = text


def _text_format(fmt: Any) -> dict[str, Any] | None:
    if not isinstance(fmt, Mapping):
        raise ConfigurationError("response_format must be an object")
    kind = fmt.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("schema"), Mapping):
            raise ConfigurationError("response_format json_schema needs json_schema.schema")
        out: dict[str, Any] = {
            "type": "json_schema",
            # `name` is required by the Responses API; Chat makes it optional in practice.
            "name": spec.get("name") or "response",
            "schema": spec["schema"],
        }
        if spec.get("description") is not None:
            out["description"] = spec["description"]
        if spec.get("strict") is not None:
            out["strict"] = bool(spec["strict"])
        return out
    raise ConfigurationError(f"response_format type {kind!r} is not supported")


def _apply_limits(
    body: dict[str, Any],
    params: Mapping[str, Any],
    profile: ResponsesProfile,
    dropped: set[str],
) -> None:
    if profile.supports_max_output_tokens:
        for name in _MAX_TOKEN_PARAMS:
            if params.get(name) is not None:
                body["max_output_tokens"] = int(params[name])
                break
    tier = params.get("service_tier")
    if tier is not None:
        tier = _SERVICE_TIER_ALIASES.get(str(tier), str(tier))
        if tier in profile.service_tiers:
            body["service_tier"] = tier
        else:
            # "auto" / "default" are harmless defaults; anything else is unverified.
            dropped.add("service_tier")


def _as_developer_messages(
    items: list[dict[str, Any]], profile: ResponsesProfile
) -> list[dict[str, Any]]:
    """System messages become developer messages; a default one leads when there is none."""
    out: list[dict[str, Any]] = []
    seen = False
    for item in items:
        if item.get("type") == "message" and item.get("role") in ("system", "developer"):
            item = {**item, "role": "developer"}
            seen = True
        out.append(item)
    if not seen and profile.default_instructions:
        out.insert(0, _message_item("developer", _input_text_parts([profile.default_instructions])))
    return out


def _apply_image_detail(items: list[dict[str, Any]], profile: ResponsesProfile) -> None:
    """Set or remove ``detail`` on every image part, as the profile says (in place)."""
    if profile.default_image_detail == "auto":
        return  # what the shared translation already did
    for item in items:
        content = item.get("content") if item.get("type") == "message" else item.get("output")
        if not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "input_image":
                continue
            if profile.default_image_detail is None:
                part.pop("detail", None)
            elif part.get("detail") in (None, "auto"):
                part["detail"] = profile.default_image_detail


def _lite_tools(body: dict[str, Any], profile: ResponsesProfile) -> None:
    """Move the function tools into a leading ``additional_tools`` developer item (§1.3).

    Function calls already in the history name their namespace, as the server's call to a
    tool declared in a namespace does: ``{"type": "function_call", "namespace":
    "functions", "name": <bare name>, "arguments", "call_id"}``. The capture shows this
    for the reference's custom ``exec`` tool (``custom_tool_call`` with ``namespace``,
    §1.3); for plain function tools it is not settled from openai/codex itself (the
    stored copy of its source predates ``additional_tools`` and the newest snapshot was
    too large to fetch here): public proxies and test fixtures written against Codex
    0.153+ show ``function_call`` items carrying ``namespace: "functions"`` and the bare
    name, which is what we send back. The stream translator reads ``name`` and ignores
    ``namespace``, so a call comes back as the caller's tool name either way.
    """
    tools = body.pop("tools", None)
    for item in body["input"]:
        if item.get("type") == "function_call":
            item["namespace"] = profile.lite_namespace
    if not tools:
        return
    group = {"type": "namespace", "name": profile.lite_namespace, "description": "", "tools": tools}
    body["input"].insert(0, {"type": "additional_tools", "role": "developer", "tools": [group]})
    body["parallel_tool_calls"] = False


def _merge(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Merge ``extra`` into ``target``: nested objects merge, other values replace, and a
    ``None`` value removes the key (so a caller can take out anything we add)."""
    for key, value in extra.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value
