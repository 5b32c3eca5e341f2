"""Copilot chat translation: request bodies, headers, stream normalisation, whole answers.

The streams below are shaped like the ones in protocols/github-copilot.md §3.6 (VS Code
Copilot Chat's SSE fixtures): GPT with a prompt-filter preamble and usage trailer, Claude
with every tool call on index 0, Gemini with `reasoning_text`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from litellm_codex.errors import StreamError, UpstreamError
from litellm_codex.sse import SSEDecoder
from litellm_codex.testing.copilot_api import copilot_model
from litellm_codex.translate.copilot_chat import (
    MAX_TOOL_CALL_ID_LENGTH,
    ChatModelTraits,
    build_chat_request,
    restore_tool_call_id,
    shorten_tool_call_id,
)
from litellm_codex.translate.copilot_chat_body import parse_chat_response
from litellm_codex.translate.copilot_chat_stream import CopilotChatStreamTranslator
from litellm_codex.translate.copilot_finish import FINISH_REASON_MAP
from litellm_codex.translate.copilot_headers import has_image_parts, initiator, request_headers
from litellm_codex.translate.copilot_usage import parse_usage
from litellm_codex.translate.deltas import (
    ChatAccumulator,
    ChatDelta,
    ChatFinish,
    ChatResult,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from litellm_codex.translate.responses_stream import decode_event

LONG_ID = "toolu_" + "x" * 80
LONGER_ID = "toolu_" + "x" * 80 + "y"


def sse_events(text: str) -> list[dict[str, Any]]:
    """The decoded events of an SSE body, through the provider's one event path
    (:class:`SSEDecoder`, then ``decode_event``, which skips ``[DONE]``)."""
    decoder = SSEDecoder()
    events = decoder.feed(text.encode()) + decoder.finish()
    return [payload for e in events if (payload := decode_event(e)) is not None]


def run(chunks: Iterable[Mapping[str, Any]], **kw: Any) -> tuple[list[Any], ChatResult]:
    """Stream ``chunks`` as Copilot frames them (``data: {...}`` and ``data: [DONE]``)."""
    translator = CopilotChatStreamTranslator(**kw)
    text = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    items: list[Any] = []
    for event in sse_events(text):
        items.extend(translator.feed(event))
    items.extend(translator.finish())
    return items, ChatAccumulator().extend(items).result()


def traits(model_id: str, **entry: Any) -> ChatModelTraits:
    """The traits of a ``/models`` entry shaped like Copilot's (the simulator's catalog)."""
    return ChatModelTraits.from_entry(copilot_model(model_id, **entry))


#: Catalog entries as Copilot lists them (protocols/github-copilot.md §3.4).
GPT5 = traits("gpt-5-mini", vendor="Azure OpenAI", reasoning_effort=("low", "medium", "high"))
O3 = traits("o3", vendor="OpenAI", reasoning_effort=("low", "medium", "high"))
GPT4O = traits("gpt-4o", vendor="Azure OpenAI")
GEMINI3 = traits("gemini-3-pro-preview", vendor="Google", reasoning_effort=("low", "high"))
CLAUDE = traits("claude-sonnet-4.6", vendor="Anthropic", reasoning_effort=("low", "high"))


def choice_chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta}
    if finish is not None:
        choice["finish_reason"] = finish
    return {"choices": [choice], "id": "chatcmpl-1", "model": "gpt-4o-2024-11-20", **extra}


PROMPT_FILTER = {
    "choices": [],
    "created": 0,
    "id": "",
    "prompt_filter_results": [{"content_filter_results": {}, "prompt_index": 0}],
}

# -- GPT: preamble with empty choices, text, tool calls with proper indexes, usage trailer --

GPT_TEXT = [
    PROMPT_FILTER,
    choice_chunk({"content": "", "role": "assistant"}),
    choice_chunk({"content": "Hel"}),
    choice_chunk({"content": "lo"}),
    choice_chunk({"content": None}, "stop"),
    {
        "choices": [],
        "id": "chatcmpl-1",
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 2,
            "total_tokens": 12,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    },
]

GPT_TOOLS = [
    PROMPT_FILTER,
    choice_chunk(
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_a",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
            ]
        }
    ),
    choice_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
    choice_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
    choice_chunk(
        {
            "tool_calls": [
                {
                    "index": 1,
                    "id": "call_b",
                    "type": "function",
                    "function": {"name": "get_time", "arguments": "{}"},
                }
            ]
        }
    ),
    choice_chunk(
        {"content": None},
        "tool_calls",
        usage={"prompt_tokens": 218, "completion_tokens": 9, "total_tokens": 227},
    ),
]

# -- Claude: uuid ids, role repeated, every call on index 0, a new id marks a new call -----


def claude(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    chunk = choice_chunk({"role": "assistant", **delta}, finish, **extra)
    chunk["id"] = "ba49856c-0000-4000-8000-000000000001"
    chunk["model"] = "claude-sonnet-4.5"
    return chunk


CLAUDE_TOOLS = [
    claude({"content": "I will "}),
    claude({"content": "edit."}),
    claude(
        {
            "content": None,
            "tool_calls": [
                {
                    "function": {"name": "edit_file"},
                    "id": "tooluse_448k6WHnTpS28K0Bd1bhgA",
                    "index": 0,
                    "type": "function",
                }
            ],
        }
    ),
    claude({"tool_calls": [{"function": {"arguments": '{"filePath'}, "index": 0}]}),
    claude({"tool_calls": [{"function": {"arguments": '": "a.py"}'}, "index": 0}]}),
    claude(
        {
            "tool_calls": [
                {
                    "function": {"name": "edit_file"},
                    "id": "tooluse_2SRF2HShTXOoLdGrjWuGiw",
                    "index": 0,
                    "type": "function",
                }
            ]
        }
    ),
    claude({"tool_calls": [{"function": {"arguments": '{"filePath": "b.py"}'}, "index": 0}]}),
    claude(
        {"content": None},
        "tool_calls",
        usage={"completion_tokens": 170, "prompt_tokens": 2128, "total_tokens": 2298},
    ),
]

# -- Gemini: reasoning in `reasoning_text`, then the answer --------------------------------

GEMINI = [
    choice_chunk({"role": "assistant", "reasoning_text": "Thinking "}),
    choice_chunk({"reasoning_text": "hard."}),
    choice_chunk({"content": "42"}),
    choice_chunk(
        {},
        "stop",
        usage={
            "prompt_tokens": 5,
            "completion_tokens": 7,
            "total_tokens": 12,
            "completion_tokens_details": {"reasoning_tokens": 5},
        },
    ),
]


# --------------------------------------------------------------------------------------
# Streams


@pytest.mark.parametrize(
    ("chunks", "content", "reasoning", "calls", "finish", "usage"),
    [
        pytest.param(
            GPT_TEXT,
            "Hello",
            None,
            (),
            "stop",
            Usage(10, 2, 12, cached_tokens=4, reasoning_tokens=0),
            id="gpt-text-usage-trailer",
        ),
        pytest.param(
            GPT_TOOLS,
            None,
            None,
            (
                ToolCall("call_a", "get_weather", '{"city":"Paris"}'),
                ToolCall("call_b", "get_time", "{}"),
            ),
            "tool_calls",
            Usage(218, 9, 227),
            id="gpt-two-tool-calls",
        ),
        pytest.param(
            CLAUDE_TOOLS,
            "I will edit.",
            None,
            (
                ToolCall("tooluse_448k6WHnTpS28K0Bd1bhgA", "edit_file", '{"filePath": "a.py"}'),
                ToolCall("tooluse_2SRF2HShTXOoLdGrjWuGiw", "edit_file", '{"filePath": "b.py"}'),
            ),
            "tool_calls",
            Usage(2128, 170, 2298),
            id="claude-same-index-new-id",
        ),
        pytest.param(
            GEMINI,
            "42",
            "Thinking hard.",
            (),
            "stop",
            Usage(5, 7, 12, reasoning_tokens=5),
            id="gemini-reasoning-text",
        ),
    ],
)
def test_stream_shapes(
    chunks: list[dict[str, Any]],
    content: str | None,
    reasoning: str | None,
    calls: tuple[ToolCall, ...],
    finish: str,
    usage: Usage,
) -> None:
    items, result = run(chunks)
    assert result.content == content
    assert result.reasoning_content == reasoning
    assert result.tool_calls == calls
    assert result.finish_reason == finish
    assert result.usage == usage
    assert isinstance(items[-1], ChatFinish)
    assert all(isinstance(i, ChatDelta) and not i.is_empty() for i in items[:-1])


def test_claude_calls_get_distinct_output_indexes_and_ids_once() -> None:
    items, _ = run(CLAUDE_TOOLS)
    parts = [p for i in items if isinstance(i, ChatDelta) for p in i.tool_calls]
    assert [(p.index, p.id, p.name) for p in parts] == [
        (0, "tooluse_448k6WHnTpS28K0Bd1bhgA", "edit_file"),
        (0, None, None),
        (0, None, None),
        (1, "tooluse_2SRF2HShTXOoLdGrjWuGiw", "edit_file"),
        (1, None, None),
    ]


def test_finish_and_ids_from_chunks() -> None:
    _, result = run(CLAUDE_TOOLS)
    assert result.response_id == "ba49856c-0000-4000-8000-000000000001"
    assert result.model == "claude-sonnet-4.5"
    # The preamble's empty id is not taken as the response id.
    _, gpt = run(GPT_TEXT)
    assert gpt.response_id == "chatcmpl-1"
    assert gpt.model == "gpt-4o-2024-11-20"


def test_repeated_id_on_closing_chunk_is_not_a_new_call() -> None:
    # Some upstreams repeat id and name on every tool-call chunk.
    chunks = [
        choice_chunk({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "f"}}]}),
        choice_chunk(
            {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "f", "arguments": "{}"}}]}
        ),
        choice_chunk({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "f"}}]}),
        choice_chunk({}, "tool_calls"),
    ]
    items, result = run(chunks)
    assert result.tool_calls == (ToolCall("c1", "f", "{}"),)
    assert len([i for i in items if isinstance(i, ChatDelta)]) == 2


def test_tool_call_without_id_gets_a_stable_one_and_late_id_or_name_is_adopted() -> None:
    chunks = [
        choice_chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{"}}]}),
        # The upstream names the id late: same call, no new index.
        choice_chunk({"tool_calls": [{"index": 0, "id": "late", "function": {"name": "g"}}]}),
        choice_chunk({"tool_calls": [{"index": 0, "id": "late", "function": {"arguments": "}"}}]}),
        choice_chunk({}, "stop"),
    ]
    _, result = run(chunks)
    assert result.tool_calls == (ToolCall("call_copilot_0", "g", "{}"),)
    assert result.finish_reason == "tool_calls"  # "stop" with tool calls (Claude quirk)


def test_garbage_inside_chunks_is_ignored() -> None:
    chunks: list[dict[str, Any]] = [
        {"choices": "nope"},
        {"choices": ["nope", {"index": 0}]},
        choice_chunk({"tool_calls": ["nope", {"index": 0, "id": "x", "function": "nope"}]}),
        choice_chunk({"content": 3, "reasoning_text": ""}, ""),
        choice_chunk({}, "tool_calls", usage="nope"),
    ]
    _, result = run(chunks)
    assert result.tool_calls == (ToolCall("x", "", ""),)
    assert result.content is None
    assert result.usage is None


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        ({"reasoning_text": "a"}, "a"),
        ({"reasoning_content": "b"}, "b"),
        ({"thinking": "c"}, "c"),
        ({"thinking": {"text": "d"}}, "d"),
        ({"thinking": {"thinking": "e"}}, "e"),
        # Two fields filled: taken once, not doubled.
        ({"reasoning_text": "f", "reasoning_content": "f"}, "f"),
        ({"reasoning_text": None, "thinking": {}}, None),
    ],
)
def test_reasoning_fields(delta: dict[str, Any], expected: str | None) -> None:
    _, result = run([choice_chunk(delta, "stop")])
    assert result.reasoning_content == expected


@pytest.mark.parametrize(
    ("reasons", "tool", "expected"),
    [
        (["stop"], False, "stop"),
        (["length"], False, "length"),
        (["content_filter"], False, "content_filter"),
        (["function_call"], True, "tool_calls"),
        (["tool_calls"], True, "tool_calls"),
        (["stop"], True, "tool_calls"),
        (["weird"], False, "stop"),
        (["length"], True, "length"),
        (["stop", "tool_calls"], True, "tool_calls"),
        (["stop", "content_filter"], False, "content_filter"),
    ],
)
def test_finish_reason_table(reasons: list[str], tool: bool, expected: str) -> None:
    chunks = []
    if tool:
        chunks.append(choice_chunk({"tool_calls": [{"index": 0, "id": "t", "function": {}}]}))
    chunks += [
        {"choices": [{"index": i, "delta": {}, "finish_reason": r}]} for i, r in enumerate(reasons)
    ]
    _, result = run(chunks)
    assert result.finish_reason == expected


def test_finish_reason_map_values_are_openai() -> None:
    assert set(FINISH_REASON_MAP.values()) <= {"stop", "length", "tool_calls", "content_filter"}


def test_stream_without_finish_reason_is_an_error() -> None:
    translator = CopilotChatStreamTranslator()
    assert translator.feed(choice_chunk({"content": "partial"}))
    with pytest.raises(StreamError, match="ended before"):
        translator.finish()


def test_sse_frames_done_and_garbage_through_the_one_decoder() -> None:
    """The translator takes decoded events only: ``[DONE]`` never reaches it, and a frame
    that is not a JSON object is the decoder's :class:`StreamError`."""
    translator = CopilotChatStreamTranslator()
    frames = f"data: {json.dumps(choice_chunk({'content': 'hi'}, 'stop'))}\n\ndata:  [DONE] \n\n"
    events = sse_events(frames)
    assert len(events) == 1
    assert translator.feed(events[0]) == [ChatDelta(content="hi")]
    with pytest.raises(StreamError, match="malformed"):
        sse_events("data: {not json\n\n")
    with pytest.raises(StreamError, match="malformed"):
        sse_events("data: [1, 2]\n\n")
    assert translator.finish()[0] == ChatFinish("stop", None, "chatcmpl-1", "gpt-4o-2024-11-20")
    assert not hasattr(translator, "feed_data")


