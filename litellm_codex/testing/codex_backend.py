"""A strict simulator of the ChatGPT Codex backend: ``/responses`` and ``/models``.

Serves ``POST {base}/responses`` and ``GET {base}/models?client_version=...``.

The real backend (``https://chatgpt.com/backend-api/codex``) is private and undocumented;
everything here follows ``protocols/codex-chatgpt-backend.md`` (§2-5), and where the notes
are silent the choice is marked *simulator decision*. It is strict on purpose: a request
the real backend would refuse is refused here too, with the same status and body, so a
client that passes against the simulator does not trip over the real gates.

Use it standalone::

    with CodexBackendSimulator() as sim:
        tokens = sim.authority.issue()
        httpx.post(sim.api_base + "/responses", headers=sim.auth_headers(tokens), json=...)

or install it next to the OAuth half on one :class:`SimServer` with
:func:`install_codex_backend` (both share an :class:`OpenAIAuthority`).

``POST {base}/responses`` checks, in this order:

1. ``Authorization: Bearer <access>`` (401) and ``ChatGPT-Account-ID`` (403), see
   :meth:`CodexBackend.authenticate`;
2. the body, see :func:`validate_request` (the 400 ``{"detail": ...}`` gates of §2.4, the
   404 for an id it would have to look up, the ``{"error": {...}}`` errors of the model
   API);
3. then, if a scripted :class:`Fault` is queued, it answers; else the responder does.

The default responder (:func:`plan_reply`) is deterministic so tests can assert content:

- the conversation ends in ``function_call_output`` items -> text ``"tool result: <out>"``;
- function tools are given and the last user text says ``call <name>`` (several names with
  ``and`` / ``,``, each optionally followed by a JSON object of arguments, e.g.
  ``call get_weather {"city": "Paris"} and get_time``) -> those function calls, with
  arguments generated from the tool's schema when none are given. ``tool_choice`` is
  honoured ("none" never calls, a named function or "required" always calls), and
  ``parallel_tool_calls: false`` keeps the first call only;
- ``text.format`` json_schema / json_object -> a JSON text (required keys filled by type,
  strings carry the plain answer);
- an ``input_image`` in the last user message -> ``"I see N image(s). echo: <text>"``;
- else ``"echo: <last user text>"``.

When ``reasoning`` is requested a reasoning item (with summary deltas when
``reasoning.summary`` asks for them) streams before the answer. An input longer than the
model's ``context_window`` (counted roughly, one token per word or punctuation mark)
fails in-stream with ``context_length_exceeded``, as the real service does (§4.1).

Streams follow the real event sequence (``response.created``, ``response.in_progress``,
``output_item.added``, ``content_part.added``, deltas, ``*.done``, ``output_item.done``
with ``phase: "final_answer"`` on messages) and end with ``response.completed`` whose
``response.output`` is ``[]`` (the real quirk, §3.2). The event builders
(:func:`text_events`, :func:`tool_call_events`, :func:`reasoning_events`,
:func:`completed_event`, :func:`response_stream`...) are public so other simulators (the
Copilot ``/responses`` route) can reuse them.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litellm_codex.testing._server import (
    DROP,
    Request,
    Response,
    SimServer,
    Stall,
    json_response,
    sse_response,
)
from litellm_codex.testing._tokens import Account, OpenAIAuthority

__all__ = [
    "ALLOWED_PARAMETERS",
    "CodexBackend",
    "CodexBackendSimulator",
    "Fault",
    "RateLimitWindow",
    "RateLimits",
    "RecordedRequest",
    "Rejection",
    "ReplyPlan",
    "Turn",
    "completed_event",
    "count_input_tokens",
    "created_events",
    "default_models",
    "error_event",
    "estimate_tokens",
    "failed_event",
    "incomplete_event",
    "install_codex_backend",
    "model_info",
    "number_events",
    "plan_events",
    "plan_reply",
    "reasoning_events",
    "response_object",
    "response_stream",
    "sample_from_schema",
    "text_events",
    "tool_call_events",
    "usage",
    "validate_request",
]

JSON = dict[str, Any]
Event = dict[str, Any]

# =====================================================================================
# Models (/models)
# =====================================================================================

_EFFORT_TEXT = {
    "minimal": "Fastest responses with very little reasoning",
    "low": "Fast responses with lighter reasoning",
    "medium": "Balances speed and reasoning depth for everyday tasks",
    "high": "Greater reasoning depth for complex problems",
    "xhigh": "Extra high reasoning depth for the hardest problems",
}


_BASE_INSTRUCTIONS = "You are a coding agent running in a simulated Codex backend."


def model_info(
    slug: str,
    *,
    display_name: str | None = None,
    efforts: Sequence[str] = ("low", "medium", "high"),
    default_effort: str = "medium",
    context_window: int = 272_000,
    support_verbosity: bool = False,
    default_verbosity: str | None = None,
    parallel_tool_calls: bool = True,
    input_modalities: Sequence[str] = ("text", "image"),
    reasoning_summary_format: str = "experimental",
    priority: int = 0,
    visibility: str = "list",
    minimal_client_version: str = "0.1.0",
    lite: bool = False,
    max_context_window: int | None = None,
    upgrade: str | None = None,
) -> JSON:
    """One ``ModelInfo`` object as ``/models`` serves it (fields as in the 0.171.0 catalog,
    reference-clients-2026-11.md §1.2). ``lite`` sets ``use_responses_lite``."""
    return {
        "slug": slug,
        "display_name": display_name or slug,
        "description": f"Simulated {slug}",
        "default_reasoning_level": default_effort,
        "supported_reasoning_levels": [
            {"effort": e, "description": _EFFORT_TEXT.get(e, e)} for e in efforts
        ],
        "shell_type": "shell_command",
        "visibility": visibility,
        "minimal_client_version": minimal_client_version,
        "supported_in_api": True,
        "priority": priority,
        "upgrade": {"model": upgrade, "migration_markdown": "", "retirement_at": None}
        if upgrade
        else None,
        "use_responses_lite": lite,
        "tool_mode": "code_mode_only" if lite else None,
        "max_context_window": max_context_window or context_window,
        "supports_image_detail_original": True,
        "base_instructions": _BASE_INSTRUCTIONS,
        "supports_reasoning_summaries": True,
        "reasoning_summary_format": reasoning_summary_format,
        "support_verbosity": support_verbosity,
        "default_verbosity": default_verbosity,
        "apply_patch_tool_type": "freeform",
        "truncation_policy": {"mode": "tokens", "limit": 10_000},
        "supports_parallel_tool_calls": parallel_tool_calls,
        "context_window": context_window,
        "auto_compact_token_limit": None,
        "effective_context_window_percent": 95,
        "input_modalities": list(input_modalities),
        "experimental_supported_tools": [],
        "available_in_plans": ["plus", "pro", "team", "business", "enterprise", "edu"],
    }


def _todays_models() -> tuple[JSON, ...]:
    # The catalog embedded in Codex CLI 0.171.0 (reference-clients-2026-11.md §1.2), the
    # same file the package bundles as its offline snapshot.
    from litellm_codex.codex_catalog import bundled_models

    # The snapshot leaves out `model_messages` (per-model base instructions, ~60 kB each);
    # Codex CLI 0.171.0 refuses a /models answer whose entries carry no base instructions
    # at all ("failed to decode models response"), so each gets a short `base_instructions`
    # (checked by running the real CLI against this simulator).
    return tuple({**entry, "base_instructions": _BASE_INSTRUCTIONS} for entry in bundled_models())


_DEFAULT_MODELS: tuple[JSON, ...] = _todays_models()


def default_models() -> list[JSON]:
    """A fresh copy of the simulator's default model list: today's catalog (Codex CLI
    0.171.0: gpt-6.2-sol ... gpt-5.5, with ``minimal_client_version`` and
    ``use_responses_lite`` as the real one serves them)."""
    return copy.deepcopy(list(_DEFAULT_MODELS))


# =====================================================================================
# Event builders (public: the Copilot simulator's /responses route reuses them)
# =====================================================================================


def new_id(prefix: str) -> str:
    """A fresh id such as ``msg_3f2a...`` (``resp``, ``msg``, ``fc``, ``rs``, ``call``)."""
    return f"{prefix}_{secrets.token_hex(12)}"


def estimate_tokens(text: str) -> int:
    """A rough, deterministic token count: one per word or punctuation mark."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def usage(
    input_tokens: int = 0,
    output_tokens: int = 0,
    *,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
) -> JSON:
    """A Responses ``usage`` object (the fields Codex reads, §3.2)."""
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached_tokens},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


