"""Copilot /v1/messages: request building through LiteLLM's Anthropic mapping, SSE reading."""

from __future__ import annotations

from typing import Any

import pytest

from litellm_codex.errors import StreamError
from litellm_codex.translate.copilot_messages import (
    MessagesStreamTranslator,
    build_messages_request,
)
from litellm_codex.translate.deltas import ChatAccumulator, ChatDelta, ChatFinish, combine_thinking


def test_request_keeps_thinking_signatures_and_cache_control() -> None:
    messages = [
        {
            "role": "system",
            "content": [{"type": "text", "text": "S", "cache_control": {"type": "ephemeral"}}],
        },
        {"role": "user", "content": "call f"},
        {
            "role": "assistant",
            "content": None,
            "thinking_blocks": [{"type": "thinking", "thinking": "t", "signature": "SIG"}],
            "tool_calls": [
                {"id": "toolu_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "ok"},
    ]
    built = build_messages_request(
        "claude-sonnet-4.5",
        messages,
        {"reasoning_effort": "high", "max_retries": 2, "top_k": 3, "stream": True},
        max_output_tokens=16000,
    )
    body = built.body
    assert body["model"] == "claude-sonnet-4.5" and body["stream"] is True
    assert body["max_tokens"] == 16000  # from /models when the caller set none
    assert body["system"] == [{"type": "text", "text": "S", "cache_control": {"type": "ephemeral"}}]
    assert body["messages"][1]["content"][0] == {
        "type": "thinking",
        "thinking": "t",
        "signature": "SIG",
    }
    assert body["messages"][2]["content"][0]["type"] == "tool_result"
    assert body["thinking"]["type"] == "enabled"
    assert built.dropped == ("top_k",)  # max_retries is LiteLLM's own: not reported


def _events(*events: dict[str, Any]) -> list[Any]:
    translator = MessagesStreamTranslator()
    out: list[Any] = []
    for event in events:
        out.extend(translator.feed(event))
    out.extend(translator.finish())
    return out


def test_stream_thinking_text_tool_use_and_usage() -> None:
    items = _events(
        {
            "type": "message_start",
            "message": {
                "id": "msg_1",
                "model": "m",
                "usage": {"input_tokens": 5, "cache_read_input_tokens": 3, "output_tokens": 1},
            },
        },
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "hm "},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "ok"},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "SIG"},
        },
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi"}},
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "toolu_9", "name": "f", "input": {}},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '{"a":'},
        },
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": "1}"},
        },
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 7},
        },
        {"type": "message_stop"},
    )
    result = ChatAccumulator().extend(items).result()
    assert result.reasoning_content == "hm ok"
    assert result.thinking_blocks == (
        {"type": "thinking", "thinking": "hm ok", "signature": "SIG"},
    )
    assert result.content == "Hi"
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [("toolu_9", "f", '{"a":1}')]
    assert result.finish_reason == "tool_calls"
    assert result.usage is not None
    assert (
        result.usage.prompt_tokens,
        result.usage.completion_tokens,
        result.usage.cached_tokens,
    ) == (8, 7, 3)
    assert result.response_id == "msg_1"


def test_redacted_thinking_is_kept_whole() -> None:
    blocks = [
        {"type": "redacted_thinking", "data": "xyz"},
        {"type": "thinking", "thinking": "a"},
        {"type": "thinking", "thinking": "", "signature": "S"},
    ]
    assert combine_thinking(blocks) == (
        {"type": "redacted_thinking", "data": "xyz"},
        {"type": "thinking", "thinking": "a", "signature": "S"},
    )


def test_error_event_and_unfinished_stream() -> None:
    translator = MessagesStreamTranslator()
    with pytest.raises(StreamError) as info:
        translator.feed(
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        )
    assert info.value.code == "overloaded"
    with pytest.raises(StreamError, match="ended before"):
        _events({"type": "message_start", "message": {}})


def test_stop_reasons() -> None:
    for stop, expected in (
        ("end_turn", "stop"),
        ("max_tokens", "length"),
        ("refusal", "content_filter"),
    ):
        items = _events({"type": "message_delta", "delta": {"stop_reason": stop}})
        finish = items[-1]
        assert isinstance(finish, ChatFinish) and finish.finish_reason == expected
    assert ChatDelta(thinking_blocks=({"type": "thinking"},)).is_empty() is False


