"""Chat Completions -> Responses request translation (pure)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from litellm_codex.errors import ConfigurationError
from litellm_codex.translate.responses_request import (
    CODEX_PROFILE,
    COPILOT_RESPONSES_PROFILE,
    BuiltRequest,
    ResponsesProfile,
    build_responses_request,
    conversation_key,
)

MODEL = "gpt-5.1-codex"
USER = {"role": "user", "content": "hi"}
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
FLAT_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": False,
}
PNG = "data:image/png;base64,iVBORw0KGgo="
#: The shared translation with system messages as top-level `instructions` (the Codex
#: shape until 2026; still a profile option). Today's Codex shapes are tested at the end.
#: Without Codex's item bookkeeping (ids, status, client_metadata), tested at the end too.
INSTRUCTIONS_PROFILE = dataclasses.replace(
    CODEX_PROFILE, developer_messages=False, item_bookkeeping=False, client_metadata=False
)


def build(
    messages: list[Any] | None = None,
    profile: ResponsesProfile = INSTRUCTIONS_PROFILE,
    cache_key: str | None = None,
    **params: Any,
) -> BuiltRequest:
    return build_responses_request(
        MODEL,
        messages if messages is not None else [USER],
        params,
        profile=profile,
        cache_key=cache_key,
    )


def user_item(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def without_ids(items: Any) -> Any:
    """Items (or one item) without their ``id`` (Codex's item bookkeeping, tested apart)."""
    if isinstance(items, list):
        return [without_ids(i) for i in items]
    return {k: v for k, v in items.items() if k != "id"}


def walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


# --------------------------------------------------------------------------------------
# The body skeleton


def test_minimal_codex_body() -> None:
    built = build()
    assert built.dropped == ()
    body = built.body
    assert body == {
        "model": MODEL,
        "instructions": "You are a helpful assistant.",
        "input": [user_item("hi")],
        "stream": True,
        "store": False,
        "prompt_cache_key": body["prompt_cache_key"],
    }
    assert body["prompt_cache_key"] == conversation_key(MODEL, "", user_item("hi"))
    assert list(body)[:3] == ["model", "instructions", "input"]


def test_minimal_copilot_body() -> None:
    body = build(profile=COPILOT_RESPONSES_PROFILE).body
    assert body == {"model": MODEL, "input": [user_item("hi")], "stream": True}


def test_profile_without_stream_or_store() -> None:
    profile = dataclasses.replace(CODEX_PROFILE, force_stream=False, store=None)
    body = build(profile=profile).body
    assert "stream" not in body
    assert "store" not in body


# --------------------------------------------------------------------------------------
# Messages

MESSAGE_CASES = [
    pytest.param(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": "Use SI."},
            USER,
        ],
        "Be brief.\n\nUse SI.",
        [user_item("hi")],
        id="system-and-developer-to-instructions",
    ),
    pytest.param(
        [
            {
                "role": "system",
                "content": [{"type": "text", "text": "A"}, {"type": "text", "text": "B"}],
            },
            {"role": "system", "content": "   "},
            {"role": "system", "content": None},
            USER,
        ],
        "A\n\nB",
        [user_item("hi")],
        id="system-list-content-and-blank-system",
    ),
    pytest.param(
        [USER, {"role": "assistant", "content": "hello"}, {"role": "user", "content": "again"}],
        "You are a helpful assistant.",
        [
            user_item("hi"),
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "hello"}],
            },
            user_item("again"),
        ],
        id="multi-turn-text",
    ),
    pytest.param(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image_url", "image_url": "https://example.com/cat.png"},
                    {"type": "image_url", "image_url": {"url": PNG, "detail": "high"}},
                    {"type": "image_url", "image_url": {"url": PNG, "detail": "weird"}},
                    {"type": "input_image", "image_url": PNG, "detail": "low"},
                ],
            }
        ],
        "You are a helpful assistant.",
        [
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "what is this?"},
                    {
                        "type": "input_image",
                        "image_url": "https://example.com/cat.png",
                        "detail": "auto",
                    },
                    {"type": "input_image", "image_url": PNG, "detail": "high"},
                    {"type": "input_image", "image_url": PNG, "detail": "auto"},
                    {"type": "input_image", "image_url": PNG, "detail": "low"},
                ],
            }
        ],
        id="images-url-and-data-url",
    ),
    pytest.param(
        [
            {
                "role": "user",
                "content": [
                    {
                        "type": "file",
                        "file": {
                            "file_data": "data:application/pdf;base64,AA",
                            "filename": "a.pdf",
                        },
                    },
                    {"type": "file", "file": {"file_id": "file-1"}},
                    {"type": "input_text", "text": "read"},
                ],
            },
            {"role": "user", "content": None},
        ],
        "You are a helpful assistant.",
        [
            {
                "type": "message",
                "role": "user",
                "content": [
                    {
                        "type": "input_file",
                        "file_data": "data:application/pdf;base64,AA",
                        "filename": "a.pdf",
                    },
                    {"type": "input_file", "file_id": "file-1"},
                    {"type": "input_text", "text": "read"},
                ],
            },
            user_item(""),
        ],
        id="files-and-empty-user",
    ),
    pytest.param(
        [
            USER,
            {
                "role": "assistant",
                "content": "Let me check.",
                "reasoning_content": "secret thoughts",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    },
                    {"id": "call_2", "function": {"name": "get_time", "arguments": {"tz": "UTC"}}},
                    {"id": "call_3", "type": "function", "function": {"name": "noop"}},
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
            {
                "role": "tool",
                "tool_call_id": "call_2",
                "content": [{"type": "text", "text": "12:00"}, {"type": "text", "text": "UTC"}],
            },
            {"role": "tool", "tool_call_id": "call_3", "content": None},
            {"role": "assistant", "content": None},
            {"role": "user", "content": "thanks"},
        ],
        "You are a helpful assistant.",
        [
            user_item("hi"),
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Let me check."}],
            },
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city":"Paris"}',
            },
            {
                "type": "function_call",
                "call_id": "call_2",
                "name": "get_time",
                "arguments": '{"tz": "UTC"}',
            },
            {"type": "function_call", "call_id": "call_3", "name": "noop", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
            {"type": "function_call_output", "call_id": "call_2", "output": "12:00\nUTC"},
            {"type": "function_call_output", "call_id": "call_3", "output": ""},
            user_item("thanks"),
        ],
        id="tool-loop-history-reasoning-not-sent",
    ),
    pytest.param(
        [
            USER,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "shot", "arguments": "{}"}}
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "c",
                "content": [
                    {"type": "text", "text": "here"},
                    {"type": "image_url", "image_url": {"url": PNG}},
                ],
            },
        ],
        "You are a helpful assistant.",
        [
            user_item("hi"),
            {"type": "function_call", "call_id": "c", "name": "shot", "arguments": "{}"},
            {
                "type": "function_call_output",
                "call_id": "c",
                "output": [
                    {"type": "input_text", "text": "here"},
                    {"type": "input_image", "image_url": PNG, "detail": "auto"},
                ],
            },
        ],
        id="tool-result-with-image",
    ),
    pytest.param(
        [
            USER,
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "lookup", "arguments": '{"q":1}'},
            },
            {"role": "function", "name": "lookup", "content": "found"},
        ],
        "You are a helpful assistant.",
        [
            user_item("hi"),
            {
                "type": "function_call",
                "call_id": "call_legacy_1",
                "name": "lookup",
                "arguments": '{"q":1}',
            },
            {"type": "function_call_output", "call_id": "call_legacy_1", "output": "found"},
        ],
        id="legacy-function-call-and-function-role",
    ),
    pytest.param(
        [
            USER,
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "a"}, {"type": "output_text", "text": "b"}],
            },
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]},
            {"role": "assistant", "content": "", "refusal": "I can't."},
        ],
        "You are a helpful assistant.",
        [
            user_item("hi"),
            {
                "type": "message",
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": "a"},
                    {"type": "output_text", "text": "b"},
                ],
            },
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "no"}],
            },
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "I can't."}],
            },
        ],
        id="assistant-list-content-and-refusals",
    ),
]