@pytest.mark.parametrize(
    ("chunk", "code"),
    [
        ({"error": {"message": "boom", "code": "server_error"}}, "server_error"),
        ({"error": "rate_limited", "message": "slow down"}, "rate_limited"),
    ],
)
def test_in_band_error_chunk_raises(chunk: dict[str, Any], code: str) -> None:
    with pytest.raises(StreamError) as info:
        CopilotChatStreamTranslator().feed(chunk)
    assert info.value.code == code
    assert "Copilot reported an error" in info.value.message


def test_stream_restores_shortened_tool_call_ids() -> None:
    short = shorten_tool_call_id(LONG_ID)
    chunks = [
        choice_chunk({"tool_calls": [{"index": 0, "id": short, "function": {"name": "f"}}]}),
        choice_chunk({}, "tool_calls"),
    ]
    _, result = run(chunks, tool_call_ids={short: LONG_ID})
    assert result.tool_calls[0].id == LONG_ID


def test_stream_split_at_every_chunk_boundary_matches_whole_answer() -> None:
    # Stream and non-stream agree: the accumulated stream equals the parsed whole answer.
    _, streamed = run(CLAUDE_TOOLS)
    whole = parse_chat_response(
        {
            "id": "ba49856c-0000-4000-8000-000000000001",
            "model": "claude-sonnet-4.5",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "I will edit."}},
                {
                    "index": 1,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "tool_calls": [c.to_openai() for c in streamed.tool_calls],
                    },
                },
            ],
            "usage": {"completion_tokens": 170, "prompt_tokens": 2128, "total_tokens": 2298},
        }
    )
    assert whole == streamed


