"""Responses API stream events, as the ChatGPT backend sends them (§3): public builders, so
tests and the Copilot simulator's ``/responses`` route can compose their own streams."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from litellm_codex.testing._server import Response, sse_response

__all__ = [
    "JSON",
    "Event",
    "completed_event",
    "created_events",
    "error_event",
    "estimate_tokens",
    "failed_event",
    "incomplete_event",
    "new_id",
    "number_events",
    "reasoning_events",
    "request_id_headers",
    "response_object",
    "response_stream",
    "stream_response",
    "text_events",
    "tool_call_events",
    "usage",
]

JSON = dict[str, Any]
Event = dict[str, Any]


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


def request_id_headers() -> dict[str, str]:
    """Fresh ``x-request-id`` / ``x-oai-request-id`` headers (one id in both)."""
    request_id = "req_" + secrets.token_hex(16)
    return {"x-request-id": request_id, "x-oai-request-id": request_id}


def stream_response(
    events: Sequence[Any], headers: Mapping[str, str], *, number: bool = True
) -> Response:
    """An SSE answer streaming ``events`` (numbered with ``sequence_number`` unless
    ``number`` is false)."""
    return sse_response(number_events(events) if number else events, headers=headers)