@pytest.mark.parametrize(("messages", "instructions", "items"), MESSAGE_CASES)
def test_messages(messages: list[dict[str, Any]], instructions: str, items: list[Any]) -> None:
    body = build(messages).body
    assert body["instructions"] == instructions
    assert body["input"] == items


def test_copilot_keeps_system_messages_as_input_items() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Use SI."}]},
        USER,
    ]
    body = build(messages, profile=COPILOT_RESPONSES_PROFILE).body
    assert "instructions" not in body
    assert body["input"] == [
        {
            "type": "message",
            "role": "system",
            "content": [{"type": "input_text", "text": "Be brief."}],
        },
        {
            "type": "message",
            "role": "developer",
            "content": [{"type": "input_text", "text": "Use SI."}],
        },
        user_item("hi"),
    ]


def test_profile_default_instructions_with_system_items() -> None:
    profile = dataclasses.replace(COPILOT_RESPONSES_PROFILE, default_instructions="Default.")
    body = build([{"role": "system", "content": "S"}, USER], profile=profile).body
    assert body["instructions"] == "Default."
    assert body["input"][0]["role"] == "system"


def test_no_item_ids_without_item_bookkeeping() -> None:
    conversations: list[Any] = [case.values[0] for case in MESSAGE_CASES]
    for conversation in conversations:
        for profile in (INSTRUCTIONS_PROFILE, COPILOT_RESPONSES_PROFILE):
            body = build(conversation, profile=profile, tools=[TOOL]).body
            for node in walk(body["input"]):
                if isinstance(node, dict):
                    assert "id" not in node, node