# --------------------------------------------------------------------------------------
# Whole answers


def test_parse_gpt_body() -> None:
    result = parse_chat_response(
        {
            "id": "chatcmpl-9",
            "model": "gpt-4o",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "hi"},
                }
            ],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }
    )
    assert result == ChatResult("hi", None, (), "stop", Usage(3, 1, 4), "chatcmpl-9", "gpt-4o")


def test_parse_claude_split_choices_merges_text_and_calls() -> None:
    short = shorten_tool_call_id(LONG_ID)
    body = {
        "choices": [
            # Out of order on purpose: merged by index.
            {
                "index": 1,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": short,
                            "type": "function",
                            "function": {"name": "a", "arguments": ""},
                        },
                        {"id": "t2", "function": {"name": "b", "arguments": {"x": 1}}},
                        "nope",
                    ],
                },
            },
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Let me look.", "reasoning_text": "r"},
            },
            # The same call repeated in another choice is taken once.
            {"index": 2, "message": {"tool_calls": [{"id": "t2", "function": {"name": "b"}}]}},
            "nope",
            {"index": 3, "message": "nope"},
        ]
    }
    result = parse_chat_response(body, tool_call_ids={short: LONG_ID})
    assert result.content == "Let me look."
    assert result.reasoning_content == "r"
    assert result.tool_calls == (
        ToolCall(LONG_ID, "a", "{}"),
        ToolCall("t2", "b", '{"x": 1}'),
    )
    assert result.finish_reason == "tool_calls"
    assert result.usage is None
    assert result.response_id is None


