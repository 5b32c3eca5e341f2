"""GitHub Copilot ``/v1/messages`` (the Anthropic Messages API, for Claude models).

The reference client sends Claude models that list ``/v1/messages`` in ``/models`` there
(reference-clients-2026-11.md §2). The request body is built by LiteLLM's own Anthropic
translation (:mod:`litellm_codex.translate._litellm_anthropic`), so thinking blocks with
their signatures and ``cache_control`` survive from the caller's messages; this module picks
the parameters, and reads the Anthropic SSE answer into the neutral
:mod:`litellm_codex.translate.deltas` items, so callers get the same OpenAI-shaped answers,
streams, usage and errors as on the other two routes. Thinking comes out twice: as
``reasoning_content`` text, and as LiteLLM ``thinking_blocks`` fragments (text deltas, then
the signature), which LiteLLM's ``stream_chunk_builder`` and its ``/v1/messages`` adapter
put back together; sent back on the next turn, they become the leading ``thinking`` block
Claude requires.

Calls are always streamed (``stream: true``); a non-stream call aggregates the stream, as
the ``/responses`` route does.

Two things are added the way the reference client sends them (reference-clients-2026-11.md
§2, the golden requests in ``tests/conformance/golden/copilot``):

- **Prompt caching**: the last system block and the last block of the last message get
  ``cache_control: {"type": "ephemeral"}`` (the reference marks its system blocks and the
  newest message), so a conversation's prefix is read from the cache on the next turn. Only
  when the caller set no ``cache_control`` anywhere: a caller's own breakpoints are kept as
  they are and none are added to them (Anthropic allows at most four).
- **Reasoning**, only when the caller asks for it (``reasoning_effort``; a caller's
  ``thinking`` goes through LiteLLM's mapping as given): for a model whose ``/models``
  capabilities list ``adaptive_thinking``, the reference's shape,
  ``thinking: {"type": "adaptive", "display": "summarized"}`` with
  ``output_config: {"effort": ...}``; for other models LiteLLM's mapping (a thinking
  budget). The reference turns adaptive thinking on for every turn (effort ``medium``); we
  do not when the caller did not ask: a LiteLLM caller of a Claude model without
  ``reasoning_effort`` gets what Anthropic's API gives, no thinking.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litellm_codex.errors import ConfigurationError, StreamError
from litellm_codex.translate import _litellm_anthropic
from litellm_codex.translate.copilot_chat import LITELLM_OWN_PARAMS
from litellm_codex.translate.copilot_reasoning import OPAQUE_SIGNATURE_PREFIX
from litellm_codex.translate.copilot_usage import parse_usage
from litellm_codex.translate.deltas import ChatDelta, ChatFinish, ToolCallDelta, Usage

__all__ = [
    "MESSAGES_PARAMS",
    "BuiltMessagesRequest",
    "MessagesStreamTranslator",
    "build_messages_request",
]

#: OpenAI parameters sent to ``/v1/messages`` (through LiteLLM's Anthropic mapping, when
#: it supports them); anything else the caller set is dropped and warned about.
MESSAGES_PARAMS: frozenset[str] = frozenset(
    {
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "stop",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "reasoning_effort",
        "thinking",
        "user",
    }
)

_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

#: Anthropic error types -> the codes :func:`litellm_codex.errors.to_litellm` knows.
_ERROR_CODES = {
    "overloaded_error": "overloaded",
    "rate_limit_error": "rate_limit_exceeded",
    "invalid_request_error": "invalid_request_error",
    "api_error": "server_error",
}


@dataclass(frozen=True)
class BuiltMessagesRequest:
    """A Copilot ``/v1/messages`` body and what was left out of it."""

    body: dict[str, Any]
    dropped: tuple[str, ...] = ()


#: The reference's adaptive thinking (reference-clients-2026-11.md §2, golden requests).
ADAPTIVE_THINKING: Mapping[str, str] = {"type": "adaptive", "display": "summarized"}
#: The reference's prompt-cache breakpoint.
EPHEMERAL: Mapping[str, str] = {"type": "ephemeral"}
#: Blocks that cannot carry ``cache_control`` (Anthropic refuses it on thinking blocks).
_UNCACHEABLE = frozenset({"thinking", "redacted_thinking"})


def build_messages_request(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    *,
    max_output_tokens: int | None = None,
    supports: Mapping[str, Any] | None = None,
) -> BuiltMessagesRequest:
    """The body for ``POST {api}/v1/messages``.

    ``max_output_tokens`` (the model's limit from ``/models``) is the ``max_tokens`` when the
    caller set none; Anthropic requires one. ``supports`` is the model's ``/models``
    ``capabilities.supports`` (``adaptive_thinking``, ``reasoning_effort``).
    """
    supports = supports or {}
    supported = MESSAGES_PARAMS & _litellm_anthropic.supported_params(model)
    sent: dict[str, Any] = {}
    dropped: list[str] = []
    for name, value in params.items():
        if value is None or name in ("stream", "stream_options", "extra_body"):
            continue
        if name in LITELLM_OWN_PARAMS:
            continue
        if name in supported:
            sent[name] = value
        else:
            dropped.append(name)
    effort = _adaptive_effort(sent, supports)
    if effort is not None:
        del sent["reasoning_effort"]  # not LiteLLM's budget mapping: the reference's shape
    if "max_tokens" not in sent and "max_completion_tokens" not in sent and max_output_tokens:
        sent["max_tokens"] = max_output_tokens
    body = _litellm_anthropic.anthropic_body(model, [_claude_only(m) for m in messages], sent)
    body["model"] = model
    body["stream"] = True
    if effort:
        body["thinking"] = dict(ADAPTIVE_THINKING)
        body["output_config"] = {**(body.get("output_config") or {}), "effort": effort}
    add_cache_breakpoints(body)
    extra = params.get("extra_body")
    if isinstance(extra, Mapping):
        body.update(extra)
    return BuiltMessagesRequest(body=body, dropped=tuple(sorted(dropped)))


def _adaptive_effort(sent: Mapping[str, Any], supports: Mapping[str, Any]) -> str | None:
    """The ``output_config.effort`` for the caller's ``reasoning_effort`` on a model with
    adaptive thinking (``""``: the caller turned reasoning off), else ``None``."""
    effort = sent.get("reasoning_effort")
    if not isinstance(effort, str) or not supports.get("adaptive_thinking"):
        return None
    if effort == "none" or "thinking" in sent:
        return "" if effort == "none" else None
    levels = supports.get("reasoning_effort")
    if isinstance(levels, list) and levels and effort not in levels:
        raise ConfigurationError(
            f"reasoning_effort={effort!r} is not supported by this model; it takes "
            + ", ".join(repr(level) for level in levels)
        )
    return effort


def _has_cache_control(value: Any) -> bool:
    if isinstance(value, Mapping):
        return "cache_control" in value or any(_has_cache_control(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_cache_control(v) for v in value)
    return False


def _mark_last(blocks: list[Any]) -> None:
    """``cache_control`` on the last block that can carry one (not a thinking block or an
    empty text, which Anthropic refuses)."""
    for block in reversed(blocks):
        if not isinstance(block, dict) or block.get("type") in _UNCACHEABLE:
            continue
        if block.get("type") == "text" and not str(block.get("text") or "").strip():
            continue
        block["cache_control"] = dict(EPHEMERAL)
        return


def add_cache_breakpoints(body: dict[str, Any]) -> None:
    """The reference's prompt-cache breakpoints (the last system block, the last block of
    the last message), unless the caller placed its own anywhere in the body."""
    if _has_cache_control([body.get("system"), body.get("messages"), body.get("tools")]):
        return
    system = body.get("system")
    if isinstance(system, str) and system.strip():
        body["system"] = system = [{"type": "text", "text": system}]
    if isinstance(system, list):
        _mark_last(system)
    messages = body.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
        last = messages[-1]
        content = last.get("content")
        if isinstance(content, str) and content.strip():
            last["content"] = content = [{"type": "text", "text": content}]
        if isinstance(content, list):
            _mark_last(content)


def _claude_only(message: Mapping[str, Any]) -> Mapping[str, Any]:
    """The message without thinking blocks that carry another model's state (Gemini's
    ``reasoning_opaque``,
    :data:`~litellm_codex.translate.copilot_reasoning.OPAQUE_SIGNATURE_PREFIX`):
    Claude refuses signatures it did not issue."""
    blocks = message.get("thinking_blocks")
    if not isinstance(blocks, list):
        return message
    kept = [
        b
        for b in blocks
        if not (
            isinstance(b, Mapping)
            and str(b.get("signature") or "").startswith(OPAQUE_SIGNATURE_PREFIX)
        )
    ]
    return {**message, "thinking_blocks": kept or None} if len(kept) != len(blocks) else message


@dataclass
class _Block:
    kind: str
    tool_index: int | None = None
    name: str | None = None
    id: str | None = None


@dataclass
class MessagesStreamTranslator:
    """Anthropic Messages SSE events -> :class:`ChatDelta` items and one :class:`ChatFinish`."""

    _blocks: dict[int, _Block] = field(default_factory=dict)
    _next_tool: int = 0
    _usage: dict[str, Any] = field(default_factory=dict)
    _stop: str | None = None
    _id: str | None = None
    _model: str | None = None

    def feed(self, event: Mapping[str, Any]) -> list[ChatDelta | ChatFinish]:
        """Take one decoded event."""
        kind = event.get("type")
        if kind == "message_start":
            message = event.get("message")
            message = message if isinstance(message, Mapping) else {}
            if isinstance(message.get("id"), str):
                self._id = message["id"]
            if isinstance(message.get("model"), str):
                self._model = message["model"]
            self._add_usage(message.get("usage"))
            return []
        if kind == "content_block_start":
            return self._start(event)
        if kind == "content_block_delta":
            return self._delta(event)
        if kind == "message_delta":
            delta = event.get("delta")
            reason = delta.get("stop_reason") if isinstance(delta, Mapping) else None
            if isinstance(reason, str) and reason:
                self._stop = reason
            self._add_usage(event.get("usage"))
            return []
        if kind == "error":
            error = event.get("error")
            error = error if isinstance(error, Mapping) else {}
            error_type = str(error.get("type") or "api_error")
            message = str(error.get("message") or error_type)
            raise StreamError(
                f"Copilot reported an error in the stream: {message}",
                code=_ERROR_CODES.get(error_type, error_type),
            )
        return []  # ping, content_block_stop, message_stop

    def _add_usage(self, usage: Any) -> None:
        if isinstance(usage, Mapping):
            # message_start carries the input side, message_delta the final output count.
            self._usage.update({k: v for k, v in usage.items() if v is not None})

    def _start(self, event: Mapping[str, Any]) -> list[ChatDelta | ChatFinish]:
        index = event.get("index")
        block = event.get("content_block")
        if not isinstance(index, int) or not isinstance(block, Mapping):
            return []
        kind = str(block.get("type") or "")
        if kind == "tool_use":
            entry = _Block(kind, tool_index=self._next_tool)
            self._next_tool += 1
            self._blocks[index] = entry
            call_id = str(block.get("id") or f"toolu_copilot_{entry.tool_index}")
            part = ToolCallDelta(
                index=entry.tool_index or 0, id=call_id, name=str(block.get("name") or "")
            )
            return [ChatDelta(tool_calls=(part,))]
        self._blocks[index] = _Block(kind)
        if kind == "redacted_thinking" and isinstance(block.get("data"), str):
            redacted = {"type": "redacted_thinking", "data": block["data"]}
            return [ChatDelta(thinking_blocks=(redacted,))]
        if kind == "text" and isinstance(block.get("text"), str) and block["text"]:
            return [ChatDelta(content=block["text"])]
        return []

    def _delta(self, event: Mapping[str, Any]) -> list[ChatDelta | ChatFinish]:
        index = event.get("index")
        delta = event.get("delta")
        if not isinstance(delta, Mapping):
            return []
        entry = self._blocks.get(index) if isinstance(index, int) else None
        kind = delta.get("type")
        if kind == "text_delta" and isinstance(delta.get("text"), str) and delta["text"]:
            return [ChatDelta(content=delta["text"])]
        if kind == "thinking_delta" and isinstance(delta.get("thinking"), str):
            text = delta["thinking"]
            if not text:
                return []
            block = {"type": "thinking", "thinking": text, "signature": None}
            return [ChatDelta(reasoning_content=text, thinking_blocks=(block,))]
        if kind == "signature_delta" and isinstance(delta.get("signature"), str):
            block = {"type": "thinking", "thinking": "", "signature": delta["signature"]}
            return [ChatDelta(thinking_blocks=(block,))]
        if kind == "input_json_delta" and entry is not None and entry.tool_index is not None:
            fragment = delta.get("partial_json")
            if isinstance(fragment, str) and fragment:
                return [
                    ChatDelta(tool_calls=(ToolCallDelta(entry.tool_index, arguments=fragment),))
                ]
        return []

    def finish(self) -> list[ChatDelta | ChatFinish]:
        """End of the stream; raises :class:`StreamError` when it ended unfinished."""
        if self._stop is None:
            raise StreamError("Copilot stream ended before the answer was finished")
        reason = _STOP_REASONS.get(self._stop, "stop")
        if reason == "stop" and self._next_tool:
            reason = "tool_calls"
        usage: Usage | None = parse_usage(self._usage) if self._usage else None
        return [ChatFinish(reason, usage=usage, response_id=self._id, model=self._model)]