MESSAGE_ERRORS = [
    pytest.param(
        [USER, {"role": "tool", "tool_call_id": "call_x", "content": "x"}],
        r"messages\[1\] is a tool result for tool_call_id='call_x'",
        id="orphan-tool-result",
    ),
    pytest.param(
        [
            {"role": "tool", "tool_call_id": "call_1", "content": "early"},
            {
                "role": "assistant",
                "tool_calls": [{"id": "call_1", "function": {"name": "f", "arguments": "{}"}}],
            },
        ],
        r"messages\[0\] is a tool result",
        id="tool-result-before-its-call",
    ),
    pytest.param(
        [USER, {"role": "tool", "content": "x"}],
        r"messages\[1\] is a tool result for tool_call_id=None",
        id="tool-result-without-id",
    ),
    pytest.param(
        [
            USER,
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "c1", "function": {"name": "f", "arguments": "{}"}},
                    {"id": "c2", "function": {"name": "g", "arguments": "{}"}},
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
            {"role": "user", "content": "never mind"},
        ],
        r"messages\[1\] has a tool call 'c2' without a tool result",
        id="tool-call-without-result",
    ),
    pytest.param(
        [USER, {"role": "assistant", "function_call": {"name": "f", "arguments": "{}"}}],
        r"messages\[1\] has a tool call 'call_legacy_1' without a tool result",
        id="legacy-function-call-without-result",
    ),
    pytest.param(
        [USER, {"role": "function", "name": "f", "content": "x"}],
        r"messages\[1\] is a function result for 'f'",
        id="orphan-legacy-function-result",
    ),
    pytest.param(
        [{"role": "critic", "content": "x"}],
        r"messages\[0\] has an unsupported role 'critic'",
        id="bad-role",
    ),
    pytest.param(["hi"], r"messages\[0\] is not an object", id="message-not-object"),
    pytest.param(
        [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}],
        r"messages\[0\] has a content part of type 'input_audio'",
        id="audio-part",
    ),
    pytest.param(
        [{"role": "system", "content": [{"type": "image_url", "image_url": PNG}]}],
        r"only supported in user messages",
        id="image-in-system",
    ),
    pytest.param(
        [{"role": "user", "content": 42}], r"string or a list of parts", id="content-not-list"
    ),
    pytest.param(
        [{"role": "user", "content": ["x"]}], r"part that is not an object", id="part-not-object"
    ),
    pytest.param(
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"detail": "low"}}]}],
        r"image part without a URL",
        id="image-without-url",
    ),
    pytest.param(
        [{"role": "user", "content": [{"type": "file", "file": {"filename": "a"}}]}],
        r"file part without file_id or file_data",
        id="file-without-data",
    ),
    pytest.param(
        [{"role": "user", "content": [{"type": "file", "file": "x"}]}],
        r"file part without file_id or file_data",
        id="file-not-object",
    ),
    pytest.param(
        [{"role": "assistant", "tool_calls": "call"}],
        r"tool_calls must be a list",
        id="tool-calls-not-list",
    ),
    pytest.param(
        [{"role": "assistant", "tool_calls": [1]}], r"not an object", id="tool-call-not-object"
    ),
    pytest.param(
        [{"role": "assistant", "tool_calls": [{"id": "c", "type": "custom", "custom": {}}]}],
        r"tool call of type 'custom'",
        id="custom-tool-call",
    ),
    pytest.param(
        [{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f"}}]}],
        r"tool call without an id",
        id="tool-call-without-id",
    ),
    pytest.param(
        [{"role": "assistant", "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}],
        r"without a function name",
        id="tool-call-without-name",
    ),
]


@pytest.mark.parametrize(("messages", "match"), MESSAGE_ERRORS)
def test_message_errors(messages: list[Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        build(messages)


# --------------------------------------------------------------------------------------
# Tools

TOOL_CASES = [
    pytest.param(
        {"tools": [TOOL]},
        {"tools": [FLAT_TOOL], "tool_choice": "auto"},
        id="default-tool-choice-auto",
    ),
    pytest.param(
        {
            "tools": [
                {
                    "type": "function",
                    "function": {"name": "f", "strict": True, "parameters": {"type": "object"}},
                },
                {"type": "function", "function": {"name": "g"}},
            ],
            "tool_choice": "required",
            "parallel_tool_calls": False,
        },
        {
            "tools": [
                {"type": "function", "name": "f", "parameters": {"type": "object"}, "strict": True},
                {
                    "type": "function",
                    "name": "g",
                    "parameters": {"type": "object", "properties": {}},
                    "strict": False,
                },
            ],
            "tool_choice": "required",
            "parallel_tool_calls": False,
        },
        id="strict-no-params-required-parallel-false",
    ),
    pytest.param(
        {"tools": [TOOL], "tool_choice": "none", "parallel_tool_calls": True},
        {"tools": [FLAT_TOOL], "tool_choice": "none", "parallel_tool_calls": True},
        id="tool-choice-none",
    ),
    pytest.param(
        {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
        {"tools": [FLAT_TOOL], "tool_choice": {"type": "function", "name": "get_weather"}},
        id="tool-choice-named-function",
    ),
    pytest.param(
        {"tools": [TOOL], "tool_choice": {"type": "function", "name": "get_weather"}},
        {"tools": [FLAT_TOOL], "tool_choice": {"type": "function", "name": "get_weather"}},
        id="tool-choice-already-flat",
    ),
    pytest.param(
        {"functions": [TOOL["function"]], "function_call": {"name": "get_weather"}},
        {"tools": [FLAT_TOOL], "tool_choice": {"type": "function", "name": "get_weather"}},
        id="legacy-functions-named",
    ),
    pytest.param(
        {"functions": [TOOL["function"]], "function_call": "none"},
        {"tools": [FLAT_TOOL], "tool_choice": "none"},
        id="legacy-functions-none",
    ),
    pytest.param(
        {"functions": [TOOL["function"]]},
        {"tools": [FLAT_TOOL], "tool_choice": "auto"},
        id="legacy-functions-default",
    ),
    pytest.param({"tools": []}, {}, id="empty-tools-list"),
]


@pytest.mark.parametrize(("params", "expected"), TOOL_CASES)
def test_tools(params: dict[str, Any], expected: dict[str, Any]) -> None:
    built = build(**params)
    body = built.body
    for key in ("tools", "tool_choice", "parallel_tool_calls"):
        assert body.get(key) == expected.get(key), key
    assert built.dropped == ()


def test_tool_choice_without_tools_is_dropped_and_reported() -> None:
    built = build(tool_choice="auto", parallel_tool_calls=True)
    assert "tool_choice" not in built.body
    assert "parallel_tool_calls" not in built.body
    assert built.dropped == ("parallel_tool_calls", "tool_choice")


TOOL_ERRORS = [
    pytest.param({"tools": "get_weather"}, r"tools must be a list", id="tools-not-list"),
    pytest.param({"tools": ["x"]}, r"tools\[0\] is not an object", id="tool-not-object"),
    pytest.param(
        {"tools": [TOOL, {"type": "web_search"}]},
        r"tools\[1\] \('web_search'\) has type 'web_search'",
        id="web-search-tool",
    ),
    pytest.param(
        {"tools": [{"type": "custom", "name": "apply_patch"}]},
        r"tools\[0\] \('apply_patch'\) has type 'custom'",
        id="custom-tool-named",
    ),
    pytest.param(
        {"tools": [{"type": "mcp", "function": {"name": "srv"}}]},
        r"tools\[0\] \('srv'\) has type 'mcp'",
        id="non-function-with-function-name",
    ),
    pytest.param(
        {"tools": [{"type": "function", "function": {}}]},
        r"tools\[0\] has no function name",
        id="no-name",
    ),
    pytest.param(
        {"tools": [TOOL], "tool_choice": "any"}, r"tool_choice 'any'", id="bad-choice-string"
    ),
    pytest.param(
        {"tools": [TOOL], "tool_choice": {"type": "web_search"}},
        r"tool_choice .* not supported",
        id="bad-choice-object",
    ),
    pytest.param(
        {"tools": [TOOL], "tool_choice": 3}, r"tool_choice 3 is not supported", id="bad-choice-type"
    ),
]


@pytest.mark.parametrize(("params", "match"), TOOL_ERRORS)
def test_tool_errors(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        build(**params)


# --------------------------------------------------------------------------------------
# Reasoning, text format, verbosity

ENCRYPTED = ["reasoning.encrypted_content"]

REASONING_CASES = [
    pytest.param({}, None, None, id="no-reasoning"),
    pytest.param(
        {"reasoning_effort": "high"}, {"effort": "high", "summary": "auto"}, ENCRYPTED, id="effort"
    ),
    pytest.param(
        {"reasoning_effort": "minimal"},
        {"effort": "minimal", "summary": "auto"},
        ENCRYPTED,
        id="minimal",
    ),
    pytest.param({"reasoning_effort": "none"}, {"effort": "none"}, None, id="effort-none-is-off"),
    pytest.param(
        {"reasoning_effort": "low", "reasoning_summary": "detailed"},
        {"effort": "low", "summary": "detailed"},
        ENCRYPTED,
        id="summary-param",
    ),
    pytest.param(
        {"reasoning_effort": "low", "reasoning_summary": "none"},
        {"effort": "low"},
        ENCRYPTED,
        id="summary-none-omitted",
    ),
    pytest.param(
        {"reasoning": {"effort": "medium", "summary": "concise"}},
        {"effort": "medium", "summary": "concise"},
        ENCRYPTED,
        id="reasoning-object",
    ),
    pytest.param(
        {"reasoning": {"summary": "concise"}, "reasoning_effort": "xhigh"},
        {"summary": "concise", "effort": "xhigh"},
        ENCRYPTED,
        id="effort-wins-over-object",
    ),
    pytest.param(
        {"reasoning_effort": {"effort": "high", "summary": "detailed"}},
        {"effort": "high", "summary": "detailed"},
        ENCRYPTED,
        id="effort-as-object",
    ),
]


@pytest.mark.parametrize(("params", "reasoning", "include"), REASONING_CASES)
def test_reasoning(params: dict[str, Any], reasoning: Any, include: Any) -> None:
    body = build(**params).body
    assert body.get("reasoning") == reasoning
    assert body.get("include") == include


def test_reasoning_without_encrypted_include() -> None:
    profile = dataclasses.replace(CODEX_PROFILE, include_encrypted_reasoning=False)
    body = build(profile=profile, reasoning_effort="low").body
    assert body["reasoning"] == {"effort": "low", "summary": "auto"}
    assert "include" not in body


@pytest.mark.parametrize(
    ("params", "match"),
    [
        pytest.param(
            {"reasoning": "high"}, r"reasoning must be an object", id="reasoning-not-object"
        ),
        pytest.param(
            {"reasoning_effort": "low", "reasoning_summary": "verbose"},
            r"reasoning summary 'verbose'",
            id="bad-summary",
        ),
    ],
)
def test_reasoning_errors(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        build(**params)


SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}

TEXT_CASES = [
    pytest.param({"response_format": {"type": "text"}}, None, id="text-format-means-nothing"),
    pytest.param(
        {"response_format": {"type": "json_object"}},
        {"format": {"type": "json_object"}},
        id="json-object",
    ),
    pytest.param(
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "out", "schema": SCHEMA, "strict": True},
            }
        },
        {"format": {"type": "json_schema", "name": "out", "schema": SCHEMA, "strict": True}},
        id="json-schema",
    ),
    pytest.param(
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"schema": SCHEMA, "description": "d"},
            }
        },
        {
            "format": {
                "type": "json_schema",
                "name": "response",
                "schema": SCHEMA,
                "description": "d",
            }
        },
        id="json-schema-default-name",
    ),
    pytest.param({"verbosity": "low"}, {"verbosity": "low"}, id="verbosity"),
    pytest.param(
        {"verbosity": "high", "response_format": {"type": "json_object"}},
        {"format": {"type": "json_object"}, "verbosity": "high"},
        id="verbosity-and-format",
    ),
]


@pytest.mark.parametrize(("params", "text"), TEXT_CASES)
def test_text(params: dict[str, Any], text: Any) -> None:
    built = build(**params)
    assert built.body.get("text") == text
    assert built.dropped == ()


def test_verbosity_dropped_when_unsupported() -> None:
    built = build(profile=COPILOT_RESPONSES_PROFILE, verbosity="low")
    assert "text" not in built.body
    assert built.dropped == ("verbosity",)


@pytest.mark.parametrize(
    ("fmt", "match"),
    [
        pytest.param("json", r"response_format must be an object", id="not-object"),
        pytest.param({"type": "json_schema"}, r"needs json_schema.schema", id="schema-missing"),
        pytest.param(
            {"type": "json_schema", "json_schema": {"schema": "x"}},
            r"needs json_schema.schema",
            id="schema-bad",
        ),
        pytest.param({"type": "yaml"}, r"response_format type 'yaml'", id="unknown-type"),
    ],
)
def test_text_format_errors(fmt: Any, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        build(response_format=fmt)


# --------------------------------------------------------------------------------------
# Dropped params, limits, extra_body


def test_codex_drops_and_reports_rejected_params() -> None:
    built = build(
        temperature=0.2,
        top_p=1,
        max_tokens=100,
        max_completion_tokens=100,
        max_output_tokens=100,
        frequency_penalty=0,
        presence_penalty=0,
        logit_bias={},
        logprobs=False,
        top_logprobs=0,
        seed=1,
        user="u",
        metadata={"a": "b"},
        stop=["\n"],
        store=True,
        n=1,
        stream=True,
        stream_options={"include_usage": True},
        service_tier="auto",
        some_litellm_internal_thing=object(),
        presence_of_none=None,
        logprob_junk=None,
    )
    assert built.dropped == (
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_output_tokens",
        "max_tokens",
        "metadata",
        "presence_penalty",
        "seed",
        "service_tier",
        "stop",
        "store",
        "temperature",
        "top_logprobs",
        "top_p",
        "user",
    )
    for key in (
        "temperature",
        "max_output_tokens",
        "stop",
        "user",
        "metadata",
        "service_tier",
        "n",
    ):
        assert key not in built.body
    assert built.body["store"] is False
    assert built.body["stream"] is True
    assert "some_litellm_internal_thing" not in built.body


def test_none_valued_params_are_not_reported() -> None:
    assert build(temperature=None, max_tokens=None, n=None, stop=None).dropped == ()


def test_n_greater_than_one_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match=r"n=2 is not supported by the Codex backend"):
        build(n=2)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"max_tokens": 50}, 50, id="max-tokens"),
        pytest.param(
            {"max_completion_tokens": 60, "max_tokens": 50}, 60, id="max-completion-tokens-wins"
        ),
        pytest.param(
            {"max_output_tokens": 70, "max_completion_tokens": 60}, 70, id="max-output-tokens-wins"
        ),
        pytest.param({}, None, id="none"),
    ],
)
def test_copilot_maps_max_tokens(params: dict[str, Any], expected: int | None) -> None:
    built = build(profile=COPILOT_RESPONSES_PROFILE, **params)
    assert built.body.get("max_output_tokens") == expected
    assert built.dropped == ()


