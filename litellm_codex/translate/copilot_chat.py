"""GitHub Copilot ``/chat/completions`` requests: the body, per model, and tool call ids (pure).

Copilot's chat endpoint speaks OpenAI Chat Completions, but the models behind it (OpenAI,
Anthropic, Google) have their own habits. What the request depends on comes from the model's
``/models`` entry (:class:`ChatModelTraits`), never from its name; the sources are in
``protocols/github-copilot.md`` and ``reference-clients-2026-11.md``:

- OpenAI's reasoning models reject ``max_tokens`` and the sampling knobs (§3.5); the caller's
  ``max_tokens`` is sent as ``max_completion_tokens`` to them;
- tool call ids longer than 64 characters are rejected; they are shortened
  deterministically (:func:`shorten_tool_call_id`) and restored in answers (§3.6 quirk 6);
- Gemini gets ``tool_choice: "validated"`` with tools, and its reasoning state echoed
  (:mod:`litellm_codex.translate.copilot_reasoning`, reference-clients-2026-11.md §2).

Answers are read by :mod:`~litellm_codex.translate.copilot_chat_stream` and
:mod:`~litellm_codex.translate.copilot_chat_body`; headers are built by
:mod:`~litellm_codex.translate.copilot_headers`. Nothing here does I/O or imports LiteLLM.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litellm_codex.errors import ConfigurationError
from litellm_codex.translate.copilot_reasoning import echo_reasoning

__all__ = [
    "CHAT_PASSTHROUGH_PARAMS",
    "LITELLM_OWN_PARAMS",
    "MAX_TOOL_CALL_ID_LENGTH",
    "OPENAI_VENDORS",
    "REASONING_MODEL_DROPPED_PARAMS",
    "VALIDATED_TOOL_CHOICE_VENDORS",
    "BuiltChatRequest",
    "ChatModelTraits",
    "build_chat_request",
    "restore_tool_call_id",
    "shorten_tool_call_id",
]

#: Copilot rejects longer tool call ids (§3.6 quirk 6; nanobot issue #1554).
MAX_TOOL_CALL_ID_LENGTH = 64

#: Request parameters passed to Copilot as they are. Anything else the caller sent is
#: reported in :attr:`BuiltChatRequest.dropped` so the provider can warn once.
CHAT_PASSTHROUGH_PARAMS: frozenset[str] = frozenset(
    {
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "temperature",
        "top_p",
        "stop",
        "n",
        "reasoning_effort",
        "max_tokens",
        "max_completion_tokens",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "user",
        "prediction",
        "thinking",
    }
)

#: LiteLLM's own call settings that reach a custom handler's ``optional_params`` (the
#: proxy sets ``max_retries`` on every call): never sent upstream and never warned about.
LITELLM_OWN_PARAMS: frozenset[str] = frozenset({"max_retries", "timeout", "api_version"})

#: Sampling knobs that OpenAI reasoning models (o-series, GPT-5) refuse on Chat
#: Completions; dropped for those models so a framework's harmless default cannot fail
#: the request (SPEC §4 "Parameters the backend rejects ... are dropped").
REASONING_MODEL_DROPPED_PARAMS: frozenset[str] = frozenset(
    {
        "temperature",
        "top_p",
        "presence_penalty",
        "frequency_penalty",
        "logprobs",
        "top_logprobs",
        "logit_bias",
    }
)

#: ``/models`` ``vendor`` values of OpenAI's own models (Copilot serves some from Azure,
#: ``protocols/github-copilot.md`` §3.4).
OPENAI_VENDORS: frozenset[str] = frozenset({"OpenAI", "Azure OpenAI"})

#: ``/models`` vendors whose tool calls the reference asks to have validated:
#: ``tool_choice: "validated"`` on Gemini's chat requests (reference-clients-2026-11.md §2).
#: It is Gemini's function-calling mode ``VALIDATED``: the model chooses between text and
#: tool calls as with ``auto``, and a tool call is constrained to the tool's schema.
VALIDATED_TOOL_CHOICE_VENDORS: frozenset[str] = frozenset({"Google"})


# --------------------------------------------------------------------------------------
# Tool call ids


def shorten_tool_call_id(call_id: str) -> str:
    """``call_id`` if it fits in 64 characters, else a deterministic 64-character stand-in.

    The stand-in keeps a readable prefix and ends with a hash of the whole id, so two long
    ids that share a prefix stay distinct and the same id always maps to the same value
    (a conversation replayed turn after turn sends the same shortened ids).
    """
    if len(call_id) <= MAX_TOOL_CALL_ID_LENGTH:
        return call_id
    digest = hashlib.sha256(call_id.encode("utf-8")).hexdigest()[:24]
    keep = MAX_TOOL_CALL_ID_LENGTH - len(digest) - 1
    return f"{call_id[:keep]}_{digest}"


def restore_tool_call_id(call_id: str, id_map: Mapping[str, str]) -> str:
    """The caller's original id for ``call_id`` (``id_map``: shortened -> original)."""
    return id_map.get(call_id, call_id)


