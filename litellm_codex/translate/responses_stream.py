"""Responses API stream events -> neutral chat deltas (pure: no I/O, no LiteLLM).

:class:`ResponsesStreamTranslator` is a small state machine fed one decoded event at a time
(``feed``) and told when the bytes ran out (``finish``). It emits
:class:`~litellm_codex.translate.deltas.ChatDelta` items and one final
:class:`~litellm_codex.translate.deltas.ChatFinish`, for the Codex backend and for Copilot's
``/responses`` route alike.

Upstream quirks it is built around (``protocols/codex-chatgpt-backend.md`` §3,
``protocols/github-copilot.md`` §3.7):

- ``response.completed.response.output`` is often ``[]`` even though items streamed, so
  every item is rebuilt from ``output_item.*`` events and deltas, and ``finish_reason``
  comes from what the stream showed (``tool_calls`` when a function call was seen).
- Codex itself only reads ``output_item.done`` (no text or argument deltas), and its test
  streams carry neither ``item_id`` nor ``output_index``. So ``output_item.done`` is
  authoritative: whatever part of an item's text or arguments did not arrive as deltas is
  emitted from it (as the suffix the deltas did not cover), and key-less events attach to
  the newest open item of their kind.
- Copilot tags the events of one output item with *different* item ids; ``output_index``
  is stable, so items are looked up by ``output_index`` first, then by id.
- A stream that ends without ``response.completed`` / ``.incomplete`` / ``.failed`` is an
  error (Codex: "stream closed before response.completed").

Decisions:

- ``response.refusal.delta`` text is emitted as ``content``: the neutral delta has no
  refusal field, and an empty answer would hide why the model declined.
- Texts of separate message items (Codex ``phase: commentary`` then ``final_answer``) and
  separate reasoning summary parts are joined with a blank line, so paragraphs do not run
  together.
- ``reasoning.encrypted_content`` goes out as LiteLLM ``provider_specific_fields``
  (``reasoning_encrypted_content``: every blob of the answer so far), with each reasoning
  item's id and summary texts (``reasoning_items``, same order) and the item id the server
  gave each function call (``tool_call_item_ids``: ``{tool call id: item id}``), which
  ``responses_request.py`` replays on the next turn. Every such delta carries all of these fields
  seen so far, so the last value is the whole answer's whichever way a consumer merges.
- Tool items other than ``function_call`` (custom, local_shell, web_search) are ignored:
  we only ever declare function tools.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeAlias

from litellm_codex.errors import StreamError
from litellm_codex.sse import ServerSentEvent
from litellm_codex.translate.deltas import ChatDelta, ChatFinish, ToolCallDelta, Usage

__all__ = [
    "INCOMPLETE_REASON_MAP",
    "ResponsesStreamTranslator",
    "decode_event",
    "map_usage",
    "retry_after_from_message",
]

Output: TypeAlias = "ChatDelta | ChatFinish"

#: ``response.incomplete`` ``incomplete_details.reason`` -> chat ``finish_reason``. Any
#: other reason still means "cut off", hence the ``length`` default in the translator.
INCOMPLETE_REASON_MAP: dict[str, str] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}

#: Separator between message items and between reasoning parts.
_PARAGRAPH = "\n\n"

#: Codex parses the delay out of rate-limit messages ("Please try again in 11.054s",
#: "28ms", "35 seconds"), only for code ``rate_limit_exceeded`` (§4.1).
_TRY_AGAIN = re.compile(r"(?i)try again in\s*(\d+(?:\.\d+)?)\s*(ms|seconds?|s)\b")

_DONE_SENTINEL = "[DONE]"


def decode_event(sse: ServerSentEvent) -> dict[str, Any] | None:
    """The JSON object of one SSE event, or ``None`` for events to skip.

    Skips ``data: [DONE]`` (LiteLLM-style streams end with it, §3.1) and blank data. The
    event type comes from ``data.type`` as Codex dispatches (§3.1), falling back to the
    ``event:`` name when the JSON has no ``type``. Raises :class:`StreamError` for data
    that is not a JSON object (a malformed stream).
    """
    data = sse.data.strip()
    if not data or data == _DONE_SENTINEL:
        return None
    try:
        payload = json.loads(data)
    except ValueError:
        raise StreamError(f"malformed stream event (not JSON): {data[:200]!r}") from None
    if not isinstance(payload, dict):
        raise StreamError(f"malformed stream event (not an object): {data[:200]!r}")
    if not isinstance(payload.get("type"), str) and sse.event != "message":
        payload["type"] = sse.event
    return payload


def map_usage(usage: Mapping[str, Any]) -> Usage:
    """Responses ``usage`` -> chat :class:`Usage`.

    ``input_tokens_details`` / ``output_tokens_details`` may be ``null`` (Codex test
    streams, §3.3 b); missing details count as 0. Chat-style names are accepted too.
    """
    prompt = _int(_first(usage, "input_tokens", "prompt_tokens"))
    completion = _int(_first(usage, "output_tokens", "completion_tokens"))
    total = usage.get("total_tokens")
    in_details = _first(usage, "input_tokens_details", "prompt_tokens_details")
    out_details = _first(usage, "output_tokens_details", "completion_tokens_details")
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=_int(total) if _is_number(total) else prompt + completion,
        cached_tokens=_int(in_details.get("cached_tokens"))
        if isinstance(in_details, Mapping)
        else 0,
        reasoning_tokens=_int(out_details.get("reasoning_tokens"))
        if isinstance(out_details, Mapping)
        else 0,
    )


def retry_after_from_message(message: str) -> float | None:
    """Seconds from "try again in 11.054s" / "28ms" / "35 seconds", else ``None``."""
    match = _TRY_AGAIN.search(message)
    if match is None:
        return None
    value = float(match.group(1))
    return value / 1000.0 if match.group(2).lower() == "ms" else value


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if mapping.get(key) is not None:
            return mapping[key]
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _float(value: Any) -> float | None:
    return float(value) if _is_number(value) else None


def _int(value: Any) -> int:
    return int(value) if _is_number(value) else 0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(eq=False)
class _Item:
    """What we know about one upstream output item."""

    kind: str
    output_index: int | None = None
    item_id: str | None = None
    call_id: str | None = None
    name: str | None = None
    done: bool = False
    #: Chat tool index, set once the call was announced (id + name emitted).
    tool_index: int | None = None
    #: Arguments emitted so far (announced) or buffered until the name is known.
    arguments: str = ""
    #: Text emitted so far per part: ("text", content_index), ("summary", summary_index),
    #: ("content", content_index) for raw reasoning text.
    texts: dict[tuple[str, int], str] = field(default_factory=dict)


Handler: TypeAlias = Callable[["ResponsesStreamTranslator", Mapping[str, Any]], list[Output]]


class ResponsesStreamTranslator:
    """Turns Responses stream events into chat deltas; one instance per response."""

    def __init__(self) -> None:
        #: The upstream response id and model, once announced.
        self.response_id: str | None = None
        self.model: str | None = None
        self._items: list[_Item] = []
        self._by_index: dict[int, _Item] = {}
        self._by_id: dict[str, _Item] = {}
        self._next_tool_index = 0
        self._terminal = False
        self._last_content: _Item | None = None
        self._last_reasoning: tuple[_Item, tuple[str, int]] | None = None
        self._encrypted: list[str] = []
        #: ``provider_specific_fields`` of the answer so far (see the module docstring).
        self._fields: dict[str, Any] = {}

    @property
    def terminated(self) -> bool:
        """True once a terminal event (completed / incomplete / failed / error) was seen."""
        return self._terminal

    def feed(self, event: Mapping[str, Any]) -> list[Output]:
        """Translate one decoded event. Raises :class:`StreamError` for in-band failures."""
        if self._terminal:
            # Nothing after the terminal event can change the answer.
            return []
        handler = _HANDLERS.get(str(event.get("type")))
        if handler is None:
            # Unknown and purely informational events (content_part.added, in-stream
            # rate-limit notices, new tool kinds) are ignored on purpose, as Codex does
            # (§3.2: "anything else -> ignored").
            return []
        return handler(self, event)

    def feed_all(self, events: Iterable[Mapping[str, Any]]) -> list[Output]:
        """Translate many events, then :meth:`finish`."""
        out: list[Output] = []
        for event in events:
            out.extend(self.feed(event))
        out.extend(self.finish())
        return out

    def finish(self) -> list[Output]:
        """End of stream. Raises :class:`StreamError` when no terminal event was seen."""
        if not self._terminal:
            raise StreamError("stream ended before response.completed")
        return []

    # -- response lifecycle ----------------------------------------------------------

    def _on_created(self, event: Mapping[str, Any]) -> list[Output]:
        self._remember_response(event.get("response"))
        return []

    def _on_completed(self, event: Mapping[str, Any]) -> list[Output]:
        return self._finish_with(event, None)

    def _on_incomplete(self, event: Mapping[str, Any]) -> list[Output]:
        response = event.get("response")
        details = response.get("incomplete_details") if isinstance(response, Mapping) else None
        reason = details.get("reason") if isinstance(details, Mapping) else None
        return self._finish_with(event, INCOMPLETE_REASON_MAP.get(str(reason), "length"))

    def _finish_with(self, event: Mapping[str, Any], reason: str | None) -> list[Output]:
        self._terminal = True
        response = event.get("response")
        out: list[Output] = []
        usage: Usage | None = None
        if isinstance(response, Mapping):
            self._remember_response(response)
            output = response.get("output")
            if not self._items and isinstance(output, list):
                # Only when the stream showed no item at all: then `output` is the one
                # source left (a non-streaming-shaped reply). Otherwise it is ignored, as it
                # is often [] (§3.2 quirks) and could duplicate streamed items.
                for item in output:
                    out.extend(self._on_item_done({"item": item}))
            if isinstance(response.get("usage"), Mapping):
                usage = map_usage(response["usage"])
        if reason is None:
            reason = "tool_calls" if self._next_tool_index else "stop"
        out.append(
            ChatFinish(
                finish_reason=reason,
                usage=usage,
                response_id=self.response_id,
                model=self.model,
            )
        )
        return out

    def _on_failed(self, event: Mapping[str, Any]) -> list[Output]:
        self._terminal = True
        response = event.get("response")
        error: Any = None
        if isinstance(response, Mapping):
            self._remember_response(response)
            error = response.get("error")
        raise _stream_error(error if isinstance(error, Mapping) else {}, "response failed")

    def _on_error(self, event: Mapping[str, Any]) -> list[Output]:
        # Two shapes: Codex `{type:"error", code, message}`; Copilot/ZED
        # `{type:"error", error:{code, message}}`.
        self._terminal = True
        nested = event.get("error")
        if not isinstance(nested, Mapping):
            # Flat shape: `type` is the event's own type, not an error type.
            nested = {k: v for k, v in event.items() if k != "type"}
        raise _stream_error(nested, "stream error")

    def _remember_response(self, response: Any) -> None:
        if isinstance(response, Mapping):
            self.response_id = _str(response.get("id")) or self.response_id
            self.model = _str(response.get("model")) or self.model

    # -- items ---------------------------------------------------------------------------

    def _lookup(self, event: Mapping[str, Any], kind: str, item: Mapping[str, Any]) -> _Item | None:
        index = event.get("output_index")
        if isinstance(index, int) and index in self._by_index:
            return self._by_index[index]
        for key in (event.get("item_id"), item.get("id")):
            if isinstance(key, str) and key in self._by_id:
                return self._by_id[key]
        call_id = _str(item.get("call_id"))
        item_id = _str(item.get("id")) or _str(event.get("item_id"))
        # Key-less events (Codex streams) belong to the newest open item of their kind,
        # unless a key says it is a different item.
        for candidate in reversed(self._items):
            if candidate.done or candidate.kind != kind:
                continue
            if isinstance(index, int) and candidate.output_index is not None:
                continue
            if call_id and candidate.call_id and call_id != candidate.call_id:
                continue
            if item_id and candidate.item_id and item_id != candidate.item_id:
                continue
            return candidate
        return None

    def _item(
        self, event: Mapping[str, Any], kind: str, item: Mapping[str, Any] | None = None
    ) -> _Item:
        """Find (or start) the item an event belongs to, and learn its keys."""
        item = item or {}
        found = self._lookup(event, kind, item)
        if found is None:
            found = _Item(kind=kind)
            self._items.append(found)
        index = event.get("output_index")
        if isinstance(index, int):
            found.output_index = found.output_index if found.output_index is not None else index
            self._by_index.setdefault(index, found)
        for key in (event.get("item_id"), item.get("id")):
            if isinstance(key, str) and key:
                found.item_id = found.item_id or key
                self._by_id.setdefault(key, found)
        found.call_id = found.call_id or _str(item.get("call_id"))
        found.name = found.name or _str(item.get("name"))
        return found

    def _on_item_added(self, event: Mapping[str, Any]) -> list[Output]:
        item = event.get("item")
        if not isinstance(item, Mapping):
            return []
        kind = str(item.get("type"))
        if kind != "function_call":
            # Messages and reasoning items are remembered; their text arrives later.
            self._item(event, kind, item)
            return []
        call = self._item(event, kind, item)
        if call.tool_index is None:
            arguments = item.get("arguments")
            if isinstance(arguments, str) and arguments:
                call.arguments = arguments
            return self._announce(call)
        return []

    def _on_item_done(self, event: Mapping[str, Any]) -> list[Output]:
        item = event.get("item")
        if not isinstance(item, Mapping):
            # e.g. Codex's incomplete_sse.json fixture: `{"type":"response.output_item.done"}`.
            return []
        kind = str(item.get("type"))
        state = self._item(event, kind, item)
        out: list[Output] = []
        if kind == "function_call":
            out = self._call_done(state, item.get("arguments"))
            out.extend(self._remember_call_item(state))
        elif kind == "message":
            for ci, part in enumerate(_list(item.get("content"))):
                text = _part_text(part)
                if text is not None:
                    out.extend(self._fill(state, ("text", ci), text, self._content))
        elif kind == "reasoning":
            summaries = [_part_text(p) for p in _list(item.get("summary"))]
            for si, text in enumerate(summaries):
                if text is not None:
                    out.extend(self._fill(state, ("summary", si), text, self._reasoning))
            # Raw reasoning text (gpt-oss style) only when it is what streamed, or when
            # there is no summary to show: both would say the same thing twice.
            raw_streamed = any(key[0] == "content" for key in state.texts)
            if raw_streamed or not any(summaries):
                for ci, part in enumerate(_list(item.get("content"))):
                    text = _part_text(part)
                    if text is not None:
                        out.extend(self._fill(state, ("content", ci), text, self._reasoning))
            encrypted = item.get("encrypted_content")
            if isinstance(encrypted, str) and encrypted and not state.done:
                self._encrypted.append(encrypted)
                self._fields["reasoning_encrypted_content"] = list(self._encrypted)
                known = {"id": state.item_id or "", "summary": [t for t in summaries if t]}
                self._fields["reasoning_items"] = [*self._fields.get("reasoning_items", []), known]
                out.append(ChatDelta(provider_fields=dict(self._fields)))
        state.done = True
        return out

    # -- function calls --------------------------------------------------------------

    def _announce(self, call: _Item) -> list[Output]:
        call.tool_index = self._next_tool_index
        self._next_tool_index += 1
        call_id = call.call_id or call.item_id or f"call_{call.tool_index}"
        delta = ToolCallDelta(
            index=call.tool_index, id=call_id, name=call.name or "", arguments=call.arguments
        )
        return [ChatDelta(tool_calls=(delta,))]

    def _remember_call_item(self, call: _Item) -> list[Output]:
        """The server's item id of a finished call, keyed by the tool call id it was given
        (only when the two differ: a call without ``call_id`` is known by its item id)."""
        tool_call_id = call.call_id or call.item_id
        if call.done or not call.item_id or not tool_call_id or call.item_id == tool_call_id:
            return []
        ids = dict(self._fields.get("tool_call_item_ids", {}))
        ids[tool_call_id] = call.item_id
        self._fields["tool_call_item_ids"] = ids
        return [ChatDelta(provider_fields=dict(self._fields))]

    def _call_done(self, call: _Item, arguments: Any) -> list[Output]:
        full = arguments if isinstance(arguments, str) else None
        if call.tool_index is None:
            if full is not None:
                call.arguments = full
            return self._announce(call)
        if full is not None and full.startswith(call.arguments) and full != call.arguments:
            missing = full[len(call.arguments) :]
            call.arguments = full
            return [ChatDelta(tool_calls=(ToolCallDelta(call.tool_index, arguments=missing),))]
        return []

    def _on_args_delta(self, event: Mapping[str, Any]) -> list[Output]:
        call = self._item(event, "function_call")
        delta = event.get("delta")
        if not isinstance(delta, str) or not delta:
            return []
        call.arguments += delta
        if call.tool_index is None:
            # No `output_item.added` yet: we have no name to announce; keep the fragment
            # until `output_item.done` brings the whole item.
            return []
        return [ChatDelta(tool_calls=(ToolCallDelta(call.tool_index, arguments=delta),))]

    def _on_args_done(self, event: Mapping[str, Any]) -> list[Output]:
        call = self._item(event, "function_call")
        if call.tool_index is None:
            # Still unannounced: remember the arguments, announce when the item is done.
            arguments = event.get("arguments")
            if isinstance(arguments, str):
                call.arguments = arguments
            return []
        return self._call_done(call, event.get("arguments"))

    # -- text and reasoning ----------------------------------------------------------

    def _content(self, state: _Item, key: tuple[str, int], fragment: str) -> list[Output]:
        prefix = ""
        if self._last_content is not None and self._last_content is not state:
            prefix = _PARAGRAPH
        self._last_content = state
        state.texts[key] = state.texts.get(key, "") + fragment
        return [ChatDelta(content=prefix + fragment)]

    def _reasoning(self, state: _Item, key: tuple[str, int], fragment: str) -> list[Output]:
        prefix = ""
        last = self._last_reasoning
        if last is not None and (last[0] is not state or last[1] != key):
            prefix = _PARAGRAPH
        self._last_reasoning = (state, key)
        state.texts[key] = state.texts.get(key, "") + fragment
        return [ChatDelta(reasoning_content=prefix + fragment)]

    def _fill(
        self,
        state: _Item,
        key: tuple[str, int],
        full: str,
        emit: Callable[[_Item, tuple[str, int], str], list[Output]],
    ) -> list[Output]:
        """Emit the part of ``full`` the deltas did not cover. When the deltas disagree
        with the final text we keep what was streamed: it cannot be taken back."""
        streamed = state.texts.get(key, "")
        if full.startswith(streamed) and len(full) > len(streamed):
            return emit(state, key, full[len(streamed) :])
        return []

    def _text_delta(
        self,
        event: Mapping[str, Any],
        kind: str,
        part: str,
        index_field: str,
        emit: Callable[[_Item, tuple[str, int], str], list[Output]],
    ) -> list[Output]:
        state = self._item(event, kind)
        delta = event.get("delta")
        if not isinstance(delta, str) or not delta:
            return []
        return emit(state, (part, _int(event.get(index_field))), delta)

    def _text_done(
        self,
        event: Mapping[str, Any],
        kind: str,
        part: str,
        index_field: str,
        text: Any,
        emit: Callable[[_Item, tuple[str, int], str], list[Output]],
    ) -> list[Output]:
        state = self._item(event, kind)
        if not isinstance(text, str):
            return []
        return self._fill(state, (part, _int(event.get(index_field))), text, emit)

    def _on_output_text_delta(self, event: Mapping[str, Any]) -> list[Output]:
        return self._text_delta(event, "message", "text", "content_index", self._content)

    def _on_output_text_done(self, event: Mapping[str, Any]) -> list[Output]:
        text = _first(event, "text", "refusal")
        return self._text_done(event, "message", "text", "content_index", text, self._content)

    def _on_content_part_done(self, event: Mapping[str, Any]) -> list[Output]:
        part = event.get("part")
        text = _part_text(part) if isinstance(part, Mapping) else None
        return self._text_done(event, "message", "text", "content_index", text, self._content)

    def _on_summary_delta(self, event: Mapping[str, Any]) -> list[Output]:
        return self._text_delta(event, "reasoning", "summary", "summary_index", self._reasoning)

    def _on_summary_done(self, event: Mapping[str, Any]) -> list[Output]:
        text = event.get("text")
        return self._text_done(
            event, "reasoning", "summary", "summary_index", text, self._reasoning
        )

    def _on_summary_part_done(self, event: Mapping[str, Any]) -> list[Output]:
        part = event.get("part")
        text = _part_text(part) if isinstance(part, Mapping) else None
        return self._text_done(
            event, "reasoning", "summary", "summary_index", text, self._reasoning
        )

    def _on_reasoning_text_delta(self, event: Mapping[str, Any]) -> list[Output]:
        return self._text_delta(event, "reasoning", "content", "content_index", self._reasoning)

    def _on_reasoning_text_done(self, event: Mapping[str, Any]) -> list[Output]:
        text = event.get("text")
        return self._text_done(
            event, "reasoning", "content", "content_index", text, self._reasoning
        )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _part_text(part: Any) -> str | None:
    """The text of an output content / summary part (``output_text``, ``refusal``,
    ``summary_text``, ``reasoning_text``)."""
    if not isinstance(part, Mapping):
        return None
    text = part.get("refusal") if part.get("type") == "refusal" else part.get("text")
    return text if isinstance(text, str) else None


def _stream_error(error: Mapping[str, Any], fallback: str) -> StreamError:
    code = _str(error.get("code")) or _str(error.get("type"))
    message = _str(error.get("message")) or fallback
    retry_after: float | None = None
    if code == "rate_limit_exceeded":
        retry_after = retry_after_from_message(message)
    resets_in = _float(error.get("resets_in_seconds"))
    if retry_after is None and resets_in is not None:
        retry_after = resets_in
    resets_at = _float(error.get("resets_at"))
    if resets_at is not None:
        # usage_limit_reached carries the reset time as unix seconds (§4.1).
        when = datetime.fromtimestamp(resets_at, tz=timezone.utc)
        message = f"{message} (limit resets at {when:%Y-%m-%d %H:%M:%S} UTC)"
    if code and code not in message:
        message = f"{message} [{code}]"
    return StreamError(message, code=code, retry_after=retry_after)


_HANDLERS: dict[str, Handler] = {
    "response.created": ResponsesStreamTranslator._on_created,
    "response.in_progress": ResponsesStreamTranslator._on_created,
    "response.output_item.added": ResponsesStreamTranslator._on_item_added,
    "response.output_item.done": ResponsesStreamTranslator._on_item_done,
    "response.output_text.delta": ResponsesStreamTranslator._on_output_text_delta,
    "response.output_text.done": ResponsesStreamTranslator._on_output_text_done,
    "response.refusal.delta": ResponsesStreamTranslator._on_output_text_delta,
    "response.refusal.done": ResponsesStreamTranslator._on_output_text_done,
    "response.content_part.done": ResponsesStreamTranslator._on_content_part_done,
    "response.reasoning_summary_text.delta": ResponsesStreamTranslator._on_summary_delta,
    "response.reasoning_summary_text.done": ResponsesStreamTranslator._on_summary_done,
    "response.reasoning_summary_part.done": ResponsesStreamTranslator._on_summary_part_done,
    "response.reasoning_text.delta": ResponsesStreamTranslator._on_reasoning_text_delta,
    "response.reasoning_text.done": ResponsesStreamTranslator._on_reasoning_text_done,
    "response.function_call_arguments.delta": ResponsesStreamTranslator._on_args_delta,
    "response.function_call_arguments.done": ResponsesStreamTranslator._on_args_done,
    "response.completed": ResponsesStreamTranslator._on_completed,
    # Some clients treat `response.done` as the completed event (opencode plugin, §6.4).
    "response.done": ResponsesStreamTranslator._on_completed,
    "response.incomplete": ResponsesStreamTranslator._on_incomplete,
    "response.failed": ResponsesStreamTranslator._on_failed,
    "error": ResponsesStreamTranslator._on_error,
}