def test_copilot_drops_sampling_params() -> None:
    built = build(
        profile=COPILOT_RESPONSES_PROFILE, temperature=0.1, prompt_cache_key="k", stop="x"
    )
    assert built.dropped == ("prompt_cache_key", "stop", "temperature")
    assert "prompt_cache_key" not in built.body


@pytest.mark.parametrize(
    ("tier", "sent", "dropped"),
    [
        pytest.param("priority", "priority", (), id="priority"),
        pytest.param("fast", "priority", (), id="fast-alias"),
        pytest.param("flex", None, ("service_tier",), id="unverified-tier"),
    ],
)
def test_service_tier(tier: str, sent: str | None, dropped: tuple[str, ...]) -> None:
    built = build(service_tier=tier)
    assert built.body.get("service_tier") == sent
    assert built.dropped == dropped


def test_extra_body_merges_last_and_can_remove() -> None:
    built = build(
        reasoning_effort="high",
        response_format={"type": "json_object"},
        extra_body={
            "reasoning": {"summary": "detailed"},
            "text": {"verbosity": "low"},
            "include": None,
            "truncation": "auto",
            "instructions": "Overridden.",
            "client_metadata": {"x": {"y": 1}},
        },
    )
    body = built.body
    assert body["reasoning"] == {"effort": "high", "summary": "detailed"}
    assert body["text"] == {"format": {"type": "json_object"}, "verbosity": "low"}
    assert "include" not in body
    assert body["truncation"] == "auto"
    assert body["instructions"] == "Overridden."
    assert body["client_metadata"] == {"x": {"y": 1}}