# --------------------------------------------------------------------------------------
# What the request needs to know of the model (from /models)


@dataclass(frozen=True)
class ChatModelTraits:
    """What a chat request depends on, read from the model's ``/models`` entry.

    The one place that decides per-model request behaviour for ``/chat/completions``. The
    defaults are those of a model without a known entry (the list could not be fetched,
    or does not name the model): the request goes out as the caller wrote it, with
    ``max_tokens``, which every chat model behind Copilot takes except OpenAI's reasoning
    models (§3.5) and which copilot-api sends to every model (§5.1, ``max_tokens`` filled from
    ``limits.max_output_tokens``). Such a model answers with a clear 400 ("Use
    'max_completion_tokens' instead") rather than a different answer. (Sending
    ``max_completion_tokens`` to every unknown model instead would trade that for a
    parameter nothing documents for the Claude and Gemini models on this endpoint.)
    """

    #: ``capabilities.supports.reasoning_effort``: the efforts a caller may ask for
    #: (``None``: the model lists none, any effort is passed through).
    reasoning_efforts: tuple[str, ...] | None = None
    #: Tool calls validated (``tool_choice: "validated"``): a vendor in
    #: :data:`VALIDATED_TOOL_CHOICE_VENDORS`.
    validated_tools: bool = False
    #: One of OpenAI's reasoning models (GPT-5, o-series): a vendor in
    #: :data:`OPENAI_VENDORS` whose entry lists reasoning efforts. These take
    #: ``max_completion_tokens`` and not ``max_tokens`` nor the sampling knobs of
    #: :data:`REASONING_MODEL_DROPPED_PARAMS` (§3.5), and take ``verbosity``. (Claude and
    #: Gemini list efforts too, hence the vendor.)
    openai_reasoning: bool = False

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any] | None) -> ChatModelTraits:
        """The traits of the model with this ``/models`` entry (``None`` or ``{}``: unknown)."""
        if not entry:
            return cls()
        capabilities = entry.get("capabilities")
        supports = capabilities.get("supports") if isinstance(capabilities, Mapping) else None
        levels = supports.get("reasoning_effort") if isinstance(supports, Mapping) else None
        efforts = tuple(str(x) for x in levels) if isinstance(levels, list) and levels else None
        vendor = str(entry.get("vendor") or "")
        return cls(
            reasoning_efforts=efforts,
            validated_tools=vendor in VALIDATED_TOOL_CHOICE_VENDORS,
            openai_reasoning=vendor in OPENAI_VENDORS and efforts is not None,
        )


# --------------------------------------------------------------------------------------
# Requests


