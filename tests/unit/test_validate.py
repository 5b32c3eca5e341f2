"""Local validation (litellm_codex.validate): every refusal names the parameter."""

from __future__ import annotations

from typing import Any

import pytest

from litellm_codex.errors import ConfigurationError, UpstreamError, is_model_unavailable
from litellm_codex.providers._base import is_trusted
from litellm_codex.validate import validate_call

HI = [{"role": "user", "content": "hi"}]
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}


@pytest.mark.parametrize(
    ("messages", "params", "name"),
    [
        ([], {}, "messages"),
        ("hi", {}, "messages"),
        ([1], {}, "messages[0]"),
        ([{"role": "bot", "content": "x"}], {}, "messages[0].role"),
        ([{"role": "user", "content": 5}], {}, "messages[0].content"),
        ([{"role": "user", "content": [{"type": "audio"}]}], {}, "messages[0].content[0].type"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": "ftp://x/y"}]}],
            {},
            "messages[0].content[0].image_url",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:text/plain,x"}}],
                }
            ],
            {},
            "messages[0].content[0].image_url.url",
        ),
        (
            [{"role": "assistant", "content": None, "tool_calls": [{"function": {"name": 3}}]}],
            {},
            "messages[0].tool_calls[0].function.name",
        ),
        (
            HI,
            {"tools": [{"type": "function", "function": {"name": "has space"}}]},
            "tools[0].function.name",
        ),
        (
            HI,
            {
                "tools": [
                    {"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}
                ]
            },
            "tools[0].function.parameters",
        ),
        (
            HI,
            {
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": "f",
                            "parameters": {
                                "type": "object",
                                "properties": {"a": {"items": {"type": "strin"}}},
                            },
                        },
                    }
                ]
            },
            "tools[0].function.parameters.properties.a.items.type",
        ),
        (
            HI,
            {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "g"}}},
            "tool_choice",
        ),
        (HI, {"tool_choice": "required"}, "tool_choice"),
        (HI, {"tool_choice": "sometimes"}, "tool_choice"),
        (HI, {"functions": [{"name": "f"}], "function_call": {"name": "g"}}, "function_call"),
        (HI, {"reasoning_effort": 5}, "reasoning_effort"),
        (HI, {"temperature": True}, "temperature"),
        (HI, {"max_completion_tokens": -1}, "max_completion_tokens"),
        (HI, {"n": 1.5}, "n"),
        (HI, {"parallel_tool_calls": "yes"}, "parallel_tool_calls"),
        (HI, {"response_format": "json"}, "response_format"),
        (HI, {"stop": ["a", 1]}, "stop"),
        (HI, {"tools": {"f": 1}}, "tools"),
    ],
)
def test_refused_with_the_parameter_named(messages: Any, params: dict[str, Any], name: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        validate_call(messages, params)
    assert f"`{name}`" in info.value.message


@pytest.mark.parametrize(
    ("messages", "params"),
    [
        (HI, {}),
        (
            [
                {"role": "system", "content": "s"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "t"},
                        {
                            "type": "image_url",
                            "image_url": {"url": "https://x.test/a.png", "detail": "low"},
                        },
                    ],
                },
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c", "content": "ok"},
            ],
            {
                "tools": [TOOL],
                "tool_choice": {"type": "function", "function": {"name": "f"}},
                "temperature": 0,
                "max_tokens": 10,
                "stop": "x",
                "reasoning_effort": "high",
            },
        ),
        (HI, {"tools": [TOOL], "tool_choice": "required", "parallel_tool_calls": False}),
        (HI, {"tools": [{"type": "web_search"}], "tool_choice": {"type": "web_search"}}),
        (
            HI,
            {
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": "f",
                            "parameters": {
                                "type": "object",
                                "properties": {
                                    "x": {"type": ["string", "null"]},
                                    "y": {"anyOf": [{"type": "integer"}, True]},
                                },
                            },
                        },
                    }
                ]
            },
        ),
    ],
)
def test_good_input_passes(messages: Any, params: dict[str, Any]) -> None:
    validate_call(messages, params)


@pytest.mark.parametrize(
    ("message", "about_model"),
    [
        ("The 'gpt-9' model is not supported when using Codex with a ChatGPT account.", True),
        ("The requested model is not supported.", True),
        ("The model `x` does not exist", True),
        ("Unsupported value: 'low' is not supported with the 'gpt-5.1-codex-max' model.", False),
        ("Parameter 'temperature' is not supported", False),
    ],
)
def test_model_hint_only_for_model_errors(message: str, about_model: bool) -> None:
    assert is_model_unavailable(UpstreamError(message, status=400)) is about_model


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://api.githubcopilot.com", True),
        ("http://127.0.0.1:8080/x", True),
        ("http://127.8.9.10/x", True),
        ("http://localhost:1/x", True),
        ("http://[::1]:1/x", True),
        ("http://example.com", False),
        ("http://10.0.0.1", False),
        ("http://127.0.0.1.example.com", False),
        ("ftp://127.0.0.1", False),
    ],
)
def test_trusted_endpoints(url: str, trusted: bool) -> None:
    assert is_trusted(url) is trusted