def test_extra_body_must_be_an_object() -> None:
    with pytest.raises(ConfigurationError, match="extra_body must be a JSON object"):
        build(extra_body=["x"])


def test_extra_body_is_not_aliased() -> None:
    extra = {"client_metadata": {"x": 1}}
    body = build(extra_body=extra).body
    body["client_metadata"]["x"] = 2
    assert extra == {"client_metadata": {"x": 1}}


# --------------------------------------------------------------------------------------
# prompt_cache_key


def conversation(turns: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Sys"},
        {"role": "user", "content": "first"},
    ]
    for i in range(turns):
        messages.append({"role": "assistant", "content": f"answer {i}"})
        messages.append({"role": "user", "content": f"follow-up {i}"})
    return messages


def test_cache_key_stable_across_turns_of_one_conversation() -> None:
    keys = {build(conversation(turns)).body["prompt_cache_key"] for turns in range(4)}
    assert len(keys) == 1
    (key,) = keys
    assert key.startswith("lc-")
    assert len(key) == 35


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(
            [{"role": "system", "content": "Other"}, {"role": "user", "content": "first"}],
            id="other-system",
        ),
        pytest.param(
            [{"role": "system", "content": "Sys"}, {"role": "user", "content": "second"}],
            id="other-user",
        ),
    ],
)
def test_cache_key_differs_between_conversations(other: list[dict[str, Any]]) -> None:
    assert build(other).body["prompt_cache_key"] != build(conversation(0)).body["prompt_cache_key"]