@dataclass(frozen=True)
class BuiltChatRequest:
    """A Copilot ``/chat/completions`` body and what was left out of it."""

    body: dict[str, Any]
    #: Names of caller parameters not sent (the provider warns once about each).
    dropped: tuple[str, ...] = ()
    #: Shortened tool call id -> the caller's original, for restoring ids in answers.
    tool_call_ids: dict[str, str] = field(default_factory=dict)


def build_chat_request(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    *,
    stream: bool,
    traits: ChatModelTraits | None = None,
) -> BuiltChatRequest:
    """The body for ``POST {api}/chat/completions``.

    ``messages`` are OpenAI chat messages as plain mappings; they pass through unchanged
    (system messages stay ``system``: LiteLLM's built-in provider turned them into
    ``assistant`` messages, §5.4) except for over-long tool call ids and the reasoning echo.
    ``params`` are the OpenAI parameters the caller set; ``None`` values count as unset.
    ``traits``: the model's, from its ``/models`` entry (:meth:`ChatModelTraits.from_entry`;
    ``None``: unknown). A caller's ``reasoning_effort`` outside the listed efforts is
    refused before sending; with tools and no ``tool_choice`` from the caller, a
    validated-tools model gets ``tool_choice: "validated"``, as the reference sends.
    """
    traits = traits or ChatModelTraits()
    efforts = traits.reasoning_efforts
    effort = params.get("reasoning_effort")
    if efforts and isinstance(effort, str) and effort not in efforts:
        raise ConfigurationError(
            f"reasoning_effort={effort!r} is not supported by this model; it takes "
            + ", ".join(repr(level) for level in efforts)
        )
    id_map: dict[str, str] = {}
    out_messages = [_shorten_ids_in_message(m, id_map) for m in messages]
    reasoning_model = traits.openai_reasoning

    body: dict[str, Any] = {"model": model, "messages": out_messages}
    dropped: list[str] = []
    for name, value in params.items():
        if value is None or name in ("stream", "stream_options", "extra_body"):
            continue
        if name in LITELLM_OWN_PARAMS:
            continue
        if name == "verbosity" and reasoning_model:
            body[name] = value  # OpenAI's reasoning models only; other models reject it
            continue
        if name not in CHAT_PASSTHROUGH_PARAMS or (
            reasoning_model and name in REASONING_MODEL_DROPPED_PARAMS
        ):
            dropped.append(name)
            continue
        body[name] = value

    if reasoning_model and "max_tokens" in body:
        limit = body.pop("max_tokens")
        body.setdefault("max_completion_tokens", limit)
    if traits.validated_tools and body.get("tools") and body.get("tool_choice") is None:
        body["tool_choice"] = "validated"

    body["stream"] = stream
    if stream:
        # Always ask for usage: the stream's ChatFinish carries it either way, and the
        # provider decides whether the caller sees a usage chunk.
        options = params.get("stream_options")
        body["stream_options"] = {**(options if isinstance(options, Mapping) else {})}
        body["stream_options"]["include_usage"] = True

    extra = params.get("extra_body")
    if isinstance(extra, Mapping):
        body.update(extra)
    return BuiltChatRequest(body=body, dropped=tuple(sorted(dropped)), tool_call_ids=id_map)


def _shorten_ids_in_message(message: Mapping[str, Any], id_map: dict[str, str]) -> dict[str, Any]:
    out = dict(message)
    echo_reasoning(out)

    def short(call_id: Any) -> Any:
        if not isinstance(call_id, str):
            return call_id
        new = shorten_tool_call_id(call_id)
        if new != call_id:
            id_map[new] = call_id
        return new

    calls = out.get("tool_calls")
    if isinstance(calls, list):
        new_calls: list[Any] = []
        for call in calls:
            if isinstance(call, Mapping) and "id" in call:
                call = {**call, "id": short(call["id"])}
            new_calls.append(call)
        out["tool_calls"] = new_calls
    if "tool_call_id" in out:
        out["tool_call_id"] = short(out["tool_call_id"])
    return out