def test_parse_tool_call_without_id() -> None:
    result = parse_chat_response(
        {"choices": [{"message": {"tool_calls": [{"function": {"name": "f"}}]}}]}
    )
    assert result.tool_calls == (ToolCall("call_copilot_0", "f", "{}"),)
    assert result.finish_reason == "tool_calls"


def test_parse_empty_choices() -> None:
    result = parse_chat_response({"choices": []})
    assert (result.content, result.tool_calls, result.finish_reason) == (None, (), "stop")


def test_parse_anthropic_native_body() -> None:
    body = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-opus-4.7",
        "content": [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Calling."},
            {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}},
            {"type": "tool_use", "name": "noargs"},
            {"type": "text", "text": None},
            "nope",
        ],
        "stop_reason": "tool_use",
        "usage": {
            "input_tokens": 10,
            "output_tokens": 5,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 2,
        },
    }
    result = parse_chat_response(body)
    assert result == ChatResult(
        content="Calling.",
        reasoning_content="hmm",
        tool_calls=(
            ToolCall("toolu_1", "lookup", '{"q": "x"}'),
            ToolCall("call_copilot_1", "noargs", "{}"),
        ),
        finish_reason="tool_calls",
        usage=Usage(112, 5, 117, cached_tokens=100),
        response_id="msg_01",
        model="claude-opus-4.7",
    )