def test_cache_key_differs_between_models() -> None:
    assert conversation_key("a", "", None) != conversation_key("b", "", None)


def test_cache_key_precedence() -> None:
    assert build(cache_key="from-caller").body["prompt_cache_key"] == "from-caller"
    assert build(cache_key="from-caller", prompt_cache_key="p").body["prompt_cache_key"] == "p"
    assert build(prompt_cache_key="").body["prompt_cache_key"].startswith("lc-")


def test_cache_key_not_sent_by_profile() -> None:
    assert "prompt_cache_key" not in build(profile=COPILOT_RESPONSES_PROFILE).body


def test_profiles_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CODEX_PROFILE.store = True  # type: ignore[misc]


# --------------------------------------------------------------------------------------
# Today's Codex shapes (reference-clients-2026-11.md §1.3): developer messages, Lite

LITE = dataclasses.replace(
    CODEX_PROFILE,
    lite=True,
    parallel_tool_calls=False,
    default_image_detail=None,
    reasoning_levels=("low", "medium", "high", "xhigh", "max", "ultra"),
    default_reasoning_effort="low",
    default_verbosity="low",
)
CLASSIC = dataclasses.replace(
    CODEX_PROFILE,
    parallel_tool_calls=True,
    default_image_detail="original",
    reasoning_levels=("low", "medium", "high", "xhigh"),
    default_reasoning_effort="medium",
    default_verbosity="low",
)
TOOL_HISTORY = [
    {"role": "user", "content": "weather?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": "{}"},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
]


