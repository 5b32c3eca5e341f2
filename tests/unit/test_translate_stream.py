"""Responses stream -> chat deltas: fixture streams through the SSE decoder and translator."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from litellm_codex.errors import StreamError
from litellm_codex.sse import ServerSentEvent, iter_sse
from litellm_codex.translate.deltas import (
    ChatAccumulator,
    ChatDelta,
    ChatFinish,
    ChatResult,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from litellm_codex.translate.responses_stream import (
    ResponsesStreamTranslator,
    decode_event,
    map_usage,
    retry_after_from_message,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "responses"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def translate_bytes(chunks: Iterable[bytes]) -> list[ChatDelta | ChatFinish]:
    translator = ResponsesStreamTranslator()
    out: list[ChatDelta | ChatFinish] = []
    for sse in iter_sse(chunks):
        event = decode_event(sse)
        if event is not None:
            out.extend(translator.feed(event))
    out.extend(translator.finish())
    return out


def result_of(chunks: Iterable[bytes]) -> ChatResult:
    return ChatAccumulator().extend(translate_bytes(chunks)).result()


def translate_events(events: Iterable[Mapping[str, Any]]) -> list[ChatDelta | ChatFinish]:
    return ResponsesStreamTranslator().feed_all(events)


def result_of_events(events: Iterable[Mapping[str, Any]]) -> ChatResult:
    return ChatAccumulator().extend(translate_events(events)).result()


COMPLETED: dict[str, Any] = {"type": "response.completed", "response": {"id": "r", "output": []}}


# --------------------------------------------------------------------------------------
# Fixture streams end to end

SUCCESS_CASES = [
    pytest.param(
        "text.sse",
        ChatResult(
            content="Hello, wörld ✓!",
            reasoning_content=None,
            tool_calls=(),
            finish_reason="stop",
            usage=Usage(21, 7, 28, cached_tokens=5, reasoning_tokens=0),
            response_id="resp_text1",
            model="gpt-5.1-codex-2025-11-13",
        ),
        id="text",
    ),
    pytest.param(
        "parallel_tools.sse",
        ChatResult(
            content=None,
            reasoning_content=None,
            tool_calls=(
                ToolCall("call_A", "get_weather", '{"city":"Paris"}'),
                ToolCall("call_B", "get_time", '{"tz":"UTC"}'),
            ),
            finish_reason="tool_calls",
            usage=Usage(50, 30, 80, cached_tokens=0, reasoning_tokens=12),
            response_id="resp_tools",
            model="gpt-5.1-codex",
            # The server's item ids of the calls, replayed by request.py (Codex, §1.3).
            provider_fields={"tool_call_item_ids": {"call_A": "fc_a", "call_B": "fc_b"}},
        ),
        id="parallel-tool-calls-interleaved-completed-output-empty",
    ),
    pytest.param(
        "reasoning.sse",
        ChatResult(
            content="4",
            reasoning_content="**Plan** add numbers\n\nCheck result",
            tool_calls=(),
            finish_reason="stop",
            usage=Usage(10, 40, 50, cached_tokens=0, reasoning_tokens=32),
            response_id="resp_reason",
            model="gpt-5.1",
            # Kept for the next turn (replayed by request.py).
            provider_fields={
                "reasoning_encrypted_content": ["gAAAAB-opaque"],
                "reasoning_items": [
                    {"id": "rs_1", "summary": ["**Plan** add numbers", "Check result"]}
                ],
            },
        ),
        id="reasoning-summary-two-parts",
    ),
    pytest.param(
        "codex_item_done_only.sse",
        ChatResult(
            content="only from item.done",
            reasoning_content=None,
            tool_calls=(),
            finish_reason="stop",
            usage=None,
            response_id="resp-c1",
        ),
        id="codex-output-item-done-only",
    ),
    pytest.param(
        "codex_function_call.sse",
        ChatResult(
            content=None,
            reasoning_content=None,
            tool_calls=(ToolCall("call-7", "shell", '{"command":["ls","-l"]}'),),
            finish_reason="tool_calls",
            usage=Usage(99, 3, 102, cached_tokens=0, reasoning_tokens=0),
            response_id="resp-c2",
        ),
        id="codex-function-call-null-usage-details",
    ),
    pytest.param(
        "incomplete_max_tokens.sse",
        ChatResult(
            content="The answer is",
            reasoning_content=None,
            tool_calls=(),
            finish_reason="length",
            usage=Usage(8, 16, 24, cached_tokens=0, reasoning_tokens=0),
            response_id="resp_inc",
            model="gpt-5.1",
        ),
        id="incomplete-max-output-tokens",
    ),
    pytest.param(
        "incomplete_content_filter.sse",
        ChatResult(
            content="The answer is",
            reasoning_content=None,
            tool_calls=(),
            finish_reason="content_filter",
            usage=Usage(8, 16, 24, cached_tokens=0, reasoning_tokens=0),
            response_id="resp_inc",
            model="gpt-5.1",
        ),
        id="incomplete-content-filter",
    ),
    pytest.param(
        "data_only_done.sse",
        ChatResult(
            content="data-only",
            reasoning_content=None,
            tool_calls=(),
            finish_reason="stop",
            usage=None,
            response_id="resp_d",
        ),
        id="data-only-crlf-with-done-sentinel",
    ),
    pytest.param(
        "copilot_varying_ids.sse",
        ChatResult(
            content="Let me look.",
            reasoning_content=None,
            tool_calls=(ToolCall("call_cp", "read_file", '{"path":"a.txt"}'),),
            finish_reason="tool_calls",
            usage=Usage(12, 9, 21, cached_tokens=0, reasoning_tokens=0),
            response_id="resp_cp",
            model="gpt-5.1-codex",
            # The first of the item ids Copilot gave (the request leaves ids out for it).
            provider_fields={"tool_call_item_ids": {"call_cp": "fc_v1"}},
        ),
        id="copilot-new-item-id-on-every-event",
    ),
]

FAILURE_CASES = [
    pytest.param(
        "failed_rate_limit.sse",
        {"code": "rate_limit_exceeded", "retry_after": 11.054, "text": "try again in 11.054s"},
        id="failed-rate-limit-exceeded",
    ),
    pytest.param(
        "failed_context_length.sse",
        {"code": "context_length_exceeded", "retry_after": None, "text": "context window"},
        id="failed-context-length-exceeded",
    ),
    pytest.param(
        "error_event.sse",
        {"code": "server_error", "retry_after": None, "text": "error occurred"},
        id="error-event",
    ),
    pytest.param(
        "eof_without_completed.sse",
        {"code": None, "retry_after": None, "text": "stream ended before response.completed"},
        id="eof-without-completed",
    ),
]


@pytest.mark.parametrize(("name", "expected"), SUCCESS_CASES)
def test_fixture_stream(name: str, expected: ChatResult) -> None:
    assert result_of([fixture(name)]) == expected


@pytest.mark.parametrize(("name", "expected"), FAILURE_CASES)
def test_fixture_stream_failure(name: str, expected: dict[str, Any]) -> None:
    with pytest.raises(StreamError) as info:
        result_of([fixture(name)])
    assert info.value.code == expected["code"]
    assert info.value.retry_after == expected["retry_after"]
    assert expected["text"] in info.value.message
    assert info.value.status is None


@pytest.mark.parametrize(
    "name", [p.values[0] for p in SUCCESS_CASES + FAILURE_CASES], ids=lambda n: str(n)
)
def test_split_at_every_byte_gives_the_same_result(name: str) -> None:
    data = fixture(name)

    def outcome(chunks: list[bytes]) -> Any:
        try:
            return translate_bytes(chunks)
        except StreamError as exc:
            return ("error", exc.message, exc.code, exc.retry_after)

    whole = outcome([data])
    for cut in range(len(data) + 1):
        assert outcome([data[:cut], data[cut:]]) == whole, f"split at byte {cut}"
    assert outcome([data[i : i + 1] for i in range(len(data))]) == whole


def test_parallel_tool_call_deltas_are_proper_openai_deltas() -> None:
    calls = [
        part
        for item in translate_bytes([fixture("parallel_tools.sse")])
        if isinstance(item, ChatDelta)
        for part in item.tool_calls
    ]
    assert calls == [
        ToolCallDelta(0, id="call_A", name="get_weather", arguments=""),
        ToolCallDelta(0, arguments='{"city":'),
        ToolCallDelta(1, id="call_B", name="get_time", arguments=""),
        ToolCallDelta(1, arguments='{"tz":'),
        ToolCallDelta(0, arguments='"Paris"}'),
        ToolCallDelta(1, arguments='"UTC"}'),
    ]


def test_text_streams_as_it_arrives_and_done_events_add_nothing() -> None:
    items = translate_bytes([fixture("text.sse")])
    assert [i.content for i in items if isinstance(i, ChatDelta)] == [
        "Hello",
        ", wörld",
        " ✓!",
    ]
    assert isinstance(items[-1], ChatFinish)


# --------------------------------------------------------------------------------------
# Event-level behaviour


def msg_done(text: str, **extra: Any) -> dict[str, Any]:
    item = {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text}],
    }
    return {"type": "response.output_item.done", "item": item, **extra}


EVENT_CASES = [
    pytest.param(
        [
            {"type": "response.output_text.delta", "delta": "Hel"},
            msg_done("Hello"),
            COMPLETED,
        ],
        {"content": "Hello"},
        id="done-fills-the-suffix-deltas-missed",
    ),
    pytest.param(
        [
            {"type": "response.output_text.delta", "delta": "Hi there"},
            msg_done("Something else"),
            COMPLETED,
        ],
        {"content": "Hi there"},
        id="done-disagreeing-with-deltas-keeps-streamed-text",
    ),
    pytest.param(
        [
            msg_done("I will check.", output_index=0),
            msg_done("Done.", output_index=1),
            COMPLETED,
        ],
        {"content": "I will check.\n\nDone."},
        id="two-message-items-separated-by-blank-line",
    ),
    pytest.param(
        [
            {
                "type": "response.refusal.delta",
                "item_id": "m",
                "output_index": 0,
                "delta": "I can't",
            },
            {
                "type": "response.refusal.done",
                "item_id": "m",
                "output_index": 0,
                "refusal": "I can't help.",
            },
            COMPLETED,
        ],
        {"content": "I can't help."},
        id="refusal-is-content",
    ),
    pytest.param(
        [
            {
                "type": "response.output_item.done",
                "item": {"type": "message", "content": [{"type": "refusal", "refusal": "No."}]},
            },
            COMPLETED,
        ],
        {"content": "No."},
        id="refusal-part-in-item-done",
    ),
    pytest.param(
        [
            {
                "type": "response.reasoning_text.delta",
                "item_id": "rs",
                "output_index": 0,
                "delta": "raw ",
            },
            {
                "type": "response.reasoning_text.done",
                "item_id": "rs",
                "output_index": 0,
                "text": "raw thought",
            },
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": {
                    "id": "rs",
                    "type": "reasoning",
                    "summary": [{"type": "summary_text", "text": "sum"}],
                    "content": [{"type": "reasoning_text", "text": "raw thought"}],
                },
            },
            COMPLETED,
        ],
        {"reasoning_content": "raw thought\n\nsum"},
        id="raw-reasoning-text-streamed",
    ),
    pytest.param(
        [
            {
                "type": "response.output_item.done",
                "item": {
                    "type": "reasoning",
                    "summary": [{"type": "summary_text", "text": "short"}],
                    "content": [{"type": "reasoning_text", "text": "long raw"}],
                },
            },
            COMPLETED,
        ],
        {"reasoning_content": "short"},
        id="reasoning-item-done-prefers-summary",
    ),
    pytest.param(
        [
            {
                "type": "response.output_item.done",
                "item": {
                    "type": "reasoning",
                    "summary": [],
                    "content": [{"type": "reasoning_text", "text": "gpt-oss raw"}],
                },
            },
            COMPLETED,
        ],
        {"reasoning_content": "gpt-oss raw"},
        id="reasoning-item-done-raw-when-no-summary",
    ),
    pytest.param(
        [
            {"type": "response.reasoning_summary_text.delta", "summary_index": 0, "delta": "a"},
            {"type": "response.reasoning_summary_text.delta", "summary_index": 1, "delta": "b"},
            {"type": "response.reasoning_summary_text.delta", "summary_index": 1, "delta": "c"},
            COMPLETED,
        ],
        {"reasoning_content": "a\n\nbc"},
        id="codex-summary-deltas-without-keys",
    ),
    pytest.param(
        [
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {"id": "fc", "type": "function_call", "call_id": "c1", "name": "f"},
            },
            {
                "type": "response.function_call_arguments.done",
                "item_id": "fc",
                "output_index": 0,
                "arguments": "{}",
            },
            COMPLETED,
        ],
        {"tool_calls": (ToolCall("c1", "f", "{}"),), "finish_reason": "tool_calls"},
        id="arguments-done-without-deltas-emits-whole-arguments",
    ),
    pytest.param(
        [
            {
                "type": "response.function_call_arguments.delta",
                "item_id": "fc",
                "output_index": 0,
                "delta": '{"a"',
            },
            {
                "type": "response.function_call_arguments.delta",
                "item_id": "fc",
                "output_index": 0,
                "delta": ":1}",
            },
            {
                "type": "response.function_call_arguments.done",
                "item_id": "fc",
                "output_index": 0,
                "arguments": '{"a":1}',
            },
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": {
                    "id": "fc",
                    "type": "function_call",
                    "call_id": "c9",
                    "name": "g",
                    "arguments": '{"a":1}',
                },
            },
            COMPLETED,
        ],
        {"tool_calls": (ToolCall("c9", "g", '{"a":1}'),), "finish_reason": "tool_calls"},
        id="argument-deltas-before-the-item-was-announced",
    ),
    pytest.param(
        [
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {
                    "id": "fc",
                    "type": "function_call",
                    "call_id": "c2",
                    "name": "h",
                    "arguments": '{"x"',
                },
            },
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": {
                    "id": "fc",
                    "type": "function_call",
                    "call_id": "c2",
                    "name": "h",
                    "arguments": '{"x":2}',
                },
            },
            COMPLETED,
        ],
        {"tool_calls": (ToolCall("c2", "h", '{"x":2}'),)},
        id="arguments-in-added-then-rest-from-done",
    ),
    pytest.param(
        [
            {
                "type": "response.output_item.done",
                "item": {"type": "function_call", "call_id": "a", "name": "f", "arguments": "1"},
            },
            {
                "type": "response.output_item.done",
                "item": {"type": "function_call", "call_id": "b", "name": "g", "arguments": "2"},
            },
            COMPLETED,
        ],
        {"tool_calls": (ToolCall("a", "f", "1"), ToolCall("b", "g", "2"))},
        id="keyless-function-call-items-stay-separate",
    ),
    pytest.param(
        [
            {
                "type": "response.output_item.added",
                "item": {"type": "function_call", "call_id": "a", "name": "f"},
            },
            {
                "type": "response.output_item.added",
                "item": {"type": "function_call", "call_id": "b", "name": "g"},
            },
            {
                "type": "response.output_item.done",
                "item": {"type": "function_call", "call_id": "a", "name": "f", "arguments": "1"},
            },
            {
                "type": "response.output_item.done",
                "item": {"type": "function_call", "call_id": "b", "name": "g", "arguments": "2"},
            },
            COMPLETED,
        ],
        {"tool_calls": (ToolCall("a", "f", "1"), ToolCall("b", "g", "2"))},
        id="keyless-done-matches-its-added-by-call-id",
    ),
    pytest.param(
        [
            {
                "type": "response.output_item.done",
                "item": {"id": "fc_7", "type": "function_call", "name": "f"},
            },
            COMPLETED,
        ],
        {"tool_calls": (ToolCall("fc_7", "f", ""),)},
        id="call-id-falls-back-to-item-id",
    ),
    pytest.param(
        [
            {
                "type": "response.output_item.done",
                "item": {"type": "function_call", "name": "f", "arguments": "{}"},
            },
            COMPLETED,
        ],
        {"tool_calls": (ToolCall("call_0", "f", "{}"),)},
        id="call-id-synthesised-when-missing",
    ),
    pytest.param(
        [
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {"id": "m1", "type": "message"},
            },
            {"type": "response.output_text.delta", "item_id": "m1", "delta": "A"},
            {
                "type": "response.output_item.done",
                "output_index": 1,
                "item": {"id": "m2", **msg_done("B")["item"]},
            },
            {
                "type": "response.output_item.done",
                "output_index": 0,
                "item": {"id": "m1", **msg_done("A")["item"]},
            },
            COMPLETED,
        ],
        {"content": "A\n\nB"},
        id="new-output-index-is-a-new-item",
    ),
    pytest.param(
        [
            {"type": "response.output_item.added", "item": {"id": "m1", "type": "message"}},
            {"type": "response.output_item.done", "item": {"id": "m2", **msg_done("B")["item"]}},
            {"type": "response.output_item.done", "item": {"id": "m1", **msg_done("A")["item"]}},
            COMPLETED,
        ],
        {"content": "B\n\nA"},
        id="different-item-id-is-a-new-item",
    ),
    pytest.param(
        [
            {
                "type": "response.completed",
                "response": {
                    "id": "r",
                    "output": [
                        msg_done("from output")["item"],
                        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
                    ],
                },
            }
        ],
        {
            "content": "from output",
            "tool_calls": (ToolCall("c", "f", "{}"),),
            "finish_reason": "tool_calls",
        },
        id="completed-output-used-only-when-nothing-streamed",
    ),
    pytest.param(
        [
            msg_done("streamed"),
            {
                "type": "response.completed",
                "response": {"id": "r", "output": [msg_done("other")["item"]]},
            },
        ],
        {"content": "streamed"},
        id="completed-output-ignored-when-items-streamed",
    ),
    pytest.param(
        [
            {"type": "response.output_text.delta", "delta": "x"},
            {
                "type": "response.incomplete",
                "response": {"incomplete_details": {"reason": "something_new"}},
            },
        ],
        {"content": "x", "finish_reason": "length"},
        id="incomplete-unknown-reason-is-length",
    ),
    pytest.param(
        [{"type": "response.incomplete"}],
        {"finish_reason": "length", "usage": None},
        id="incomplete-without-response",
    ),
    pytest.param(
        [
            {"type": "response.created", "response": {"id": "r1", "model": "m1"}},
            {
                "type": "response.done",
                "response": {"usage": {"input_tokens": 1, "output_tokens": 2}},
            },
        ],
        {"response_id": "r1", "model": "m1", "usage": Usage(1, 2, 3, 0, 0)},
        id="response-done-and-total-computed",
    ),
    pytest.param(
        [
            {"type": "response.content_part.added", "item_id": "m", "output_index": 0, "part": {}},
            {
                "type": "response.content_part.done",
                "item_id": "m",
                "output_index": 0,
                "content_index": 0,
                "part": {"type": "output_text", "text": "cp"},
            },
            {"type": "response.output_text.done", "item_id": "m", "output_index": 0, "text": "cp"},
            {
                "type": "response.reasoning_summary_part.done",
                "item_id": "rs",
                "output_index": 1,
                "summary_index": 0,
                "part": {"type": "summary_text", "text": "sp"},
            },
            {
                "type": "response.reasoning_summary_text.done",
                "item_id": "rs",
                "output_index": 1,
                "summary_index": 0,
                "text": "sp",
            },
            {"type": "codex.rate_limits", "rate_limits": {}},
            {"type": "response.some_future_event"},
            {"no": "type"},
            COMPLETED,
        ],
        {"content": "cp", "reasoning_content": "sp"},
        id="done-events-without-deltas-and-unknown-events",
    ),
    pytest.param(
        [
            {"type": "response.output_item.added"},
            {"type": "response.output_item.done"},
            {"type": "response.output_text.delta", "delta": ""},
            {"type": "response.output_text.delta", "delta": None},
            {"type": "response.output_text.done", "text": None},
            {"type": "response.content_part.done", "part": "junk"},
            {"type": "response.function_call_arguments.delta", "delta": ""},
            {"type": "response.output_item.done", "item": {"type": "web_search_call", "id": "ws"}},
            {
                "type": "response.output_item.added",
                "item": {"type": "custom_tool_call", "id": "ct"},
            },
            {"type": "response.output_item.done", "item": {"type": "message", "content": "junk"}},
            {
                "type": "response.output_item.done",
                "item": {"type": "message", "content": [{"type": "output_text"}, "x"]},
            },
            {
                "type": "response.output_item.done",
                "item": {"type": "reasoning", "summary": ["x"], "content": ["y"]},
            },
            {"type": "response.function_call_arguments.done", "output_index": 9, "arguments": None},
            {"type": "response.completed", "response": {"id": "r", "output": [], "usage": "junk"}},
        ],
        {"content": None, "usage": None, "finish_reason": "stop"},
        id="malformed-and-foreign-items-are-harmless",
    ),
    pytest.param(
        [
            COMPLETED,
            {"type": "response.output_text.delta", "delta": "late"},
            {"type": "response.failed", "response": {"error": {"code": "x"}}},
        ],
        {"content": None, "finish_reason": "stop"},
        id="events-after-terminal-ignored",
    ),
]


@pytest.mark.parametrize(("events", "expected"), EVENT_CASES)
def test_events(events: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    result = result_of_events(events)
    for field, value in expected.items():
        assert getattr(result, field) == value, field


def test_duplicate_added_announces_once_and_later_args_extend() -> None:
    added = {
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"id": "fc", "type": "function_call", "call_id": "c", "name": "f"},
    }
    items = translate_events(
        [
            added,
            added,
            {"type": "response.function_call_arguments.done", "output_index": 0, "arguments": None},
            {"type": "response.function_call_arguments.done", "output_index": 0, "arguments": "{}"},
            {"type": "response.function_call_arguments.done", "output_index": 0, "arguments": "{}"},
            COMPLETED,
        ]
    )
    parts = [p for i in items if isinstance(i, ChatDelta) for p in i.tool_calls]
    assert parts == [ToolCallDelta(0, id="c", name="f"), ToolCallDelta(0, arguments="{}")]


def test_arguments_done_without_item_then_item_done_without_arguments() -> None:
    result = result_of_events(
        [
            {
                "type": "response.function_call_arguments.done",
                "output_index": 3,
                "arguments": '{"k":1}',
            },
            {
                "type": "response.output_item.done",
                "output_index": 3,
                "item": {"type": "function_call", "call_id": "c", "name": "f"},
            },
            COMPLETED,
        ]
    )
    assert result.tool_calls == (ToolCall("c", "f", '{"k":1}'),)


FAILED_EVENTS = [
    pytest.param(
        {
            "type": "response.failed",
            "response": {
                "id": "r",
                "error": {"code": "rate_limit_exceeded", "message": "Please try again in 28ms."},
            },
        },
        ("rate_limit_exceeded", 0.028, "try again in 28ms"),
        id="rate-limit-ms",
    ),
    pytest.param(
        {
            "type": "response.failed",
            "response": {
                "error": {"code": "rate_limit_exceeded", "message": "Try again in 35 seconds"}
            },
        },
        ("rate_limit_exceeded", 35.0, "35 seconds"),
        id="rate-limit-seconds",
    ),
    pytest.param(
        {
            "type": "response.failed",
            "response": {"error": {"code": "server_error", "message": "try again in 5s"}},
        },
        ("server_error", None, "[server_error]"),
        id="delay-only-parsed-for-rate-limit-code",
    ),
    pytest.param(
        {
            "type": "response.failed",
            "response": {
                "error": {
                    "type": "usage_limit_reached",
                    "message": "limit reached",
                    "resets_at": 1704067242,
                    "resets_in_seconds": 120,
                }
            },
        },
        ("usage_limit_reached", 120.0, "limit resets at 2024-01-01 00:00:42 UTC"),
        id="usage-limit-with-reset",
    ),
    pytest.param(
        {"type": "response.failed", "response": {"id": "r"}},
        (None, None, "response failed"),
        id="failed-without-error",
    ),
    pytest.param(
        {"type": "response.failed"},
        (None, None, "response failed"),
        id="failed-without-response",
    ),
    pytest.param(
        {"type": "error", "error": {"code": "invalid_prompt", "message": "bad prompt"}},
        ("invalid_prompt", None, "bad prompt [invalid_prompt]"),
        id="error-event-nested-shape",
    ),
    pytest.param(
        {
            "type": "error",
            "code": "insufficient_quota",
            "message": "You exceeded your quota (insufficient_quota)",
        },
        ("insufficient_quota", None, "You exceeded your quota (insufficient_quota)"),
        id="error-event-flat-shape-code-already-in-message",
    ),
    pytest.param(
        {"type": "error"},
        (None, None, "stream error"),
        id="error-event-empty",
    ),
]


@pytest.mark.parametrize(("event", "expected"), FAILED_EVENTS)
def test_failures(event: dict[str, Any], expected: tuple[Any, ...]) -> None:
    translator = ResponsesStreamTranslator()
    translator.feed({"type": "response.output_text.delta", "delta": "partial"})
    with pytest.raises(StreamError) as info:
        translator.feed(event)
    code, retry_after, text = expected
    assert info.value.code == code
    assert info.value.retry_after == retry_after
    assert text in info.value.message
    # The failure is terminal: the end of the stream is then not a second error.
    assert translator.terminated
    assert translator.finish() == []
    assert translator.feed({"type": "response.output_text.delta", "delta": "x"}) == []


def test_finish_without_terminal_event_raises() -> None:
    translator = ResponsesStreamTranslator()
    assert translator.feed({"type": "response.created", "response": {"id": "r"}}) == []
    assert not translator.terminated
    with pytest.raises(StreamError, match=r"stream ended before response\.completed"):
        translator.finish()


def test_response_id_and_model_kept_from_created_when_completed_lacks_them() -> None:
    translator = ResponsesStreamTranslator()
    translator.feed({"type": "response.created", "response": {"id": "r1", "model": "gpt-x"}})
    translator.feed({"type": "response.in_progress", "response": "junk"})
    (finish,) = translator.feed({"type": "response.completed", "response": {"output": []}})
    assert finish == ChatFinish("stop", None, "r1", "gpt-x")
    assert (translator.response_id, translator.model) == ("r1", "gpt-x")


# --------------------------------------------------------------------------------------
# Helpers


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        pytest.param(
            {
                "input_tokens": 10,
                "input_tokens_details": {"cached_tokens": 4},
                "output_tokens": 6,
                "output_tokens_details": {"reasoning_tokens": 2},
                "total_tokens": 16,
            },
            Usage(10, 6, 16, 4, 2),
            id="full",
        ),
        pytest.param(
            {
                "input_tokens": 3,
                "input_tokens_details": None,
                "output_tokens": 0,
                "output_tokens_details": None,
                "total_tokens": 3,
            },
            Usage(3, 0, 3, 0, 0),
            id="null-details",
        ),
        pytest.param(
            {"input_tokens_details": {"cached_tokens": None}, "output_tokens_details": {}},
            Usage(0, 0, 0, 0, 0),
            id="empty",
        ),
        pytest.param(
            {
                "prompt_tokens": 5,
                "completion_tokens": 1,
                "prompt_tokens_details": {"cached_tokens": 1},
            },
            Usage(5, 1, 6, 1, 0),
            id="chat-style-names",
        ),
        pytest.param({"input_tokens": True, "output_tokens": "7"}, Usage(0, 0, 0, 0, 0), id="junk"),
    ],
)
def test_map_usage(usage: dict[str, Any], expected: Usage) -> None:
    assert map_usage(usage) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param("Please try again in 11.054s. Visit ...", 11.054, id="seconds-suffix"),
        pytest.param("try again in 28ms", 0.028, id="milliseconds"),
        pytest.param("Try Again In 35 seconds", 35.0, id="seconds-word"),
        pytest.param("try again in 1 second", 1.0, id="second-word"),
        pytest.param("try again later", None, id="no-delay"),
        pytest.param("try again in 5 minutes", None, id="unknown-unit"),
    ],
)
def test_retry_after_from_message(message: str, expected: float | None) -> None:
    assert retry_after_from_message(message) == expected


@pytest.mark.parametrize(
    ("sse", "expected"),
    [
        pytest.param(ServerSentEvent(data='{"type":"a"}'), {"type": "a"}, id="json"),
        pytest.param(ServerSentEvent(data="[DONE]"), None, id="done-sentinel"),
        pytest.param(ServerSentEvent(data="  "), None, id="blank"),
        pytest.param(
            ServerSentEvent(data='{"response":{}}', event="response.created"),
            {"type": "response.created", "response": {}},
            id="type-from-event-name",
        ),
        pytest.param(
            ServerSentEvent(data='{"type":"x"}', event="y"), {"type": "x"}, id="data-type-wins"
        ),
        pytest.param(ServerSentEvent(data="{}"), {}, id="no-type-at-all"),
    ],
)
def test_decode_event(sse: ServerSentEvent, expected: dict[str, Any] | None) -> None:
    assert decode_event(sse) == expected


@pytest.mark.parametrize(
    "data", [pytest.param("{not json", id="not-json"), pytest.param("[1, 2]", id="not-object")]
)
def test_decode_event_malformed(data: str) -> None:
    with pytest.raises(StreamError, match="malformed stream event"):
        decode_event(ServerSentEvent(data=data))