@pytest.mark.parametrize(
    ("stop_reason", "expected"),
    [("end_turn", "stop"), ("max_tokens", "length"), ("refusal", "content_filter"), (None, "stop")],
)
def test_parse_anthropic_stop_reasons(stop_reason: str | None, expected: str) -> None:
    result = parse_chat_response({"content": [], "stop_reason": stop_reason})
    assert result.finish_reason == expected
    assert result.content is None
    assert result.reasoning_content is None


def test_parse_error_and_unknown_bodies() -> None:
    with pytest.raises(UpstreamError) as info:
        parse_chat_response({"error": {"message": "nope", "code": "model_not_supported"}})
    assert info.value.code == "model_not_supported"
    with pytest.raises(UpstreamError, match="no choices"):
        parse_chat_response({"object": "weird"})


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": 3, "completion_tokens": 4}, Usage(3, 4, 7)),
        ({"completion_tokens": True}, Usage(0, 0, 0)),
        (
            {
                "prompt_tokens": 3,
                "total_tokens": 9,
                "prompt_tokens_details": {"cached_tokens": None},
            },
            Usage(3, 0, 9),
        ),
        ({"input_tokens": 2, "output_tokens": 3}, Usage(2, 3, 5)),
        ({}, Usage(0, 0, 0)),
    ],
)
def test_parse_usage(usage: dict[str, Any], expected: Usage) -> None:
    assert parse_usage(usage) == expected


# --------------------------------------------------------------------------------------
# Tool call ids


@pytest.mark.parametrize(
    "call_id", ["call_1", "x" * MAX_TOOL_CALL_ID_LENGTH, LONG_ID, LONGER_ID, "é" * 70]
)
def test_shorten_is_deterministic_and_bounded(call_id: str) -> None:
    short = shorten_tool_call_id(call_id)
    assert len(short) <= MAX_TOOL_CALL_ID_LENGTH
    assert short == shorten_tool_call_id(call_id)
    if len(call_id) <= MAX_TOOL_CALL_ID_LENGTH:
        assert short == call_id
    else:
        assert short.startswith(call_id[:20])


def test_long_ids_sharing_a_prefix_stay_distinct() -> None:
    assert shorten_tool_call_id(LONG_ID) != shorten_tool_call_id(LONGER_ID)


def test_restore() -> None:
    assert restore_tool_call_id("s", {"s": "original"}) == "original"
    assert restore_tool_call_id("other", {"s": "original"}) == "other"


def test_request_shortens_ids_and_round_trips() -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": LONG_ID, "type": "function", "function": {"name": "f", "arguments": "{}"}},
                {"id": "short", "type": "function", "function": {"name": "g", "arguments": "{}"}},
                "odd",
            ],
        },
        {"role": "tool", "tool_call_id": LONG_ID, "content": "ok"},
        {"role": "tool", "tool_call_id": None, "content": "?"},
    ]
    built = build_chat_request("claude-sonnet-4.5", messages, {}, stream=False)
    sent = built.body["messages"]
    short = shorten_tool_call_id(LONG_ID)
    assert sent[0] == {"role": "system", "content": "be brief"}  # system stays system
    assert [c["id"] for c in sent[2]["tool_calls"][:2]] == [short, "short"]
    assert sent[2]["tool_calls"][2] == "odd"
    assert sent[3]["tool_call_id"] == short
    assert built.tool_call_ids == {short: LONG_ID}
    assert messages[2]["tool_calls"][0]["id"] == LONG_ID  # the caller's messages untouched
    assert restore_tool_call_id(short, built.tool_call_ids) == LONG_ID


# --------------------------------------------------------------------------------------
# Request bodies


def test_request_passes_params_and_reports_dropped() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    params = {
        "tools": tools,
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "response_format": {"type": "json_object"},
        "temperature": 0.2,
        "top_p": 0.9,
        "stop": ["x"],
        "n": 1,
        "max_tokens": 50,
        "reasoning_effort": "low",
        "functions_unsupported": [1],
        "web_search_options": {},
        "seed": None,
    }
    built = build_chat_request("gpt-4o", [{"role": "user", "content": "hi"}], params, stream=False)
    body = built.body
    assert body["model"] == "gpt-4o"
    assert body["stream"] is False
    assert "stream_options" not in body
    assert body["max_tokens"] == 50
    for name in ("tools", "tool_choice", "parallel_tool_calls", "response_format", "stop"):
        assert body[name] == params[name]
    assert "seed" not in body
    assert built.dropped == ("functions_unsupported", "web_search_options")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (GPT5, True),
        (O3, True),
        # The name says nothing: what counts is the catalog entry.
        (traits("gpt-5-preview", vendor="Azure OpenAI"), False),
        (traits("my-model", vendor="OpenAI", reasoning_effort=("high",)), True),
        (GPT4O, False),
        (GEMINI3, False),  # lists efforts, not an OpenAI model
        (CLAUDE, False),
        (ChatModelTraits.from_entry(None), False),  # unknown: max_tokens
        (ChatModelTraits.from_entry({}), False),
    ],
)
def test_openai_reasoning_from_the_catalog(entry: ChatModelTraits, expected: bool) -> None:
    assert entry.openai_reasoning is expected
    built = build_chat_request("m", [], {"max_tokens": 9}, stream=False, traits=entry)
    assert built.body.get("max_completion_tokens" if expected else "max_tokens") == 9
    assert ("max_tokens" in built.body) is not expected