def test_codex_sends_system_messages_as_developer_messages() -> None:
    messages = [{"role": "system", "content": "Be brief."}, USER]
    body = build(messages, profile=CODEX_PROFILE).body
    assert "instructions" not in body
    assert without_ids(body["input"][0]) == {
        "type": "message",
        "role": "developer",
        "content": [{"type": "input_text", "text": "Be brief."}],
    }
    assert without_ids(body["input"][1]) == user_item("hi")


def test_codex_without_system_message_starts_with_a_default_developer_message() -> None:
    body = build(profile=CODEX_PROFILE).body
    assert "instructions" not in body
    first = body["input"][0]
    assert first["role"] == "developer" and first["content"][0]["text"].strip()
    assert without_ids(body["input"][1:]) == [user_item("hi")]


def test_lite_puts_function_tools_in_an_additional_tools_item() -> None:
    body = build([USER], profile=LITE, tools=[TOOL], parallel_tool_calls=True).body
    assert "tools" not in body
    assert without_ids(body["input"][0]) == {
        "type": "additional_tools",
        "role": "developer",
        "tools": [
            {"type": "namespace", "name": "functions", "description": "", "tools": [FLAT_TOOL]}
        ],
    }
    assert body["parallel_tool_calls"] is False
    assert body["tool_choice"] == "auto"
    assert body["reasoning"] == {"effort": "low", "context": "all_turns"}
    assert body["text"] == {"verbosity": "low"}
    assert body["include"] == ["reasoning.encrypted_content"]


def test_lite_without_tools_has_no_additional_tools_item() -> None:
    body = build([USER], profile=LITE).body
    assert all(item.get("type") != "additional_tools" for item in body["input"])
    assert "parallel_tool_calls" not in body and "tools" not in body


def test_lite_replays_calls_with_their_namespace_and_drops_image_detail() -> None:
    image = {
        "role": "user",
        "content": [{"type": "image_url", "image_url": {"url": PNG, "detail": "high"}}],
    }
    body = build([*TOOL_HISTORY, image], profile=LITE, tools=[TOOL]).body
    call = next(i for i in body["input"] if i.get("type") == "function_call")
    assert call["namespace"] == "functions" and call["name"] == "get_weather"
    output = next(i for i in body["input"] if i.get("type") == "function_call_output")
    assert without_ids(output) == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": "sunny",
    }
    assert all(
        "detail" not in part
        for part in walk(body)
        if isinstance(part, dict) and part.get("type") == "input_image"
    )


def test_classic_codex_shape_keeps_top_level_tools_and_original_detail() -> None:
    image = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": PNG}}]}
    body = build([image], profile=CLASSIC, tools=[TOOL]).body
    assert body["tools"] == [FLAT_TOOL]
    assert body["parallel_tool_calls"] is True
    assert body["reasoning"] == {"effort": "medium"}
    assert body["input"][1]["content"][0]["detail"] == "original"
    assert all(i.get("type") != "additional_tools" for i in body["input"])


@pytest.mark.parametrize("effort", ["low", "xhigh", "max", "ultra"])
def test_every_listed_reasoning_level_passes(effort: str) -> None:
    body = build(profile=LITE, reasoning_effort=effort).body
    assert body["reasoning"]["effort"] == effort
    assert body["reasoning"]["context"] == "all_turns"


def test_an_unlisted_reasoning_level_names_the_allowed_ones() -> None:
    with pytest.raises(ConfigurationError) as caught:
        build(profile=CLASSIC, reasoning_effort="ultra")
    assert "'ultra'" in str(caught.value)
    assert "'low', 'medium', 'high', 'xhigh'" in str(caught.value)


def test_copilot_profile_is_unchanged_by_the_codex_options() -> None:
    body = build(
        [{"role": "system", "content": "S"}, USER], profile=COPILOT_RESPONSES_PROFILE, tools=[TOOL]
    ).body
    assert body["tools"] == [FLAT_TOOL]
    assert body["input"][0]["role"] == "system"
    assert "reasoning" not in body and "text" not in body


# --------------------------------------------------------------------------------------
# Codex's item bookkeeping: ids, function_call status, client_metadata (§1.3)

ASSISTANT_WITH_SERVER_IDS = {
    "role": "assistant",
    "content": None,
    "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    ],
    "provider_specific_fields": {
        "reasoning_encrypted_content": ["gAAAA-blob"],
        "reasoning_items": [{"id": "rs_server", "summary": ["Thinking about it."]}],
        "tool_call_item_ids": {"call_1": "fc_server"},
    },
}
SERVER_ID_HISTORY = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "weather?"},
    ASSISTANT_WITH_SERVER_IDS,
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
]


