"""Copilot /responses: the shared Responses translation in the reference client's shape."""

from __future__ import annotations

from typing import Any

import pytest

from litellm_codex.errors import ConfigurationError
from litellm_codex.translate.copilot_responses import build_copilot_responses_request

REASONS = {"reasoning_effort": ["low", "medium", "high"], "parallel_tool_calls": True}
TOOL = {
    "type": "function",
    "function": {"name": "f", "parameters": {"type": "object", "properties": {}}},
}
MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "call f"},
]


def test_reference_shape_when_reasoning_is_asked_for() -> None:
    body = build_copilot_responses_request(
        "gpt-5.2", MESSAGES, {"tools": [TOOL], "reasoning_effort": "medium"}, supports=REASONS
    ).body
    assert body["instructions"] == "Be brief."
    assert [item.get("role") for item in body["input"]] == ["user"]
    assert body["store"] is False
    assert body["include"] == ["reasoning.encrypted_content"]
    assert body["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert body["parallel_tool_calls"] is True
    assert "tool_choice" not in body  # `auto` is the default the reference leaves out


def test_no_reasoning_unless_asked_but_reasoning_is_kept() -> None:
    body = build_copilot_responses_request(
        "gpt-5.2", MESSAGES, {"tools": [TOOL]}, supports=REASONS
    ).body
    assert "reasoning" not in body
    # The model reasons at its own default: ask for its encrypted reasoning to replay it.
    assert body["include"] == ["reasoning.encrypted_content"]


def test_model_without_reasoning_gets_no_include() -> None:
    body = build_copilot_responses_request("gpt-4.1", MESSAGES, {}, supports={}).body
    assert "include" not in body and "reasoning" not in body
    assert "parallel_tool_calls" not in body


def test_caller_tool_choice_and_parallel_calls_win() -> None:
    body = build_copilot_responses_request(
        "gpt-5.2",
        MESSAGES,
        {"tools": [TOOL], "tool_choice": "required", "parallel_tool_calls": False},
        supports=REASONS,
    ).body
    assert body["tool_choice"] == "required"
    assert body["parallel_tool_calls"] is False


def test_function_calls_are_sent_back_completed() -> None:
    history = [
        *MESSAGES,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
    ]
    body = build_copilot_responses_request(
        "gpt-5.2", history, {"tools": [TOOL]}, supports=REASONS
    ).body
    calls = [item for item in body["input"] if item.get("type") == "function_call"]
    assert calls and all(item["status"] == "completed" for item in calls)


def test_effort_outside_the_models_list_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="xhigh"):
        build_copilot_responses_request(
            "gpt-5.2", MESSAGES, {"reasoning_effort": "xhigh"}, supports=REASONS
        )
