"""Copilot ``/chat/completions`` streams as neutral chat items (pure).

Takes the decoded ``data:`` objects of the stream (the one event decoder,
:func:`litellm_codex.translate.responses_stream.decode_event`, skips ``[DONE]``) and handles the
quirks of the models behind Copilot (``protocols/github-copilot.md`` §3.6):

- chunks with an empty ``choices`` list (Azure ``prompt_filter_results``, the trailing
  ``include_usage`` chunk) are skipped, but their ``usage`` is kept;
- Claude sends every parallel tool call on ``index: 0`` and marks a new call only by a new
  ``id``; a new id on a used index starts a new call at a fresh output index (quirk 1);
- reasoning and Gemini's opaque reasoning state
  (:mod:`litellm_codex.translate.copilot_reasoning`);
- shortened tool call ids are restored
  (:func:`~litellm_codex.translate.copilot_chat.restore_tool_call_id`).

Nothing here does I/O or imports LiteLLM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litellm_codex.errors import StreamError
from litellm_codex.translate.copilot_chat import restore_tool_call_id
from litellm_codex.translate.copilot_finish import final_finish, in_band_error
from litellm_codex.translate.copilot_reasoning import opaque_block, reasoning_of, reasoning_state
from litellm_codex.translate.copilot_usage import as_int, parse_usage
from litellm_codex.translate.deltas import ChatDelta, ChatFinish, ToolCallDelta, Usage

__all__ = ["CopilotChatStreamTranslator"]


@dataclass
class _StreamCall:
    out_index: int
    upstream_id: str | None
    named: bool = False


class CopilotChatStreamTranslator:
    """Turns Copilot chat stream chunks into :class:`ChatDelta` items and one :class:`ChatFinish`.

    Feed each decoded ``data:`` JSON object to :meth:`feed` (the provider's one event path:
    :class:`~litellm_codex.sse.SSEDecoder`, then
    :func:`~litellm_codex.translate.responses_stream.decode_event`, which skips ``[DONE]``),
    then call :meth:`finish` at the end of the stream. The finish is emitted only there, because
    usage may come in a chunk after the one with ``finish_reason`` (the ``include_usage``
    trailer).

    ``tool_call_ids`` maps shortened ids back to the caller's (see
    :attr:`~litellm_codex.translate.copilot_chat.BuiltChatRequest.tool_call_ids`).
    """

    def __init__(self, *, tool_call_ids: Mapping[str, str] | None = None) -> None:
        self._id_map = dict(tool_call_ids or {})
        # (choice index, upstream tool call index) -> the call currently on it.
        self._calls: dict[tuple[int, int], _StreamCall] = {}
        self._by_id: dict[str, _StreamCall] = {}
        self._next_index = 0
        self._reasons: list[str] = []
        self._usage: Usage | None = None
        self._response_id: str | None = None
        self._model: str | None = None

    @property
    def saw_tool_calls(self) -> bool:
        """Whether any tool call was streamed."""
        return self._next_index > 0

    def feed(self, chunk: Mapping[str, Any]) -> list[ChatDelta | ChatFinish]:
        """Take one decoded chunk; returns the deltas it carries (maybe none)."""
        error = in_band_error(chunk)
        if error is not None:
            raise error
        usage = chunk.get("usage")
        if isinstance(usage, Mapping):
            self._usage = parse_usage(usage)
        if isinstance(chunk.get("id"), str) and chunk["id"] and self._response_id is None:
            self._response_id = chunk["id"]
        if isinstance(chunk.get("model"), str) and chunk["model"]:
            self._model = chunk["model"]

        out: list[ChatDelta | ChatFinish] = []
        choices = chunk.get("choices")
        # Empty `choices`: the prompt-filter preamble or the usage trailer (§3.6).
        for choice in choices if isinstance(choices, list) else ():
            if not isinstance(choice, Mapping):
                continue
            delta = choice.get("delta")
            if isinstance(delta, Mapping):
                item = self._delta(as_int(choice.get("index")), delta)
                if not item.is_empty():
                    out.append(item)
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and reason:
                self._reasons.append(reason)
        return out

    def _delta(self, choice_index: int, delta: Mapping[str, Any]) -> ChatDelta:
        content = delta.get("content")
        parts: list[ToolCallDelta] = []
        for raw in delta.get("tool_calls") or ():
            if isinstance(raw, Mapping):
                part = self._tool_call(choice_index, raw)
                if part is not None:
                    parts.append(part)
        reasoning = reasoning_of(delta)
        # Reasoning text also goes out as thinking-block text, so the block that the
        # opaque state closes holds it (LiteLLM joins the fragments up to the signature).
        thinking = ({"type": "thinking", "thinking": reasoning},) if reasoning else ()
        return ChatDelta(
            content=content if isinstance(content, str) and content else None,
            reasoning_content=reasoning,
            tool_calls=tuple(parts),
            thinking_blocks=thinking + opaque_block(delta),
            provider_fields=reasoning_state(delta),
        )

    def _tool_call(self, choice_index: int, raw: Mapping[str, Any]) -> ToolCallDelta | None:
        key = (choice_index, as_int(raw.get("index")))
        call_id = raw.get("id") if isinstance(raw.get("id"), str) and raw.get("id") else None
        function = raw.get("function")
        function = function if isinstance(function, Mapping) else {}
        name = function.get("name") if isinstance(function.get("name"), str) else None
        arguments = function.get("arguments")
        arguments = arguments if isinstance(arguments, str) else ""

        current = self._calls.get(key)
        if call_id is not None and call_id in self._by_id:
            # A call we already know (even if another call came in between on this index):
            # its parts belong to it, not to a new call.
            current = self._calls[key] = self._by_id[call_id]
        is_new = current is None or (
            call_id is not None
            and current.upstream_id is not None
            and call_id != current.upstream_id
        )
        if is_new:
            # Claude: a new id on an index already used is a separate call (§3.6 quirk 1).
            current = _StreamCall(out_index=self._next_index, upstream_id=call_id)
            self._calls[key] = current
            self._next_index += 1
            if call_id is not None:
                self._by_id[call_id] = current
            out_id = (
                restore_tool_call_id(call_id, self._id_map)
                if call_id is not None
                # No id at all: give the call a stable one, OpenAI clients need it.
                else f"call_copilot_{current.out_index}"
            )
        else:
            assert current is not None
            out_id = None
            if current.upstream_id is None and call_id is not None:
                current.upstream_id = call_id
                self._by_id[call_id] = current
        out_name = None
        if name and not current.named:
            current.named = True
            out_name = name
        if not (is_new or out_name or arguments):
            return None  # a closing chunk that repeats the id only
        return ToolCallDelta(index=current.out_index, id=out_id, name=out_name, arguments=arguments)

    def finish(self) -> list[ChatDelta | ChatFinish]:
        """End of the stream: the :class:`ChatFinish`.

        Raises :class:`StreamError` when no choice ever reported a ``finish_reason``: the
        stream was cut short (Copilot always ends a choice with one, even before
        ``[DONE]``), and a silently truncated answer must not pass for a complete one.
        A missing ``[DONE]`` after a finish reason is tolerated.
        """
        if not self._reasons:
            raise StreamError("Copilot stream ended before the answer was finished")
        return [
            ChatFinish(
                finish_reason=final_finish(self._reasons, self.saw_tool_calls),
                usage=self._usage,
                response_id=self._response_id,
                model=self._model,
            )
        ]