def response_object(
    response_id: str,
    model: str,
    *,
    status: str = "in_progress",
    output: Sequence[JSON] = (),
    usage: JSON | None = None,
    error: JSON | None = None,
    incomplete_details: JSON | None = None,
    created_at: int | None = None,
) -> JSON:
    """The ``response`` object carried by ``response.created`` / ``completed`` / ``failed``."""
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()) if created_at is None else created_at,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": incomplete_details,
        "model": model,
        "output": list(output),
        "parallel_tool_calls": True,
        "store": False,
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def created_events(response_id: str, model: str, *, created_at: int | None = None) -> list[Event]:
    """``response.created`` then ``response.in_progress``."""
    return [
        {"type": kind, "response": response_object(response_id, model, created_at=created_at)}
        for kind in ("response.created", "response.in_progress")
    ]


def _split_words(text: str, per_piece: int) -> list[str]:
    words = re.findall(r"\s*\S+\s*|\s+", text)
    pieces = ["".join(words[i : i + per_piece]) for i in range(0, len(words), per_piece)]
    return pieces or [""]


def _split_chars(text: str, pieces: int) -> list[str]:
    if not text:
        return [""]
    size = max(1, -(-len(text) // max(1, pieces)))
    return [text[i : i + size] for i in range(0, len(text), size)]


def text_events(
    text: str,
    *,
    item_id: str | None = None,
    output_index: int = 0,
    phase: str | None = "final_answer",
    words_per_delta: int = 2,
) -> list[Event]:
    """An assistant message item streamed as ``output_text`` deltas.

    ``output_item.added`` -> ``content_part.added`` -> ``output_text.delta`` x N ->
    ``output_text.done`` -> ``content_part.done`` -> ``output_item.done``. ``phase`` is set
    on the item as the real backend does (``final_answer``, or ``commentary``; §3.2).
    """
    item_id = item_id or new_id("msg")
    where = {"item_id": item_id, "output_index": output_index, "content_index": 0}
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    item: JSON = {
        "id": item_id,
        "type": "message",
        "status": "in_progress",
        "content": [],
        "role": "assistant",
    }
    if phase is not None:
        item["phase"] = phase
    events: list[Event] = [
        {"type": "response.output_item.added", "output_index": output_index, "item": item},
        {"type": "response.content_part.added", **where, "part": part},
    ]
    for piece in _split_words(text, max(1, words_per_delta)):
        events.append(
            {"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []}
        )
    done_part = {**part, "text": text}
    events += [
        {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": done_part},
        {
            "type": "response.output_item.done",
            "output_index": output_index,
            "item": {**item, "status": "completed", "content": [done_part]},
        },
    ]
    return events


def tool_call_events(
    name: str,
    arguments: str | Mapping[str, Any],
    *,
    call_id: str | None = None,
    item_id: str | None = None,
    output_index: int = 0,
    pieces: int = 3,
    namespace: str | None = None,
) -> list[Event]:
    """A ``function_call`` item with its arguments streamed in ``pieces`` deltas.

    ``arguments`` is the JSON *string* (a mapping is serialised for you). ``namespace``
    is set on calls to a tool declared inside a namespace (the Lite shape's
    ``additional_tools``; the capture saw ``namespace: "functions"`` on such a call, §1.3).
    """
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    item_id = item_id or new_id("fc")
    call_id = call_id or new_id("call")
    item = {
        "id": item_id,
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": call_id,
        "name": name,
    }
    if namespace is not None:
        item["namespace"] = namespace
    where = {"item_id": item_id, "output_index": output_index}
    events: list[Event] = [
        {"type": "response.output_item.added", "output_index": output_index, "item": item},
    ]
    for piece in _split_chars(args, pieces):
        events.append({"type": "response.function_call_arguments.delta", **where, "delta": piece})
    events += [
        {"type": "response.function_call_arguments.done", **where, "arguments": args},
        {
            "type": "response.output_item.done",
            "output_index": output_index,
            "item": {**item, "status": "completed", "arguments": args},
        },
    ]
    return events


def reasoning_events(
    summary: str | Sequence[str] = (),
    *,
    item_id: str | None = None,
    output_index: int = 0,
    encrypted_content: str | None = None,
    words_per_delta: int = 2,
) -> list[Event]:
    """A ``reasoning`` item whose summary paragraphs stream as ``reasoning_summary_*`` events.

    With no summary only ``output_item.added`` / ``output_item.done`` are sent (the model
    reasoned but no summary was requested).
    """
    paragraphs = [summary] if isinstance(summary, str) else list(summary)
    item_id = item_id or new_id("rs")
    item: JSON = {"id": item_id, "type": "reasoning", "summary": []}
    if encrypted_content is not None:
        item["encrypted_content"] = encrypted_content
    where = {"item_id": item_id, "output_index": output_index}
    events: list[Event] = [
        {"type": "response.output_item.added", "output_index": output_index, "item": item},
    ]
    for index, text in enumerate(paragraphs):
        empty = {"type": "summary_text", "text": ""}
        events.append(
            {
                "type": "response.reasoning_summary_part.added",
                **where,
                "summary_index": index,
                "part": empty,
            }
        )
        for piece in _split_words(text, max(1, words_per_delta)):
            events.append(
                {
                    "type": "response.reasoning_summary_text.delta",
                    **where,
                    "summary_index": index,
                    "delta": piece,
                }
            )
        events += [
            {
                "type": "response.reasoning_summary_text.done",
                **where,
                "summary_index": index,
                "text": text,
            },
            {
                "type": "response.reasoning_summary_part.done",
                **where,
                "summary_index": index,
                "part": {"type": "summary_text", "text": text},
            },
        ]
    done = {**item, "summary": [{"type": "summary_text", "text": t} for t in paragraphs]}
    events.append({"type": "response.output_item.done", "output_index": output_index, "item": done})
    return events


def completed_event(
    response_id: str,
    model: str,
    usage: JSON | None = None,
    *,
    output: Sequence[JSON] = (),
    created_at: int | None = None,
) -> Event:
    """``response.completed``. ``output`` defaults to ``[]``: the real backend sends an empty
    list even when items streamed (§3.2, litellm#41009), so clients must rebuild the items
    from ``output_item.*`` events."""
    return {
        "type": "response.completed",
        "response": response_object(
            response_id,
            model,
            status="completed",
            output=output,
            usage=usage,
            created_at=created_at,
        ),
    }


def incomplete_event(
    response_id: str,
    model: str,
    reason: str = "max_output_tokens",
    usage: JSON | None = None,
    *,
    created_at: int | None = None,
) -> Event:
    """``response.incomplete`` with ``incomplete_details.reason`` (``max_output_tokens``,
    ``content_filter``)."""
    return {
        "type": "response.incomplete",
        "response": response_object(
            response_id,
            model,
            status="incomplete",
            usage=usage,
            incomplete_details={"reason": reason},
            created_at=created_at,
        ),
    }


def failed_event(
    response_id: str,
    model: str,
    code: str,
    message: str,
    *,
    created_at: int | None = None,
    **error_fields: Any,
) -> Event:
    """``response.failed`` with ``response.error {code, message, ...}`` (§3.3 c)."""
    error = {"code": code, "message": message, **error_fields}
    return {
        "type": "response.failed",
        "response": response_object(
            response_id, model, status="failed", error=error, created_at=created_at
        ),
    }


def error_event(code: str, message: str, param: str | None = None) -> Event:
    """A bare in-stream ``error`` event ``{type, code, message, param}``."""
    return {"type": "error", "code": code, "message": message, "param": param}


def number_events(events: Iterable[Event | bytes | object]) -> list[Any]:
    """Copy ``events`` with ``sequence_number`` 0, 1, 2... on every dict event (bytes,
    :data:`DROP` and :class:`Stall` pass through unnumbered)."""
    numbered: list[Any] = []
    n = 0
    for event in events:
        if isinstance(event, dict):
            numbered.append({**event, "sequence_number": n})
            n += 1
        else:
            numbered.append(event)
    return numbered


def response_stream(
    model: str,
    items: Iterable[Sequence[Event]],
    *,
    usage: JSON | None = None,
    response_id: str | None = None,
    final: Event | None = None,
    completed_output: bool = False,
) -> list[Event]:
    """A whole stream: created + in_progress + each item's events + a final event, numbered.

    ``output_index`` is assigned by position in ``items`` (whatever the builders were given).
    ``final`` replaces the default ``response.completed`` (e.g. :func:`failed_event`);
    ``completed_output=True`` fills ``response.completed.output`` with the streamed items,
    as the documented API would, instead of the real backend's ``[]``.
    """
    response_id = response_id or new_id("resp")
    created_at = int(time.time())
    events = created_events(response_id, model, created_at=created_at)
    done_items: list[JSON] = []
    for index, item_events in enumerate(items):
        for event in item_events:
            event = dict(event)
            if "output_index" in event:
                event["output_index"] = index
            if event.get("type") == "response.output_item.done":
                done_items.append(event["item"])
            events.append(event)
    if final is None:
        final = completed_event(
            response_id,
            model,
            usage,
            output=done_items if completed_output else (),
            created_at=created_at,
        )
    events.append(final)
    return number_events(events)


# =====================================================================================
# Request checks (§2.4)
# =====================================================================================

#: Top-level body keys the backend accepts; any other key is ``Unsupported parameter``.
#: (Codex's own request struct, §2.2, plus what LiteLLM keeps, §2.4.)
ALLOWED_PARAMETERS = frozenset(
    {
        "model",
        "instructions",
        "input",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "store",
        "stream",
        "include",
        "prompt_cache_key",
        "text",
        "service_tier",
        "client_metadata",
        "truncation",
    }
)

_INPUT_CONTENT_TYPES = ("input_text", "input_image", "input_file")
_OUTPUT_CONTENT_TYPES = ("output_text", "refusal")
_ITEM_TYPES = (
    "message",
    "function_call",
    "function_call_output",
    "reasoning",
    "custom_tool_call",
    "custom_tool_call_output",
    "local_shell_call",
    "local_shell_call_output",
    "web_search_call",
    "compaction",
    "item_reference",
    "additional_tools",
)
_VERBOSITY = ("low", "medium", "high")
_SUMMARY = ("auto", "concise", "detailed", "none")

Problem = tuple[int, JSON]


def _detail(message: str, status: int = 400) -> Problem:
    # Gate errors of the ChatGPT backend itself: {"detail": "..."} (§2.4).
    return status, {"detail": message}


def _invalid(
    message: str, param: str | None, code: str | None = None, status: int = 400
) -> Problem:
    # Errors of the model API behind the gate: {"error": {...}} (§4.1).
    return status, {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    }


def _quote_list(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return "an object"


def validate_request(
    body: Any, models: Sequence[JSON], headers: Mapping[str, str] | None = None
) -> Problem | None:
    """Check a ``/responses`` body like the real backend; ``(status, error body)`` or ``None``.

    Pure: ``models`` is the catalog whose slugs are accepted; ``headers`` (lower-case
    names), when given, are checked too: the ``version`` gate and the Lite marker.
    """
    if not isinstance(body, dict):
        return _detail("Request body must be a JSON object")
    # The three gates every third-party client hits first (§2.4).
    if body.get("stream") is not True:
        return _detail("Stream must be set to true")
    if body.get("store") is not False:  # a missing field fails too (openclaw#138703)
        return _detail("Store must be set to false")
    instructions = body.get("instructions")
    if instructions is not None and (not isinstance(instructions, str) or not instructions.strip()):
        return _detail("Instructions are required")
    if instructions is None and not _has_developer_message(body.get("input")):
        # Today's reference sends no `instructions` but developer messages (§1.3); with
        # neither, the old gate applies (simulator decision).
        return _detail("Instructions are required")
    for key in body:
        if key not in ALLOWED_PARAMETERS:
            return _detail(f"Unsupported parameter: {key}")
    model = body.get("model")
    info = next((m for m in models if m.get("slug") == model), None)
    refused = _detail(
        f"The '{model}' model is not supported when using Codex with a ChatGPT account."
    )
    if info is None:
        if not isinstance(model, str) or not model:
            return _detail("Model is required")  # simulator decision: wording not observed
        return refused
    if headers is not None:
        # Models above the caller's `version` are refused like unknown ones (§1.1, third-
        # party reports); a missing header counts as the oldest client.
        have = _version(headers.get("version") or "0")
        if have < _version(str(info.get("minimal_client_version") or "0")):
            return refused
    return (
        _check_shape(body, info, headers)
        or _check_client_metadata(body.get("client_metadata"))
        or _check_input(body.get("input"))
        or _check_tools(_declared_tools(body), body.get("tool_choice"))
        or _check_reasoning(body.get("reasoning"), info)
        or _check_text(body.get("text"), info)
        or _check_include(body.get("include"))
    )


def _check_client_metadata(metadata: Any) -> Problem | None:
    """``client_metadata`` is a string-to-string map (reference-clients-2026-11.md §1.3);
    the wording is the public API's for ``metadata`` (simulator decision)."""
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        return _invalid(
            "Invalid type for 'client_metadata': expected an object, but got "
            f"{_type_name(metadata)} instead.",
            "client_metadata",
            "invalid_type",
        )
    for key, value in metadata.items():
        if not isinstance(value, str):
            return _invalid(
                f"Invalid type for 'client_metadata.{key}': expected a string, but got "
                f"{_type_name(value)} instead.",
                f"client_metadata.{key}",
                "invalid_type",
            )
    return None


def _has_developer_message(items: Any) -> bool:
    return isinstance(items, list) and any(
        isinstance(item, dict)
        and item.get("type", "message") == "message"
        and item.get("role") in ("developer", "system")
        for item in items
    )


def _declared_tools(body: Mapping[str, Any]) -> Any:
    """Top-level ``tools``, or (Lite) the tools of the ``additional_tools`` namespaces."""
    if body.get("tools") is not None:
        return body.get("tools")
    found: list[Any] = []
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("type") == "additional_tools":
            for group in item.get("tools") or []:
                if isinstance(group, dict) and group.get("type") == "namespace":
                    found.extend(group.get("tools") or [])
                else:
                    found.append(group)
    return found or None


def _check_shape(body: JSON, info: JSON, headers: Mapping[str, str] | None) -> Problem | None:
    """The "Responses Lite" shape for Lite models, the classic one for the others (§1.3).

    Simulator decision: the real answers to a wrong shape were not observed; these are
    400s in the model API's error shape naming the offending field.
    """
    lite = info.get("use_responses_lite") is True
    slug = info.get("slug")
    marker = (headers or {}).get("x-openai-internal-codex-responses-lite")
    raw_items = body.get("input")
    items: list[Any] = raw_items if isinstance(raw_items, list) else []
    extra = [i for i in items if isinstance(i, dict) and i.get("type") == "additional_tools"]
    raw_reasoning = body.get("reasoning")
    reasoning: JSON = raw_reasoning if isinstance(raw_reasoning, dict) else {}
    if lite:
        if headers is not None and marker != "true":
            return _invalid(
                f"The '{slug}' model requires the Responses Lite request format.",
                None,
                "unsupported_request_format",
            )
        if body.get("tools"):
            return _invalid(
                f"Unsupported parameter: 'tools' is not supported with the '{slug}' model; "
                "declare tools in an 'additional_tools' input item.",
                "tools",
                "unsupported_parameter",
            )
        if body.get("parallel_tool_calls") is True:
            return _invalid(
                f"Unsupported value: 'parallel_tool_calls' must be false with the '{slug}' model.",
                "parallel_tool_calls",
                "unsupported_value",
            )
        if extra and items and items[0] is not extra[0]:
            return _invalid(
                "The 'additional_tools' item must be the first input item.",
                "input",
                "invalid_value",
            )
        for j, group in enumerate(extra[0].get("tools") or [] if extra else []):
            if not isinstance(group, dict) or group.get("type") != "namespace":
                return _invalid(
                    f"Invalid value for 'input[0].tools[{j}]': expected a namespace.",
                    f"input[0].tools[{j}]",
                    "invalid_value",
                )
        for i, item in enumerate(items):
            for j, part in enumerate(item.get("content") or [] if isinstance(item, dict) else []):
                if (
                    isinstance(part, dict)
                    and part.get("type") == "input_image"
                    and "detail" in part
                ):
                    return _invalid(
                        f"Unsupported parameter: 'input[{i}].content[{j}].detail' is not "
                        f"supported with the '{slug}' model.",
                        f"input[{i}].content[{j}].detail",
                        "unsupported_parameter",
                    )
        if reasoning and reasoning.get("context") != "all_turns":
            return _invalid(
                f"Missing required parameter: 'reasoning.context' for the '{slug}' model.",
                "reasoning.context",
                "missing_required_parameter",
            )
        return None
    if marker is not None:
        return _invalid(
            f"The '{slug}' model does not support the Responses Lite request format.",
            None,
            "unsupported_request_format",
        )
    if extra:
        return _invalid(
            f"Invalid value: 'additional_tools' is not supported with the '{slug}' model.",
            "input",
            "invalid_value",
        )
    if "context" in reasoning:
        return _invalid(
            f"Unknown parameter: 'reasoning.context' is not supported with the '{slug}' model.",
            "reasoning.context",
            "unknown_parameter",
        )
    return None


def _check_input(items: Any) -> Problem | None:
    if not isinstance(items, list):
        # LiteLLM's string `input` is rejected (litellm#38085); wording is ours.
        return _detail("Input must be a list")
    open_calls: dict[str, int] = {}  # call_id -> index of a call still waiting for output
    for i, item in enumerate(items):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            return _invalid(
                f"Invalid type for '{where}': expected an object, but got "
                f"{_type_name(item)} instead.",
                where,
                "invalid_type",
            )
        if item.get("id") is not None and _needs_lookup(item):
            # With store=false nothing is persisted, so an id is only a reference the
            # server would have to resolve when the item cannot stand on its own: a
            # reasoning item without its encrypted content (can1357/oh-my-pi#41,
            # vercel/ai#7543), an item_reference. Every other id passes and is recorded:
            # Codex CLI 0.171.0 sends ids on all its items with store=false, client-made
            # (msg_, at_, fco_, ctco_) and the server's (rs_, fc_) alike
            # (reference-clients-2026-11.md §1.3), and nothing says the server checks them.
            return _invalid(
                f"Item with id '{item['id']}' not found. Items are not persisted when `store` "
                "is set to false. Try again with `store` set to true, or remove this item "
                "from your input.",
                "input",
                None,
                status=404,
            )
        kind = item.get("type", "message" if "role" in item else None)
        if kind not in _ITEM_TYPES:
            return _invalid(
                f"Invalid value: '{kind}'. Supported values are: {_quote_list(_ITEM_TYPES)}.",
                f"{where}.type",
                "invalid_value",
            )
        problem: Problem | None = None
        if kind == "message":
            problem = _check_message(item, where)
        elif kind in ("function_call", "custom_tool_call"):
            problem = _check_call(item, where, kind)
            if problem is None:
                open_calls[item["call_id"]] = i
        elif kind in ("function_call_output", "custom_tool_call_output"):
            call_id = item.get("call_id")
            if not isinstance(call_id, str) or call_id not in open_calls:
                # Codex's mock enforces this pairing; the wording is the public API's.
                return _invalid(
                    f"No tool call found for function call output with call_id {call_id}.", "input"
                )
            del open_calls[call_id]
            output = item.get("output")
            if not isinstance(output, (str, list)):
                return _invalid(
                    f"Invalid type for '{where}.output': expected a string or an "
                    f"array, but got {_type_name(output)} instead.",
                    f"{where}.output",
                    "invalid_type",
                )
        if problem is not None:
            return problem
    if open_calls:
        call_id = next(iter(open_calls))
        return _invalid(f"No tool output found for function call {call_id}.", "input")
    return None


def _needs_lookup(item: JSON) -> bool:
    """An item the server could only use by looking its id up (simulator decision: the one
    id-carrying shape the reference never sends)."""
    kind = item.get("type")
    if kind == "item_reference":
        return True
    return kind == "reasoning" and not item.get("encrypted_content")


def _check_message(item: JSON, where: str) -> Problem | None:
    role = item.get("role")
    if role not in ("user", "assistant", "system", "developer"):
        return _invalid(
            f"Invalid value: '{role}'. Supported values are: 'assistant', "
            "'system', 'developer', and 'user'.",
            f"{where}.role",
            "invalid_value",
        )
    content = item.get("content")
    if isinstance(content, str):
        return None
    if not isinstance(content, list):
        return _invalid(
            f"Invalid type for '{where}.content': expected one of a string or an "
            f"array, but got {_type_name(content)} instead.",
            f"{where}.content",
            "invalid_type",
        )
    allowed = _OUTPUT_CONTENT_TYPES if role == "assistant" else _INPUT_CONTENT_TYPES
    for j, part in enumerate(content):
        pwhere = f"{where}.content[{j}]"
        ptype = part.get("type") if isinstance(part, dict) else None
        if ptype not in allowed:
            return _invalid(
                f"Invalid value: '{ptype}'. Supported values are: {_quote_list(allowed)}.",
                f"{pwhere}.type",
                "invalid_value",
            )
        assert isinstance(part, dict)
        if ptype in ("input_text", "output_text") and not isinstance(part.get("text"), str):
            return _invalid(
                f"Missing required parameter: '{pwhere}.text'.",
                f"{pwhere}.text",
                "missing_required_parameter",
            )
        if ptype == "input_image":
            problem = _check_image(part, pwhere)
            if problem is not None:
                return problem
    return None


def _check_image(part: JSON, where: str) -> Problem | None:
    url = part.get("image_url")
    if not isinstance(url, str) or not url:
        if isinstance(part.get("file_id"), str):
            return None
        return _invalid(
            f"Missing required parameter: '{where}.image_url'.",
            f"{where}.image_url",
            "missing_required_parameter",
        )
    if url.startswith("data:"):
        head, sep, data = url.partition(",")
        ok = bool(sep) and head.endswith(";base64") and head[5:].startswith("image/")
        if ok:
            try:
                base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                ok = False
        if not ok:
            # Codex matches this text to report InvalidImageRequest (§2.3).
            return _invalid(
                "The image data you provided does not represent a valid image. "
                "Please check your input and try again with one of the supported "
                "image formats.",
                None,
                "invalid_value",
            )
    elif not url.startswith(("http://", "https://")):
        return _invalid(
            f"Invalid value for '{where}.image_url': expected a URL or a data URL.",
            f"{where}.image_url",
            "invalid_value",
        )
    return None


def _check_call(item: JSON, where: str, kind: str) -> Problem | None:
    fields = (
        ("call_id", "name", "arguments")
        if kind == "function_call"
        else ("call_id", "name", "input")
    )
    for name in fields:
        if name not in item:
            return _invalid(
                f"Missing required parameter: '{where}.{name}'.",
                f"{where}.{name}",
                "missing_required_parameter",
            )
        if not isinstance(item[name], str):
            # `arguments` is a JSON *string* (§2.3), a frequent client mistake.
            return _invalid(
                f"Invalid type for '{where}.{name}': expected a string, but got "
                f"{_type_name(item[name])} instead.",
                f"{where}.{name}",
                "invalid_type",
            )
    return None


def _check_tools(tools: Any, tool_choice: Any) -> Problem | None:
    names: list[str] = []
    if tools is not None:
        if not isinstance(tools, list):
            return _invalid(
                f"Invalid type for 'tools': expected an array, but got "
                f"{_type_name(tools)} instead.",
                "tools",
                "invalid_type",
            )
        for i, tool in enumerate(tools):
            if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
                return _invalid(
                    f"Missing required parameter: 'tools[{i}].type'.",
                    f"tools[{i}].type",
                    "missing_required_parameter",
                )
            if tool["type"] in ("function", "custom"):
                # A Chat Completions tool ({"type": "function", "function": {...}}) lands
                # here: the Responses shape has the name at the top level.
                if not isinstance(tool.get("name"), str) or not tool["name"]:
                    return _invalid(
                        f"Missing required parameter: 'tools[{i}].name'.",
                        f"tools[{i}].name",
                        "missing_required_parameter",
                    )
                names.append(tool["name"])
            if tool["type"] == "function" and not isinstance(tool.get("parameters", {}), dict):
                return _invalid(
                    f"Invalid type for 'tools[{i}].parameters': expected an object, "
                    f"but got {_type_name(tool['parameters'])} instead.",
                    f"tools[{i}].parameters",
                    "invalid_type",
                )
    if tool_choice is None or tool_choice in ("auto", "none", "required"):
        return None
    if isinstance(tool_choice, dict):
        name = tool_choice.get("name")
        if tool_choice.get("type") == "function" and isinstance(name, str):
            if name in names:
                return None
            return _invalid(
                f"Tool choice '{name}' not found in 'tools' parameter.",
                "tool_choice",
                "invalid_value",
            )
        if tool_choice.get("type") != "function":
            return None  # hosted tool choices ({"type": "web_search"}) pass
    return _invalid("Invalid value for 'tool_choice'.", "tool_choice", "invalid_value")


def _check_reasoning(reasoning: Any, info: JSON) -> Problem | None:
    if reasoning is None:
        return None
    if not isinstance(reasoning, dict):
        return _invalid(
            f"Invalid type for 'reasoning': expected an object, but got "
            f"{_type_name(reasoning)} instead.",
            "reasoning",
            "invalid_type",
        )
    effort = reasoning.get("effort")
    levels = [lvl["effort"] for lvl in info.get("supported_reasoning_levels", [])]
    if effort is not None and effort not in levels:
        return _invalid(
            f"Unsupported value: '{effort}' is not supported with the "
            f"'{info['slug']}' model. Supported values are: {_quote_list(levels)}.",
            "reasoning.effort",
            "unsupported_value",
        )
    summary = reasoning.get("summary")
    if summary is not None and summary not in _SUMMARY:
        return _invalid(
            f"Invalid value: '{summary}'. Supported values are: {_quote_list(_SUMMARY)}.",
            "reasoning.summary",
            "invalid_value",
        )
    return None


def _check_text(text: Any, info: JSON) -> Problem | None:
    if text is None:
        return None
    if not isinstance(text, dict):
        return _invalid(
            f"Invalid type for 'text': expected an object, but got {_type_name(text)} instead.",
            "text",
            "invalid_type",
        )
    verbosity = text.get("verbosity")
    if verbosity is not None:
        # Codex models accept only 'medium' (openai/codex#9035, #9055).
        supported = _VERBOSITY if info.get("support_verbosity") else ("medium",)
        if verbosity not in supported:
            return _invalid(
                f"Unsupported value: '{verbosity}' is not supported with the "
                f"'{info['slug']}' model. Supported values are: "
                f"{_quote_list(supported)}.",
                "text.verbosity",
                "unsupported_value",
            )
    fmt = text.get("format")
    if fmt is None:
        return None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        return _invalid(
            f"Invalid value: '{kind}'. Supported values are: 'text', "
            "'json_object', and 'json_schema'.",
            "text.format.type",
            "invalid_value",
        )
    assert isinstance(fmt, dict)
    if kind == "json_schema":
        for name in ("name", "schema"):
            if name not in fmt:
                # The Chat Completions shape nests these under "json_schema": not here.
                return _invalid(
                    f"Missing required parameter: 'text.format.{name}'.",
                    f"text.format.{name}",
                    "missing_required_parameter",
                )
    return None


def _check_include(include: Any) -> Problem | None:
    if include is None:
        return None
    if not isinstance(include, list) or not all(isinstance(x, str) for x in include):
        return _invalid(
            "Invalid type for 'include': expected an array of strings.", "include", "invalid_type"
        )
    return None


# =====================================================================================
# The default responder (pure)
# =====================================================================================


@dataclass
class ReplyPlan:
    """What the simulated model answers: optional reasoning, then tool calls or text."""

    text: str | None = None
    #: ``(name, arguments JSON string)`` per call.
    tool_calls: list[tuple[str, str]] = field(default_factory=list)
    #: Summary paragraphs; ``None`` = no reasoning item, ``[]`` = reasoning without summary.
    reasoning: list[str] | None = None
    reasoning_effort: str | None = None
    encrypted_reasoning: bool = False
    #: Set when the tools were declared in an ``additional_tools`` namespace (Lite).
    tool_namespace: str | None = None


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        return []
    return [p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]


def _last_user_message(items: Sequence[Any]) -> JSON | None:
    for item in reversed(items):
        if (
            isinstance(item, dict)
            and item.get("type", "message") == "message"
            and item.get("role") == "user"
        ):
            return item
    return None


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    return " ".join(_texts(output))


def sample_from_schema(schema: Any, text: str = "", *, root: Any = None, depth: int = 0) -> Any:
    """A value matching a (simple) JSON schema: required keys filled by type.

    Strings become ``text``; numbers 1 / 1.5; booleans ``True``; arrays one element;
    ``enum``/``const`` their first value; ``anyOf``/``oneOf`` the first branch; local
    ``$ref`` (``#/$defs/..``, ``#/definitions/..``) is followed. Without ``required``
    every property is filled.
    """
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > 8:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        return sample_from_schema(target, text, root=root, depth=depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return sample_from_schema(schema[key][0], text, root=root, depth=depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties") or {}
        keys = schema.get("required")
        if not isinstance(keys, list):
            keys = list(props)
        return {
            k: sample_from_schema(props.get(k, {}), text, root=root, depth=depth + 1) for k in keys
        }
    if kind == "array":
        return [sample_from_schema(schema.get("items", {}), text, root=root, depth=depth + 1)]
    return {"string": text, "integer": 1, "number": 1.5, "boolean": True}.get(kind)


_CALL_MARKER = re.compile(r"\bcall\s+", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z_][\w-]*")


def _parse_calls(text: str, tools: Mapping[str, JSON]) -> list[tuple[str, str | None]]:
    """``call a {"x": 1} and b`` -> ``[("a", '{"x": 1}'), ("b", None)]`` (names in ``tools``)."""
    calls: list[tuple[str, str | None]] = []
    decoder = json.JSONDecoder()
    for marker in _CALL_MARKER.finditer(text):
        pos = marker.end()
        while True:
            while pos < len(text) and (text[pos].isspace() or text[pos] == ","):
                pos += 1
            match = _NAME.match(text, pos)
            if match is None:
                break
            if match.group().lower() == "and":
                pos = match.end()
                continue
            if match.group() not in tools:
                break
            pos = match.end()
            args: str | None = None
            rest = len(text[pos:]) - len(text[pos:].lstrip())
            if text[pos + rest : pos + rest + 1] == "{":
                try:
                    value, end = decoder.raw_decode(text, pos + rest)
                except ValueError:
                    value, end = None, pos
                if isinstance(value, dict):
                    args, pos = json.dumps(value), end
            calls.append((match.group(), args))
        if calls:
            break
    return calls


def plan_reply(body: Mapping[str, Any]) -> ReplyPlan:
    """Decide the default reply to a (validated) ``/responses`` body; rules in the module
    docstring."""
    items = body.get("input") or []
    user = _last_user_message(items)
    user_text = " ".join(_texts(user.get("content"))) if user else ""
    plan = ReplyPlan()

    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort", "medium") != "none":
        plan.reasoning_effort = reasoning.get("effort") or "medium"
        summary = reasoning.get("summary")
        plan.reasoning = []
        if summary in ("auto", "concise", "detailed"):
            short = user_text if len(user_text) <= 60 else user_text[:57] + "..."
            plan.reasoning.append(f"Thinking about: {short}")
            if summary == "detailed":
                plan.reasoning.append("Planning the answer step by step.")
        plan.encrypted_reasoning = "reasoning.encrypted_content" in (body.get("include") or [])

    # Trailing tool outputs: the model answers with their content.
    outputs: list[str] = []
    for item in reversed(items):
        if isinstance(item, dict) and item.get("type") in (
            "function_call_output",
            "custom_tool_call_output",
        ):
            outputs.append(_output_text(item.get("output")))
        else:
            break
    tools = {
        t["name"]: t
        for t in _declared_tools(body) or []
        if isinstance(t, dict) and t.get("type") == "function" and "name" in t
    }
    if body.get("tools") is None and tools:
        # Tools declared in a namespace: the calls name it (see tool_call_events).
        plan.tool_namespace = "functions"
    choice = body.get("tool_choice")
    if not outputs and tools and choice != "none":
        calls = _parse_calls(user_text, tools)
        if not calls and isinstance(choice, dict) and choice.get("name") in tools:
            calls = [(choice["name"], None)]
        elif not calls and choice == "required":
            calls = [(next(iter(tools)), None)]
        if body.get("parallel_tool_calls") is False:
            calls = calls[:1]
        for name, args in calls:
            if args is None:
                value = sample_from_schema(tools[name].get("parameters") or {}, "sample")
                args = json.dumps(value if isinstance(value, dict) else {})
            plan.tool_calls.append((name, args))
        if plan.tool_calls:
            return plan

    if outputs:
        plain = "tool result: " + "; ".join(reversed(outputs))
    else:
        images = sum(
            1
            for p in (user.get("content") if user else None) or []
            if isinstance(p, dict) and p.get("type") == "input_image"
        )
        plain = f"echo: {user_text}"
        if images:
            plain = f"I see {images} image(s). {plain}"
    fmt = (body.get("text") or {}).get("format") or {}
    if fmt.get("type") == "json_schema":
        plan.text = json.dumps(sample_from_schema(fmt.get("schema") or {}, plain))
    elif fmt.get("type") == "json_object":
        plan.text = json.dumps({"answer": plain})
    else:
        plan.text = plain
    return plan


_EFFORT_TOKENS = {"minimal": 0, "low": 8, "medium": 16, "high": 32, "xhigh": 64}


def count_input_tokens(body: Mapping[str, Any]) -> int:
    """Rough input size: instructions, every text, call and output; 85 per image."""
    total = estimate_tokens(str(body.get("instructions") or ""))
    for item in body.get("input") or []:
        if not isinstance(item, dict):
            continue
        for text in _texts(item.get("content")):
            total += estimate_tokens(text)
        for part in item.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "input_image":
                total += 85
        for key in ("name", "arguments", "input"):
            if isinstance(item.get(key), str):
                total += estimate_tokens(item[key])
        if "output" in item:
            total += estimate_tokens(_output_text(item["output"]))
    tools = _declared_tools(body)
    if tools:
        total += estimate_tokens(json.dumps(tools))
    return total


def plan_events(
    plan: ReplyPlan,
    model: str,
    *,
    input_tokens: int = 0,
    cached_tokens: int = 0,
    response_id: str | None = None,
    completed_output: bool = False,
) -> list[Event]:
    """The numbered event stream for ``plan`` (reasoning, then tool calls or the text)."""
    items: list[list[Event]] = []
    reasoning_tokens = output_tokens = 0
    if plan.reasoning is not None:
        encrypted = None
        if plan.encrypted_reasoning:
            encrypted = "gAAAAB" + base64.b64encode(json.dumps(plan.reasoning).encode()).decode()
        items.append(reasoning_events(plan.reasoning, encrypted_content=encrypted))
        reasoning_tokens = sum(estimate_tokens(p) for p in plan.reasoning) + _EFFORT_TOKENS.get(
            plan.reasoning_effort or "medium", 16
        )
    for name, args in plan.tool_calls:
        items.append(tool_call_events(name, args, namespace=plan.tool_namespace))
        output_tokens += estimate_tokens(name) + estimate_tokens(args)
    if not plan.tool_calls and plan.text is not None:
        items.append(text_events(plan.text))
        output_tokens += estimate_tokens(plan.text)
    output_tokens += reasoning_tokens
    return response_stream(
        model,
        items,
        response_id=response_id,
        completed_output=completed_output,
        usage=usage(
            input_tokens,
            output_tokens,
            cached_tokens=min(cached_tokens, input_tokens),
            reasoning_tokens=reasoning_tokens,
        ),
    )


# =====================================================================================
# Rate-limit headers (§4.2)
# =====================================================================================


@dataclass
class RateLimitWindow:
    """One usage window as the ``x-codex-<primary|secondary>-*`` headers describe it."""

    used_percent: float
    window_minutes: int
    reset_after_seconds: int


@dataclass
class RateLimits:
    """The state reported in ``x-codex-*`` headers on every answer (primary ~5 h, secondary
    weekly). Header names as captured from the real service (icebear0828/codex-proxy#65,
    earendil-works/pi#4172)."""

    primary: RateLimitWindow = field(default_factory=lambda: RateLimitWindow(12.0, 300, 9000))
    secondary: RateLimitWindow = field(default_factory=lambda: RateLimitWindow(4.0, 10080, 400_000))
    active_limit: str = "codex"
    has_credits: bool = False
    unlimited: bool = False
    balance: str = "0"

    def headers(self, now: float, plan_type: str) -> dict[str, str]:
        """The header set at time ``now``."""
        out = {"x-codex-active-limit": self.active_limit, "x-codex-plan-type": plan_type}
        for name, window in (("primary", self.primary), ("secondary", self.secondary)):
            out[f"x-codex-{name}-used-percent"] = f"{window.used_percent:g}"
            out[f"x-codex-{name}-window-minutes"] = str(window.window_minutes)
            out[f"x-codex-{name}-reset-after-seconds"] = str(window.reset_after_seconds)
            out[f"x-codex-{name}-reset-at"] = str(int(now) + window.reset_after_seconds)
        out["x-codex-primary-over-secondary-limit-percent"] = "0"
        out["x-codex-credits-has-credits"] = str(self.has_credits)
        out["x-codex-credits-unlimited"] = str(self.unlimited)
        out["x-codex-credits-balance"] = self.balance
        return out


# =====================================================================================
# Recording and scripting
# =====================================================================================


@dataclass
class RecordedRequest:
    """A ``/responses`` call that passed auth and the body checks."""

    body: JSON
    #: Request headers, keys lower-case.
    headers: dict[str, str]
    account_id: str
    #: Name of the :class:`Fault` that answered it, or ``None`` for a normal reply.
    fault: str | None = None

    @property
    def model(self) -> str:
        return str(self.body.get("model"))


@dataclass
class Rejection:
    """A call the checks refused (auth or body): what came in and what went out."""

    path: str
    status: int
    error: JSON
    headers: dict[str, str]
    body: bytes


@dataclass
class Turn:
    """Context handed to a :class:`Fault` or a custom responder for one accepted call."""

    backend: CodexBackend
    body: JSON
    headers: dict[str, str]
    account: Account
    response_id: str
    now: float

    @property
    def model(self) -> str:
        return str(self.body.get("model"))

    def default_events(self) -> list[Event]:
        """What the responder would stream for this call (numbered)."""
        return self.backend.responder(self)

    def ok_headers(self) -> dict[str, str]:
        """Headers of a normal 200 answer (request id, models etag, rate limits)."""
        return self.backend.ok_headers(self)


class Fault:
    """A scripted answer for one ``/responses`` call: an error, a broken stream, or a custom
    reply. Queue them with :meth:`CodexBackend.queue`; each is used once, in order, by the
    next call that passes auth and the body checks (so the request is still recorded)."""

    def __init__(self, name: str, build: Callable[[Turn], Response]) -> None:
        self.name = name
        self._build = build

    def __repr__(self) -> str:
        return f"Fault({self.name})"

    def build(self, turn: Turn) -> Response:
        """The response for ``turn``."""
        return self._build(turn)

    # -- HTTP errors ------------------------------------------------------------------

    @classmethod
    def status(cls, code: int, body: Any = None, headers: Mapping[str, str] | None = None) -> Fault:
        """Answer ``code`` with a JSON ``body`` (and extra ``headers``)."""
        body = {"detail": f"simulated {code}"} if body is None else body
        return cls(
            f"status:{code}", lambda turn: json_response(body, code, {**_ids(), **(headers or {})})
        )

    @classmethod
    def usage_limit(
        cls,
        resets_in: int = 3600,
        *,
        plan_type: str | None = None,
        message: str = "The usage limit has been reached",
    ) -> Fault:
        """429 ``usage_limit_reached`` with ``resets_at`` / ``resets_in_seconds`` and the
        ``x-codex-*`` headers showing the primary window at 100% (§4.1; body as captured
        in james-6-23/codex2api#9)."""

        def build(turn: Turn) -> Response:
            plan = plan_type or turn.account.plan
            limits = copy.deepcopy(turn.backend.rate_limits)
            limits.primary.used_percent = 100.0
            limits.primary.reset_after_seconds = resets_in
            body = {
                "error": {
                    "type": "usage_limit_reached",
                    "message": message,
                    "plan_type": plan,
                    "resets_at": int(turn.now) + resets_in,
                    "eligible_promo": None,
                    "resets_in_seconds": resets_in,
                }
            }
            headers = {
                **_ids(),
                **limits.headers(turn.now, plan),
                "x-models-etag": turn.backend.etag,
            }
            return json_response(body, 429, headers)

        return cls("usage_limit", build)

    @classmethod
    def unauthorized_once(cls) -> Fault:
        """401 as for an expired token, whatever the token (the client should refresh)."""
        return cls("unauthorized", lambda turn: json_response(_TOKEN_EXPIRED, 401, _ids()))

    @classmethod
    def server_error(cls, code: int = 500) -> Fault:
        """A 5xx with an OpenAI-style body."""
        body = {
            "error": {
                "message": "The server had an error while processing your request. "
                "Sorry about that!",
                "type": "server_error",
                "param": None,
                "code": "server_error",
            }
        }
        return cls(f"server_error:{code}", lambda turn: json_response(body, code, _ids()))

    @classmethod
    def deactivated_workspace(cls) -> Fault:
        """402 ``{"detail": {"code": "deactivated_workspace"}}`` (HKUDS/nanobot#1738)."""
        return cls.status(402, {"detail": {"code": "deactivated_workspace"}})

    # -- broken streams -----------------------------------------------------------------

    @classmethod
    def drop_after(cls, n_events: int) -> Fault:
        """Stream the first ``n_events`` events of the normal reply, then cut the connection
        without ending the chunked body (the client sees a broken transfer)."""
        return cls(
            f"drop_after:{n_events}",
            lambda turn: _stream(turn, [*turn.default_events()[:n_events], DROP]),
        )

    @classmethod
    def stall(cls, seconds: float, *, after_events: int = 0) -> Fault:
        """Go quiet for ``seconds`` after ``after_events`` events, then finish normally
        (the stall ends early when the server stops)."""

        def build(turn: Turn) -> Response:
            events = turn.default_events()
            return _stream(turn, [*events[:after_events], Stall(seconds), *events[after_events:]])

        return cls(f"stall:{seconds}", build)

    @classmethod
    def malformed(cls, *, after_events: int = 1, frame: bytes = b"data: {not json\n\n") -> Fault:
        """Insert a frame whose data is not JSON after ``after_events`` events."""

        def build(turn: Turn) -> Response:
            events = turn.default_events()
            return _stream(turn, [*events[:after_events], frame, *events[after_events:]])

        return cls("malformed", build)

    @classmethod
    def no_completed(cls) -> Fault:
        """The normal reply without its final ``response.completed`` (clean EOF)."""
        return cls("no_completed", lambda turn: _stream(turn, turn.default_events()[:-1]))

    @classmethod
    def failed(
        cls,
        code: str = "server_error",
        message: str = "An error occurred.",
        *,
        after_events: int = 2,
        **error_fields: Any,
    ) -> Fault:
        """``response.failed`` after ``after_events`` events of the normal reply (the first
        two are created / in_progress). E.g. ``failed("context_length_exceeded", ...)``."""

        def build(turn: Turn) -> Response:
            events = turn.default_events()[:after_events]
            final = failed_event(turn.response_id, turn.model, code, message, **error_fields)
            return _stream(turn, [*events, final])

        return cls(f"failed:{code}", build)

    @classmethod
    def error_event(
        cls,
        code: str = "server_error",
        message: str = "An error occurred.",
        *,
        after_events: int = 2,
    ) -> Fault:
        """A bare ``error`` event after ``after_events`` events, then the stream ends."""

        def build(turn: Turn) -> Response:
            events = turn.default_events()[:after_events]
            return _stream(turn, [*events, error_event(code, message)])

        return cls(f"error_event:{code}", build)

    @classmethod
    def incomplete(cls, reason: str = "max_output_tokens") -> Fault:
        """The normal reply, but ending in ``response.incomplete`` with ``reason``."""

        def build(turn: Turn) -> Response:
            events = turn.default_events()
            use = events[-1].get("response", {}).get("usage")
            final = incomplete_event(turn.response_id, turn.model, reason, use)
            return _stream(turn, [*events[:-1], final])

        return cls(f"incomplete:{reason}", build)

    # -- custom replies -------------------------------------------------------------------

    @classmethod
    def events(cls, events: Sequence[Event | bytes | object], *, number: bool = True) -> Fault:
        """Stream exactly ``events`` (dicts framed as SSE; bytes, :data:`DROP` and
        :class:`Stall` pass through). ``number`` adds ``sequence_number``s."""
        events = list(events)
        return cls("events", lambda turn: _stream(turn, events, number=number))

    @classmethod
    def text(cls, text: str) -> Fault:
        """Answer with ``text`` instead of the default reply."""
        return cls(
            "text",
            lambda turn: _stream(
                turn,
                plan_events(
                    ReplyPlan(text=text),
                    turn.model,
                    response_id=turn.response_id,
                    input_tokens=count_input_tokens(turn.body),
                ),
            ),
        )

    @classmethod
    def tool_calls(cls, *calls: tuple[str, str | Mapping[str, Any]]) -> Fault:
        """Answer with function calls ``(name, arguments)`` instead of the default reply."""
        plan = ReplyPlan(
            tool_calls=[(n, a if isinstance(a, str) else json.dumps(a)) for n, a in calls]
        )
        return cls(
            "tool_calls",
            lambda turn: _stream(
                turn,
                plan_events(
                    plan,
                    turn.model,
                    response_id=turn.response_id,
                    input_tokens=count_input_tokens(turn.body),
                ),
            ),
        )


def _ids() -> dict[str, str]:
    request_id = "req_" + secrets.token_hex(16)
    return {"x-request-id": request_id, "x-oai-request-id": request_id}


def _stream(turn: Turn, events: Sequence[Any], *, number: bool = True) -> Response:
    # Renumbering keeps sequence_number consecutive after a fault cut or spliced events.
    return sse_response(number_events(events) if number else events, headers=turn.ok_headers())


# The ChatGPT backend's expired-token answer (acheong08/ChatGPT#29,
# rawandahmad698/PyChatGPT#85): {"detail": {...code: token_expired}}.
_TOKEN_EXPIRED: JSON = {
    "detail": {
        "message": "Your authentication token has expired. Please try signing in again.",
        "type": "invalid_request_error",
        "param": None,
        "code": "token_expired",
    }
}
# An unknown token: the Codex backend answers a bare {"detail": "Unauthorized"}
# (openai/codex#41973).
_UNAUTHORIZED: JSON = {"detail": "Unauthorized"}


def _jwt_claims(token: str) -> JSON | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def _unzstd(data: bytes) -> bytes:
    import zstandard

    try:
        # Bodies compressed in one shot carry their size; streamed ones may not.
        with zstandard.ZstdDecompressor().stream_reader(data) as reader:
            return reader.read()
    except zstandard.ZstdError as exc:
        raise ValueError(str(exc)) from exc


def _version(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


# =====================================================================================
# The controller
# =====================================================================================


class CodexBackend:
    """Serves ``{base}/responses`` and ``{base}/models`` on a :class:`SimServer`; the handle
    tests use to script faults and inspect requests. Build it with
    :func:`install_codex_backend`.

    Attributes worth knowing:

    - :attr:`requests`: every accepted ``/responses`` call (:class:`RecordedRequest`);
    - :attr:`rejections`: every refused call (:class:`Rejection`), for debugging;
    - :attr:`models`: the ``/models`` list (set it with :meth:`set_models`);
    - :attr:`rate_limits`: the ``x-codex-*`` header state;
    - :attr:`responder`: ``Callable[[Turn], list[event]]``, replace it to change the reply;
    - :attr:`require_account_header`: refuse calls without ``ChatGPT-Account-ID`` (default);
    - :attr:`completed_output`: put the streamed items in ``response.completed.output``
      instead of the real backend's ``[]`` (default ``False``).
    """

    def __init__(
        self, server: SimServer, authority: OpenAIAuthority, base_path: str = "/backend-api/codex"
    ) -> None:
        self.server = server
        self.authority = authority
        self.base_path = base_path.rstrip("/")
        self.rate_limits = RateLimits()
        self.require_account_header = True
        self.completed_output = False
        self.responder: Callable[[Turn], list[Event]] = self.default_responder
        self.requests: list[RecordedRequest] = []
        self.rejections: list[Rejection] = []
        self.model_requests: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self._cache: dict[str, int] = {}
        self._models: list[JSON] = default_models()
        self._etag = self._compute_etag()

    # -- scripting -------------------------------------------------------------------------

    def queue(self, *faults: Fault) -> None:
        """Answer the next accepted ``/responses`` calls with ``faults``, in order."""
        with self._lock:
            self._queue.extend(faults)

    @property
    def pending(self) -> int:
        """How many queued faults are still unused."""
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        """Drop queued faults, recorded requests, rejections and the prompt cache."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.rejections.clear()
            self.model_requests.clear()
            self._cache.clear()

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent accepted ``/responses`` call."""
        with self._lock:
            if not self.requests:
                raise LookupError("no /responses call has been accepted yet")
            return self.requests[-1]

    # -- models ------------------------------------------------------------------------------

    @property
    def models(self) -> list[JSON]:
        """A copy of the served model list."""
        with self._lock:
            return copy.deepcopy(self._models)

    def set_models(self, models: Iterable[JSON]) -> None:
        """Serve ``models`` (build entries with :func:`model_info`); the ETag changes."""
        with self._lock:
            self._models = copy.deepcopy(list(models))
            self._etag = self._compute_etag()

    @property
    def etag(self) -> str:
        """The current ``/models`` ETag (also sent as ``x-models-etag`` on ``/responses``)."""
        with self._lock:
            return self._etag

    def _compute_etag(self) -> str:
        digest = hashlib.sha256(json.dumps(self._models, sort_keys=True).encode()).hexdigest()
        return f'W/"{digest[:32]}"'  # weak, as captured (icebear0828/codex-proxy#65)

    # -- HTTP ----------------------------------------------------------------------------------

    def authenticate(self, headers: Mapping[str, str]) -> tuple[Account | None, Problem | None]:
        """Check the auth headers: ``(account, None)`` or ``(None, (status, body))``.

        - no/garbled ``Authorization: Bearer`` or a token the authority never issued: 401
          ``{"detail": "Unauthorized"}`` (openai/codex#41973);
        - an issued token that expired or was revoked: 401 ``{"detail": {... "code":
          "token_expired"}}`` (the ChatGPT backend's shape);
        - ``ChatGPT-Account-ID`` missing (when :attr:`require_account_header`) or not the
          token's account: 403 ``{"detail": {"code": "account_mismatch", ...}}``
          (simulator decision: the real answer is not documented).

        ``originator``, ``User-Agent`` and ``session_id`` are not required (the real service
        tolerates their absence, §2.1) but are recorded with every request.
        """
        auth = headers.get("authorization") or ""
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None, (401, _UNAUTHORIZED)
        account = self.authority.check_access(token)
        if account is None:
            claims = _jwt_claims(token)
            if claims is not None and claims.get("iss") == self.authority.issuer:
                return None, (401, _TOKEN_EXPIRED)
            return None, (401, _UNAUTHORIZED)
        account_header = headers.get("chatgpt-account-id")
        if (account_header is None and self.require_account_header) or (
            account_header is not None and account_header != account.account_id
        ):
            return None, (
                403,
                {
                    "detail": {
                        "code": "account_mismatch",
                        "message": "The ChatGPT-Account-ID header does not match the signed-in "
                        "account.",
                    }
                },
            )
        return account, None

    def ok_headers(self, turn: Turn) -> dict[str, str]:
        """Headers of a 200 stream: request ids, ``x-models-etag``, ``x-codex-*``."""
        return {
            **_ids(),
            "x-models-etag": self.etag,
            "openai-model": turn.model,
            **self.rate_limits.headers(turn.now, turn.account.plan),
        }

    def _reject(self, request: Request, problem: Problem) -> Response:
        status, body = problem
        with self._lock:
            self.rejections.append(
                Rejection(request.path, status, body, dict(request.headers), request.body)
            )
        return json_response(body, status, _ids())

    def handle_responses(self, request: Request) -> Response:
        """``POST {base}/responses``."""
        account, problem = self.authenticate(request.headers)
        if problem is not None:
            return self._reject(request, problem)
        assert account is not None
        raw = request.body
        encoding = (request.headers.get("content-encoding") or "").strip().lower()
        if encoding == "zstd":
            # The reference compresses its request bodies (§1.3).
            try:
                raw = _unzstd(raw)
            except ValueError:
                return self._reject(request, _detail("Request body is not valid zstd data"))
        elif encoding not in ("", "identity"):
            return self._reject(
                request, _detail(f"Unsupported content-encoding: {encoding}", status=415)
            )
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return self._reject(request, _detail("Request body is not valid JSON"))
        problem = validate_request(body, self.models, request.headers)
        if problem is not None:
            return self._reject(request, problem)
        turn = Turn(
            self, body, dict(request.headers), account, new_id("resp"), self.authority.clock()
        )
        with self._lock:
            fault = self._queue.popleft() if self._queue else None
            self.requests.append(
                RecordedRequest(
                    body, dict(request.headers), account.account_id, fault.name if fault else None
                )
            )
        if fault is not None:
            return fault.build(turn)
        return _stream(turn, self.responder(turn))

    def default_responder(self, turn: Turn) -> list[Event]:
        """The deterministic reply of :func:`plan_reply`, with prompt-cache accounting
        (a repeated ``prompt_cache_key`` reports the previous input as cached) and the
        context-window check."""
        body = turn.body
        input_tokens = count_input_tokens(body)
        info = next((m for m in self.models if m.get("slug") == turn.model), {})
        window = info.get("context_window")
        if isinstance(window, int) and input_tokens > window:
            # The real service reports this in-stream (§3.3 c, §4.1).
            final = failed_event(
                turn.response_id,
                turn.model,
                "context_length_exceeded",
                "Your input exceeds the context window of this model. Please adjust your "
                "input and try again.",
            )
            return response_stream(turn.model, [], response_id=turn.response_id, final=final)
        key = body.get("prompt_cache_key")
        cached = 0
        if isinstance(key, str):
            with self._lock:
                cached = self._cache.get(key, 0)
                self._cache[key] = input_tokens
        return plan_events(
            plan_reply(body),
            turn.model,
            input_tokens=input_tokens,
            cached_tokens=cached,
            response_id=turn.response_id,
            completed_output=self.completed_output,
        )

    def handle_models(self, request: Request) -> Response:
        """``GET {base}/models?client_version=...`` with ``ETag`` / ``If-None-Match``."""
        _, problem = self.authenticate(request.headers)
        if problem is not None:
            return self._reject(request, problem)
        client_version = (request.query.get("client_version") or [""])[0]
        with self._lock:
            self.model_requests.append({"client_version": client_version, **dict(request.headers)})
        etag = self.etag
        headers = {**_ids(), "etag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(304, headers)
        models = self.models
        if client_version:
            # Models newer than the client are hidden (inferred from
            # `minimal_client_version`, §5).
            have = _version(client_version)
            models = [
                m for m in models if _version(str(m.get("minimal_client_version") or "0")) <= have
            ]
        return json_response({"models": models}, 200, headers)


def install_codex_backend(
    server: SimServer, authority: OpenAIAuthority, *, base_path: str = "/backend-api/codex"
) -> CodexBackend:
    """Register ``POST {base_path}/responses`` and ``GET {base_path}/models`` on ``server``."""
    backend = CodexBackend(server, authority, base_path)
    server.route("POST", f"{backend.base_path}/responses", backend.handle_responses)
    server.route("GET", f"{backend.base_path}/models", backend.handle_models)
    return backend


class CodexBackendSimulator(SimServer):
    """A standalone Codex backend on 127.0.0.1 with its own :class:`OpenAIAuthority`.

    ``sim.backend`` is the :class:`CodexBackend` controller; ``sim.queue``,
    ``sim.requests`` and ``sim.set_models`` are shortcuts to it.
    """

    def __init__(
        self,
        authority: OpenAIAuthority | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        base_path: str = "/backend-api/codex",
    ) -> None:
        super().__init__(host, port)
        self.authority = authority or OpenAIAuthority()
        self.backend = install_codex_backend(self, self.authority, base_path=base_path)

    def __enter__(self) -> CodexBackendSimulator:
        self.start()
        return self

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:<port>/backend-api/codex``."""
        return f"{self.url}{self.backend.base_path}"

    def auth_headers(
        self, tokens: Mapping[str, str] | None = None, *, account: Account | None = None
    ) -> dict[str, str]:
        """Headers a Codex client sends, for a fresh token set (or ``tokens``)."""
        tokens = tokens or self.authority.issue(account)
        owner = self.authority.check_access(tokens["access_token"]) or self.authority.account
        return {
            "Authorization": f"Bearer {tokens['access_token']}",
            "ChatGPT-Account-ID": owner.account_id,
            "originator": "codex_cli_rs",
            "User-Agent": "codex_cli_rs/0.171.0 (simulator)",
            "version": "0.171.0",
            "Accept": "text/event-stream",
        }

    def queue(self, *faults: Fault) -> None:
        """Shortcut for :meth:`CodexBackend.queue`."""
        self.backend.queue(*faults)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Shortcut for :attr:`CodexBackend.requests`."""
        return self.backend.requests

    def set_models(self, models: Iterable[JSON]) -> None:
        """Shortcut for :meth:`CodexBackend.set_models`."""
        self.backend.set_models(models)
