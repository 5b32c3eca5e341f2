"""Claude Code's way in: the proxy's ``/v1/messages`` with a Copilot Claude model.

A real ``litellm --config`` proxy; LiteLLM's own Anthropic adapter turns the request into a
completion call for our handler, which sends it to Copilot's ``/v1/messages``. Thinking
blocks (with their signatures) and ``cache_control`` must arrive at the simulator, and the
signatures must come back to the client unchanged, turn after turn.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from litellm_codex.auth import copilot_exchange
from litellm_codex.testing.copilot_api import DEMO_MODELS, thinking_signature
from litellm_codex.testing.copilot_simulator import CopilotSimulator
from tests.e2e._proxy import Proxy, home_env, home_store, proxy_config, run_proxy

pytestmark = pytest.mark.e2e

CONFIG = proxy_config(
    {name: f"github_copilot/{DEMO_MODELS[name]}" for name in ("claude", "gemini")},
    providers=["github_copilot"],
    num_retries=0,
)
TOOLS = [{"name": "get_weather", "input_schema": {"type": "object", "properties": {}}}]
CACHED = {"type": "ephemeral"}


@dataclass
class Live:
    proxy: Proxy
    copilot: CopilotSimulator


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    work = tmp_path_factory.mktemp("proxy-claude")
    home = work / "home"
    with CopilotSimulator() as copilot:
        copilot_exchange.save_login(home_store(home), copilot.issue_login())
        with run_proxy(CONFIG, work, {**copilot.env(), **home_env(home)}) as proxy:
            yield Live(proxy, copilot)


def _messages(
    live: Live, messages: list[dict[str, Any]], model: str = "claude", **extra: Any
) -> httpx.Response:
    return httpx.post(
        live.proxy.url + "/v1/messages",
        headers={**live.proxy.headers(), "anthropic-version": "2023-06-01"},
        json={
            "model": model,
            "max_tokens": 4000,
            "system": [{"type": "text", "text": "You are terse.", "cache_control": CACHED}],
            "thinking": {"type": "enabled", "budget_tokens": 2000},
            "tools": TOOLS,
            "messages": messages,
            **extra,
        },
        timeout=60,
    )


FIRST = [
    {
        "role": "user",
        "content": [{"type": "text", "text": "call get_weather", "cache_control": CACHED}],
    }
]


def _tool_turn(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    (call,) = [b for b in content if b["type"] == "tool_use"]
    result = {"type": "tool_result", "tool_use_id": call["id"], "content": "sunny"}
    return [
        *FIRST,
        {"role": "assistant", "content": content},
        {"role": "user", "content": [result]},
    ]


def test_thinking_signatures_and_cache_control_end_to_end(live: Live) -> None:
    response = _messages(live, FIRST)
    assert response.status_code == 200, response.text
    content = response.json()["content"]
    thinking = content[0]
    assert thinking["type"] == "thinking"
    assert thinking["signature"] == thinking_signature(thinking["thinking"])
    assert [b["type"] for b in content][-1] == "tool_use"
    sent = live.copilot.api.last("/v1/messages").json()
    assert sent["system"][0]["cache_control"] == CACHED
    assert sent["messages"][0]["content"][0]["cache_control"] == CACHED
    assert sent["thinking"]["type"] == "enabled"

    # Claude Code sends the whole assistant turn back; the simulator refuses it unless the
    # signed thinking block arrives first and unchanged.
    response = _messages(live, _tool_turn(content))
    assert response.status_code == 200, response.text
    assert "tool result: sunny" in json.dumps(response.json()["content"])
    assistant = live.copilot.api.last("/v1/messages").json()["messages"][1]
    assert assistant["content"][0] == {
        "type": "thinking",
        "thinking": thinking["thinking"],
        "signature": thinking["signature"],
    }


def test_streamed_thinking_keeps_its_signature(live: Live) -> None:
    response = _messages(live, FIRST, stream=True)
    assert response.status_code == 200, response.text
    events = [
        json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")
    ]
    deltas = [e["delta"] for e in events if e.get("type") == "content_block_delta"]
    text = "".join(d.get("thinking", "") for d in deltas if d["type"] == "thinking_delta")
    signatures = [d["signature"] for d in deltas if d["type"] == "signature_delta"]
    assert text and signatures == [thinking_signature(text)]
    assert live.copilot.api.last("/v1/messages").json()["stream"] is True


def test_no_warning_about_litellm_own_parameters(live: Live) -> None:
    assert _messages(live, [{"role": "user", "content": "hi"}]).status_code == 200
    # The proxy passes its own `max_retries` to every call; it is not the caller's.
    assert "max_retries" not in live.proxy.output()


def test_gemini_reasoning_state_survives_the_anthropic_shape(live: Live) -> None:
    """Claude Code on a Gemini model: the proxy's adapter keeps only thinking blocks, so
    Gemini's reasoning_opaque rides there and is echoed on the next chat request."""
    response = _messages(live, FIRST, model="gemini")
    assert response.status_code == 200, response.text
    content = response.json()["content"]
    assert content[0]["type"] == "thinking"
    assert content[0]["signature"].startswith("litellm-codex:reasoning_opaque:")
    response = _messages(live, _tool_turn(content), model="gemini")
    assert response.status_code == 200, response.text  # refused without the echo
    sent = live.copilot.api.last("/chat/completions").json()["messages"]
    (assistant,) = [m for m in sent if m["role"] == "assistant"]
    assert content[0]["signature"].endswith(assistant["reasoning_opaque"])
    assert assistant["reasoning_text"] == content[0]["thinking"]