def test_catalog_traits_of_entries_with_odd_shapes() -> None:
    assert ChatModelTraits.from_entry({"vendor": "OpenAI", "capabilities": None}) == (
        ChatModelTraits()
    )
    odd = {"vendor": "OpenAI", "capabilities": {"supports": {"reasoning_effort": "high"}}}
    assert ChatModelTraits.from_entry(odd) == ChatModelTraits()
    assert ChatModelTraits(reasoning_efforts=("low", "high"), validated_tools=True) == GEMINI3


def test_reasoning_model_renames_max_tokens_and_drops_sampling() -> None:
    built = build_chat_request(
        "gpt-5-mini",
        [{"role": "user", "content": "hi"}],
        {"max_tokens": 100, "temperature": 0, "top_p": 1, "reasoning_effort": "high"},
        stream=True,
        traits=GPT5,
    )
    assert "max_tokens" not in built.body
    assert built.body["max_completion_tokens"] == 100
    assert built.body["reasoning_effort"] == "high"
    assert built.dropped == ("temperature", "top_p")
    # An explicit max_completion_tokens wins over a renamed max_tokens.
    both = build_chat_request(
        "o3", [], {"max_tokens": 100, "max_completion_tokens": 7}, stream=False, traits=O3
    )
    assert both.body["max_completion_tokens"] == 7
    assert "max_tokens" not in both.body


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (None, {"include_usage": True}),
        ({"include_usage": False}, {"include_usage": True}),
        ({"continuous_usage_stats": True}, {"continuous_usage_stats": True, "include_usage": True}),
        ("junk", {"include_usage": True}),
    ],
)
def test_stream_options_always_include_usage(options: Any, expected: dict[str, Any]) -> None:
    built = build_chat_request(
        "gpt-4o", [], {"stream_options": options, "stream": True}, stream=True
    )
    assert built.body["stream"] is True
    assert built.body["stream_options"] == expected
    assert built.dropped == ()


def test_extra_body_is_merged() -> None:
    built = build_chat_request(
        "gpt-4o", [], {"extra_body": {"copilot_thing": 1}, "temperature": 1}, stream=False
    )
    assert built.body["copilot_thing"] == 1
    assert built.body["temperature"] == 1


# --------------------------------------------------------------------------------------
# Headers

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([], "agent"),
        ([{"role": "user", "content": "hi"}], "user"),
        ([{"role": "user", "content": "   "}], "agent"),
        ([{"role": "user", "content": None}], "agent"),
        ([{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "user"),
        ([{"role": "user", "content": [{"type": "text", "text": ""}]}], "agent"),
        ([{"role": "user", "content": [IMAGE]}], "user"),
        ([{"role": "user", "content": [{"type": "tool_result", "content": "x"}]}], "agent"),
        ([{"role": "system", "content": "s"}], "agent"),
    ],
)
def test_initiator(messages: list[dict[str, Any]], expected: str) -> None:
    assert initiator(messages) == expected


def test_initiator_across_a_tool_loop() -> None:
    # Only the user's own turns are billed as `user` (§3.3); the tool follow-up is `agent`,
    # and the next user prompt of the same chat is `user` again.
    convo: list[dict[str, Any]] = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "weather?"},
    ]
    seen = [request_headers(convo)["X-Initiator"]]
    convo += [
        {
            "role": "assistant",
            "tool_calls": [{"id": "c", "type": "function", "function": {"name": "w"}}],
        },
        {"role": "tool", "tool_call_id": "c", "content": "sunny"},
    ]
    seen.append(request_headers(convo)["X-Initiator"])
    convo += [{"role": "assistant", "content": "sunny"}]
    seen.append(request_headers(convo)["X-Initiator"])
    convo += [{"role": "user", "content": "thanks"}]
    seen.append(request_headers(convo)["X-Initiator"])
    assert seen == ["user", "agent", "agent", "user"]