def test_gemini_state_in_thinking_blocks_is_not_sent_to_claude() -> None:
    messages = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": "ok",
            "thinking_blocks": [
                {
                    "type": "thinking",
                    "thinking": "g",
                    "signature": "litellm-codex:reasoning_opaque:X",
                }
            ],
        },
        {"role": "user", "content": "again"},
    ]
    body = build_messages_request("claude-sonnet-4.5", messages, {}, max_output_tokens=100).body
    assert body["messages"][1]["content"] == [{"type": "text", "text": "ok"}]


ADAPTIVE = {"adaptive_thinking": True, "reasoning_effort": ["low", "medium", "high"]}
TOOL = {
    "type": "function",
    "function": {"name": "f", "parameters": {"type": "object", "properties": {}}},
}


def _cached(value: Any) -> list[str]:
    """Paths of every ``cache_control`` in a body."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if "cache_control" in node:
                found.append(path)
            for key, sub in node.items():
                walk(sub, f"{path}.{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}[{i}]")

    walk(value, "")
    return found


def test_cache_breakpoints_on_system_and_last_message() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "second"},
    ]
    body = build_messages_request("claude-sonnet-4.6", messages, {"tools": [TOOL]}).body
    assert sorted(_cached(body)) == [".messages[2].content[0]", ".system[0]"]
    assert body["messages"][2]["content"][0]["text"] == "second"
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}


def test_cache_breakpoint_on_tool_result_not_on_thinking() -> None:
    messages = [
        {"role": "user", "content": "call f"},
        {
            "role": "assistant",
            "content": None,
            "thinking_blocks": [{"type": "thinking", "thinking": "t", "signature": "SIG"}],
            "tool_calls": [
                {"id": "toolu_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "ok"},
    ]
    body = build_messages_request("claude-sonnet-4.6", messages, {"tools": [TOOL]}).body
    assert _cached(body) == [".messages[2].content[0]"]
    assert body["messages"][2]["content"][0]["type"] == "tool_result"
    # An assistant prefill ending in a thinking block: the breakpoint skips it.
    prefill = [messages[0], {**messages[1], "tool_calls": None, "content": ""}]
    body = build_messages_request("claude-sonnet-4.6", prefill, {}).body
    assert all("thinking" not in path for path in _cached(body))


def test_caller_cache_control_is_left_alone() -> None:
    """A caller's own breakpoints are kept and none are added (Anthropic allows four)."""
    messages = [
        {"role": "system", "content": "S"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "U", "cache_control": {"type": "ephemeral"}}],
        },
        {"role": "assistant", "content": "A"},
        {"role": "user", "content": "last"},
    ]
    body = build_messages_request("claude-sonnet-4.6", messages, {}).body
    assert _cached(body) == [".messages[0].content[0]"]


def test_adaptive_thinking_only_when_asked() -> None:
    messages = [{"role": "user", "content": "hi"}]
    plain = build_messages_request("claude-sonnet-4.6", messages, {}, supports=ADAPTIVE).body
    assert "thinking" not in plain and "output_config" not in plain
    asked = build_messages_request(
        "claude-sonnet-4.6", messages, {"reasoning_effort": "medium"}, supports=ADAPTIVE
    ).body
    # The reference's shape (reference-clients-2026-11.md §2).
    assert asked["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert asked["output_config"] == {"effort": "medium"}
    off = build_messages_request(
        "claude-sonnet-4.6", messages, {"reasoning_effort": "none"}, supports=ADAPTIVE
    ).body
    assert "thinking" not in off and "output_config" not in off


def test_effort_the_model_does_not_list_is_refused_before_sending() -> None:
    from litellm_codex.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="'low', 'medium', 'high'"):
        build_messages_request(
            "claude-sonnet-4.6",
            [{"role": "user", "content": "hi"}],
            {"reasoning_effort": "xhigh"},
            supports=ADAPTIVE,
        )


def test_budget_thinking_without_adaptive_capability() -> None:
    """A model without ``adaptive_thinking`` in ``/models`` keeps LiteLLM's budget mapping."""
    body = build_messages_request(
        "claude-sonnet-4.5",
        [{"role": "user", "content": "hi"}],
        {"reasoning_effort": "low"},
        supports={"thinking": True},
    ).body
    assert body["thinking"]["type"] == "enabled"
    assert "output_config" not in body
