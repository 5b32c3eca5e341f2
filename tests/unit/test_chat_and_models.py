"""The neutral answer types and the model-metadata tables (pure)."""

from __future__ import annotations

from litellm_codex.cost_map import metadata_rows, rows_from_codex_models, rows_from_copilot_models
from litellm_codex.translate.deltas import (
    ChatAccumulator,
    ChatDelta,
    ChatFinish,
    ToolCallDelta,
    Usage,
)


def test_accumulator_builds_one_answer_in_stream_order() -> None:
    acc = ChatAccumulator().extend(
        [
            ChatDelta(reasoning_content="think "),
            ChatDelta(reasoning_content="more"),
            ChatDelta(content="Hel"),
            ChatDelta(content="lo"),
            ChatDelta(tool_calls=(ToolCallDelta(1, id="b", name="g", arguments=""),)),
            ChatDelta(tool_calls=(ToolCallDelta(0, id="a", name="f", arguments='{"x"'),)),
            ChatDelta(tool_calls=(ToolCallDelta(0, arguments=": 1}"),)),
            ChatFinish(
                "tool_calls",
                Usage(3, 4, 7, cached_tokens=1, reasoning_tokens=2),
                "resp_1",
                "m-2025",
            ),
        ]
    )
    result = acc.result()
    assert result.content == "Hello"
    assert result.reasoning_content == "think more"
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("a", "f", '{"x": 1}'),
        ("b", "g", ""),
    ]
    assert result.finish_reason == "tool_calls"
    assert (result.response_id, result.model) == ("resp_1", "m-2025")
    assert result.tool_calls[0].to_openai() == {
        "id": "a",
        "type": "function",
        "function": {"name": "f", "arguments": '{"x": 1}'},
    }


def test_accumulator_without_finish_or_content() -> None:
    result = ChatAccumulator().result()
    assert (result.content, result.reasoning_content, result.tool_calls) == (None, None, ())
    assert result.finish_reason == "stop"
    assert result.usage is None
    assert ChatDelta().is_empty()
    assert not ChatDelta(content="x").is_empty()


def test_usage_details_only_when_known() -> None:
    assert Usage(1, 2, 3).to_openai() == {
        "prompt_tokens": 1,
        "completion_tokens": 2,
        "total_tokens": 3,
    }
    full = Usage(1, 2, 3, cached_tokens=0, reasoning_tokens=5).to_openai()
    assert full["prompt_tokens_details"] == {"cached_tokens": 0}
    assert full["completion_tokens_details"] == {"reasoning_tokens": 5}


def test_metadata_rows_mirror_the_cost_map_as_zero_cost_chat() -> None:
    cost_map = {
        "chatgpt/gpt-7": {
            "mode": "responses",
            "max_input_tokens": 9,
            "max_output_tokens": 8,
            "supports_vision": True,
        },
        "github_copilot/new-model": {
            "mode": "responses",
            "supports_reasoning": True,
            "supports_function_calling": False,
        },
        "github_copilot/text-embedding-3-small": {"mode": "embedding"},
        "openai/gpt-4o": {"mode": "chat"},
    }
    rows = metadata_rows(cost_map)
    for key in ("openai-codex/gpt-7", "openai_codex/gpt-7"):
        assert rows[key]["mode"] == "chat"
        assert rows[key]["input_cost_per_token"] == 0.0
        assert rows[key]["max_input_tokens"] == 9
        assert rows[key]["supports_vision"] is True
    assert rows["openai_codex/gpt-7"]["litellm_provider"] == "openai_codex"
    copilot = rows["github_copilot/new-model"]
    assert copilot["mode"] == "chat" and copilot["supports_reasoning"] is True
    assert copilot["supports_function_calling"] is False
    assert "github_copilot/text-embedding-3-small" not in rows
    assert not any(key.startswith("openai/") for key in rows)
    # The catalog (bundled snapshot) wins over the mirror and is always present.
    assert rows["openai-codex/gpt-6.2-sol"]["max_input_tokens"] == 500_000
    assert rows["openai-codex/gpt-5.5"]["max_input_tokens"] == 272_000
    # Lite models are always sent parallel_tool_calls: false; gpt-5.5 takes parallel calls.
    assert rows["openai-codex/gpt-6.2-sol"]["supports_parallel_function_calling"] is False
    assert rows["openai-codex/gpt-5.5"]["supports_parallel_function_calling"] is True
    assert "openai-codex/gpt-5.1-codex" not in rows  # retired: not in today's catalog
    assert rows["github-copilot/gpt-4o"]["supports_reasoning"] is False


def test_rows_from_live_model_lists() -> None:
    codex = rows_from_codex_models(
        [
            {
                "slug": "gpt-9-codex",
                "context_window": 500_000,
                "input_modalities": ["text"],
                "supported_reasoning_levels": [{"effort": "low"}],
            },
            {"display_name": "no slug"},
        ]
    )
    assert set(codex) == {"openai-codex/gpt-9-codex", "openai_codex/gpt-9-codex"}
    row = codex["openai-codex/gpt-9-codex"]
    assert row["max_input_tokens"] == 500_000
    assert row["supports_vision"] is False and row["supports_reasoning"] is True

    copilot = rows_from_copilot_models(
        [
            {
                "id": "claude-x",
                "capabilities": {
                    "type": "chat",
                    "limits": {"max_prompt_tokens": 90_000, "max_output_tokens": 16_000},
                    "supports": {"vision": True, "tool_calls": True, "thinking": True},
                },
            },
            {"id": "emb", "capabilities": {"type": "embeddings"}},
            {"capabilities": {"type": "chat"}},
        ]
    )
    assert set(copilot) == {"github_copilot/claude-x", "github-copilot/claude-x"}
    assert copilot["github_copilot/claude-x"]["max_input_tokens"] == 90_000
    assert copilot["github_copilot/claude-x"]["supports_reasoning"] is True