def test_headers_static_and_generated() -> None:
    headers = request_headers([{"role": "user", "content": "hi"}])
    # The reference client's identity (reference-clients-2026-11.md §2).
    assert headers["Editor-Version"] == "copilot/1.0.102"
    assert headers["Copilot-Integration-Id"] == "copilot-developer-cli"
    assert headers["X-GitHub-Api-Version"] == "2026-08-01"
    assert headers["Copilot-Harness-Id"] == "copilot-sdk"
    assert headers["User-Agent"].startswith("copilot/1.0.102 (")
    assert "Editor-Plugin-Version" not in headers
    assert headers["Openai-Intent"] == "conversation-agent"
    assert headers["X-Interaction-Type"] == "conversation-user"
    # The reference's correlation ids, and no per-request id.
    assert "X-Request-Id" not in headers
    for name in ("X-Client-Session-Id", "X-Client-Machine-Id", "X-Interaction-Id"):
        assert len(headers[name]) == 36, name
    assert headers["X-Agent-Task-Id"] != headers["X-Interaction-Id"]
    assert headers["Content-Type"] == "application/json"
    assert "Copilot-Vision-Request" not in headers
    assert "Authorization" not in headers


def test_turn_ids_last_for_a_user_turn() -> None:
    """X-Interaction-Id / X-Agent-Task-Id: the same on a prompt's request and its tool
    follow-ups (as the reference sends them), new for the next prompt."""
    ids = ("X-Interaction-Id", "X-Agent-Task-Id")
    convo: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "weather?"},
    ]
    first = [request_headers(convo)[n] for n in ids]
    convo += [
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function"}]},
        {"role": "tool", "tool_call_id": "c", "content": "sunny"},
    ]
    assert [request_headers(convo)[n] for n in ids] == first
    convo += [{"role": "assistant", "content": "sunny"}, {"role": "user", "content": "thanks"}]
    second = [request_headers(convo)[n] for n in ids]
    assert second[0] != first[0] and second[1] != first[1]
    # A cache breakpoint moved off the prompt (Claude Code does that) keeps the turn.
    marked = [{"type": "text", "text": "weather?", "cache_control": {"type": "ephemeral"}}]
    unmarked = [{"type": "text", "text": "weather?"}]
    assert (
        request_headers([{"role": "user", "content": marked}])["X-Interaction-Id"]
        == (request_headers([{"role": "user", "content": unmarked}])["X-Interaction-Id"])
    )
    other = [{"role": "user", "content": "something else"}]
    assert request_headers(other)["X-Interaction-Id"] not in (first[0], second[0])
    # Keyed hashes: nothing of the conversation in them.
    assert all(re.fullmatch(r"[0-9a-f-]{36}", v) for v in first + second)


def test_machine_and_session_ids_are_stable() -> None:
    one, two = request_headers([]), request_headers([{"role": "user", "content": "x"}])
    for name in ("X-Client-Machine-Id", "X-Client-Session-Id"):
        assert one[name] == two[name]
    assert one["X-Client-Machine-Id"] != one["X-Client-Session-Id"]


def test_caller_headers_win_over_ids() -> None:
    headers = request_headers([], caller_headers={"x-interaction-id": "mine"})
    assert headers["x-interaction-id"] == "mine"
    assert "X-Interaction-Id" not in headers


def test_vision_header_only_with_images() -> None:
    with_image = [{"role": "user", "content": [{"type": "text", "text": "what?"}, IMAGE]}]
    assert request_headers(with_image)["Copilot-Vision-Request"] == "true"
    assert "Copilot-Vision-Request" not in request_headers([{"role": "user", "content": "x"}])
    assert "Copilot-Vision-Request" not in request_headers(with_image, has_images=False)
    assert request_headers([], has_images=True)["Copilot-Vision-Request"] == "true"


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"role": "user", "content": [IMAGE]}], True),
        ([{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}], True),
        ([{"role": "assistant", "content": [{"type": "image", "source": {}}]}], True),
        ([{"role": "user", "content": [{"type": "text", "text": "x"}, "junk"]}], False),
        ([{"role": "user", "content": "text"}], False),
    ],
)
def test_has_image_parts(messages: list[dict[str, Any]], expected: bool) -> None:
    assert has_image_parts(messages) is expected


def test_caller_headers_win_case_insensitively() -> None:
    headers = request_headers(
        [{"role": "user", "content": "hi"}],
        caller_headers={"x-initiator": "agent", "X-Custom": "1"},
        intent="conversation-agent",
    )
    assert headers["x-initiator"] == "agent"
    assert "X-Initiator" not in headers
    assert headers["X-Custom"] == "1"
    assert headers["Openai-Intent"] == "conversation-agent"