def test_codex_items_carry_the_reference_prefixes() -> None:
    body = build(SERVER_ID_HISTORY, profile=LITE, tools=[TOOL]).body
    ids = [(item["type"], item.get("role"), item.get("id", "")) for item in body["input"]]
    prefixes = [(kind, role, ident.split("_", 1)[0] + "_") for kind, role, ident in ids]
    assert prefixes == [
        ("additional_tools", "developer", "at_"),
        ("message", "developer", "msg_"),
        ("message", "user", "msg_"),
        ("reasoning", None, "rs_"),
        ("function_call", None, "fc_"),
        ("function_call_output", None, "fco_"),
    ]


def test_server_ids_win_and_reasoning_summary_is_replayed() -> None:
    body = build(SERVER_ID_HISTORY, profile=LITE, tools=[TOOL]).body
    reasoning = next(i for i in body["input"] if i["type"] == "reasoning")
    assert reasoning == {
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": "Thinking about it."}],
        "encrypted_content": "gAAAA-blob",
        "id": "rs_server",
    }
    call = next(i for i in body["input"] if i["type"] == "function_call")
    assert call["id"] == "fc_server"
    assert call["status"] == "completed"


def test_made_ids_are_the_same_on_every_turn() -> None:
    """The history arrives again on every call: the items already sent keep their ids
    (and the request prefix stays byte-identical for the prompt cache)."""
    first = build(SERVER_ID_HISTORY[:2], profile=CLASSIC, tools=[TOOL]).body
    later = build(
        [*SERVER_ID_HISTORY, {"role": "user", "content": "and tomorrow?"}],
        profile=CLASSIC,
        tools=[TOOL],
    ).body
    assert later["input"][: len(first["input"])] == first["input"]
    again = build(SERVER_ID_HISTORY[:2], profile=CLASSIC, tools=[TOOL]).body
    assert json.dumps(again) == json.dumps(first)


def test_equal_items_get_distinct_ids_and_conversations_differ() -> None:
    yes = {"role": "user", "content": "yes"}
    answer = {"role": "assistant", "content": "ok"}
    body = build([USER, answer, yes, answer, yes], profile=CLASSIC).body
    ids = [i.get("id") for i in body["input"] if i.get("role") != "assistant"]
    assert all(ids) and len(set(ids)) == len(ids)
    other = build([USER, answer, yes], profile=CLASSIC, cache_key="another-conversation").body
    assert other["input"][1]["id"] != ids[1]


def test_the_models_items_get_no_made_id() -> None:
    """Assistant text, calls and reasoning without the server's ids carry none: the
    reference never makes ids for the model's items (a made one could be looked up)."""
    history = [*TOOL_HISTORY]
    history[1] = {
        **TOOL_HISTORY[1],
        "provider_specific_fields": {"reasoning_encrypted_content": ["blob"]},
    }
    body = build(history, profile=CLASSIC, tools=[TOOL]).body
    reasoning = next(i for i in body["input"] if i["type"] == "reasoning")
    assert "id" not in reasoning and reasoning["summary"] == []
    call = next(i for i in body["input"] if i["type"] == "function_call")
    assert "id" not in call and call["status"] == "completed"
    answer = build([USER, {"role": "assistant", "content": "ok"}, USER], profile=CLASSIC).body
    assert "id" not in answer["input"][2]


def test_client_metadata_names_the_conversation_and_the_turn() -> None:
    first = build(SERVER_ID_HISTORY[:2], profile=CLASSIC, tools=[TOOL]).body
    followup = build(SERVER_ID_HISTORY, profile=CLASSIC, tools=[TOOL]).body
    next_turn = build(
        [*SERVER_ID_HISTORY, {"role": "user", "content": "and tomorrow?"}],
        profile=CLASSIC,
        tools=[TOOL],
    ).body
    meta = first["client_metadata"]
    assert set(meta) == {"session_id", "thread_id", "turn_id"}
    assert meta["session_id"] == meta["thread_id"] == first["prompt_cache_key"]
    assert str(uuid.UUID(meta["turn_id"])) == meta["turn_id"]
    # A tool follow-up is the same turn; the next user message starts a new one.
    assert followup["client_metadata"] == meta
    assert next_turn["client_metadata"]["turn_id"] != meta["turn_id"]


def test_copilot_sends_no_ids_status_summary_or_client_metadata() -> None:
    body = build(SERVER_ID_HISTORY, profile=COPILOT_RESPONSES_PROFILE, tools=[TOOL]).body
    assert "client_metadata" not in body
    assert all("id" not in item and "status" not in item for item in body["input"])
    reasoning = next(i for i in body["input"] if i["type"] == "reasoning")
    assert reasoning["summary"] == []