def test_tool_call_delta_is_the_shared_type() -> None:
    # The translator emits the neutral types the provider base understands.
    items, _ = run(GPT_TOOLS)
    first = next(i for i in items if isinstance(i, ChatDelta) and i.tool_calls)
    assert first.tool_calls[0] == ToolCallDelta(0, "call_a", "get_weather", "")


def test_known_id_returning_after_another_call_goes_to_its_call() -> None:
    # Claude-style: call A, call B on the same index, then a late part that names A again.
    chunks = [
        claude({"tool_calls": [{"index": 0, "id": "A", "function": {"name": "f"}}]}),
        claude({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}),
        claude({"tool_calls": [{"index": 0, "id": "B", "function": {"name": "g"}}]}),
        claude({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
        claude({"tool_calls": [{"index": 0, "id": "A", "function": {"arguments": "1}"}}]}),
        claude({}, "tool_calls"),
    ]
    _, result = run(chunks)
    assert result.tool_calls == (ToolCall("A", "f", '{"a":1}'), ToolCall("B", "g", "{}"))


@pytest.mark.parametrize(
    ("entry", "sent"),
    [(GPT5, True), (GPT4O, False), (GEMINI3, False), (ChatModelTraits(), False)],
)
def test_verbosity_only_for_openai_reasoning_models(entry: ChatModelTraits, sent: bool) -> None:
    built = build_chat_request("m", [], {"verbosity": "low"}, stream=False, traits=entry)
    assert ("verbosity" in built.body) is sent
    assert ("verbosity" in built.dropped) is not sent


def test_gemini_reasoning_state_is_read_and_echoed() -> None:
    translator = CopilotChatStreamTranslator()
    (event,) = sse_events(
        'data: {"choices":[{"index":0,"delta":'
        '{"reasoning_text":"think","reasoning_opaque":"OPQ"}}]}\n\n'
    )
    items = translator.feed(event)
    assert items[0].provider_fields == {"reasoning_opaque": "OPQ"}
    whole = parse_chat_response(
        {
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"content": "x", "reasoning_text": "t", "reasoning_opaque": "O"},
                }
            ]
        }
    )
    assert whole.provider_fields == {"reasoning_opaque": "O"}
    assert whole.reasoning_content == "t"
    body = build_chat_request(
        "gemini-3-pro-preview",
        [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": None,
                "reasoning_content": "t",
                "provider_specific_fields": {"reasoning_opaque": "O"},
                "thinking_blocks": [],
                "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f"}}],
            },
        ],
        {},
        stream=False,
    ).body
    assistant = body["messages"][1]
    assert assistant["reasoning_opaque"] == "O" and assistant["reasoning_text"] == "t"
    assert not {"provider_specific_fields", "thinking_blocks", "reasoning_content"} & set(assistant)


def test_validated_tool_choice_for_gemini_only_when_unset() -> None:
    """``tool_choice: "validated"`` (Gemini's schema-checked ``auto``), as the reference
    sends it; a caller's choice and a call without tools are left alone."""
    tool = {"type": "function", "function": {"name": "f", "parameters": {}}}
    messages = [{"role": "user", "content": "hi"}]
    body = build_chat_request(
        "gemini-3-pro-preview", messages, {"tools": [tool]}, stream=True, traits=GEMINI3
    ).body
    assert body["tool_choice"] == "validated"
    mine = {"tools": [tool], "tool_choice": "required"}
    body = build_chat_request("g", messages, mine, stream=True, traits=GEMINI3).body
    assert body["tool_choice"] == "required"
    body = build_chat_request("g", messages, {}, stream=True, traits=GEMINI3).body
    assert "tool_choice" not in body
    for other in (GPT4O, CLAUDE, ChatModelTraits()):
        body = build_chat_request("m", messages, {"tools": [tool]}, stream=True, traits=other).body
        assert "tool_choice" not in body


def test_reasoning_effort_checked_against_the_models_list() -> None:
    from litellm_codex.errors import ConfigurationError

    messages = [{"role": "user", "content": "hi"}]
    ok = build_chat_request(
        "g",
        messages,
        {"reasoning_effort": "medium"},
        stream=False,
        traits=ChatModelTraits(reasoning_efforts=("medium",)),
    )
    assert ok.body["reasoning_effort"] == "medium"
    with pytest.raises(ConfigurationError, match="'low', 'medium'"):
        build_chat_request(
            "g",
            messages,
            {"reasoning_effort": "max"},
            stream=False,
            traits=ChatModelTraits(reasoning_efforts=("low", "medium")),
        )
    # Unknown model capabilities: the caller's value goes through.
    unknown = build_chat_request("g", messages, {"reasoning_effort": "max"}, stream=False)
    assert unknown.body["reasoning_effort"] == "max"
