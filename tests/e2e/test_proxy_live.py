"""A real ``litellm --config`` proxy, logged in, answering from the simulators.

The proxy subprocess reads the logins from a file store in a temporary home and talks to
the ChatGPT and Copilot simulators running in this test process; each test asserts the
simulator saw the request the proxy made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from litellm_codex.auth import codex_refresh, copilot_exchange
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.copilot_simulator import CopilotSimulator
from tests.e2e._proxy import Proxy, home_env, home_store, proxy_config, run_proxy

pytestmark = pytest.mark.e2e

CONFIG = proxy_config(
    {
        "codex": "openai-codex/gpt-6.2-sol",
        "copilot": "github_copilot/gpt-4o",
        "copilot-codex": "github_copilot/gpt-5.1-codex",
    },
    # No Router retries: a test that queues one upstream 429 wants to see it.
    num_retries=0,
)
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@dataclass
class Live:
    proxy: Proxy
    chatgpt: ChatGPTSimulator
    copilot: CopilotSimulator
    home: Path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    work = tmp_path_factory.mktemp("proxy-live")
    home = work / "home"
    with ChatGPTSimulator() as chatgpt, CopilotSimulator() as copilot:
        store = home_store(home)
        codex_refresh.save_login(store, chatgpt.issue_login())
        copilot_exchange.save_login(store, copilot.issue_login())
        env = {**chatgpt.env(), **copilot.env(), **home_env(home)}
        with run_proxy(CONFIG, work, env) as proxy:
            yield Live(proxy, chatgpt, copilot, home)


def _chat(live: Live, model: str, content: str, **extra: object) -> httpx.Response:
    return httpx.post(
        live.proxy.url + "/v1/chat/completions",
        headers=live.proxy.headers(),
        json={"model": model, "messages": [{"role": "user", "content": content}], **extra},
        timeout=60,
    )


def _sse_text(response: httpx.Response) -> tuple[str, list[dict[str, object]]]:
    text, chunks = [], []
    for line in response.text.splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            chunk = json.loads(line[6:])
            chunks.append(chunk)
            for choice in chunk.get("choices", []):
                text.append(choice.get("delta", {}).get("content") or "")
    return "".join(text), chunks


@pytest.mark.parametrize("model", ["codex", "copilot", "copilot-codex"])
def test_chat_non_stream(live: Live, model: str) -> None:
    response = _chat(live, model, f"proxy says hi to {model}")
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == f"echo: proxy says hi to {model}"
    seen = [r.body for r in live.chatgpt.backend.requests] + [
        r.json() for r in live.copilot.api.requests
    ]
    assert any(f"proxy says hi to {model}" in json.dumps(body) for body in seen)


@pytest.mark.parametrize("model", ["codex", "copilot"])
def test_chat_stream_with_usage(live: Live, model: str) -> None:
    response = _chat(
        live, model, "stream please", stream=True, stream_options={"include_usage": True}
    )
    assert response.status_code == 200, response.text
    text, chunks = _sse_text(response)
    assert text == "echo: stream please"
    usage = [c["usage"] for c in chunks if c.get("usage")]
    assert usage and usage[-1]["total_tokens"] > 0


@pytest.mark.parametrize("model", ["codex", "copilot"])
def test_tool_call(live: Live, model: str) -> None:
    response = _chat(live, model, 'call get_weather {"city": "Lima"}', tools=TOOLS)
    assert response.status_code == 200, response.text
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Lima"}


def test_responses_endpoint(live: Live) -> None:
    response = httpx.post(
        live.proxy.url + "/v1/responses",
        headers=live.proxy.headers(),
        json={"model": "codex", "input": "responses via proxy"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert "echo: responses via proxy" in response.text


def test_messages_endpoint(live: Live) -> None:
    response = httpx.post(
        live.proxy.url + "/v1/messages",
        headers=live.proxy.headers(),
        json={
            "model": "copilot",
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "anthropic shape"}],
        },
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert "echo: anthropic shape" in response.text


def test_health_is_green(live: Live) -> None:
    response = httpx.get(live.proxy.url + "/health", headers=live.proxy.headers(), timeout=120)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["unhealthy_count"] == 0, body
    assert body["healthy_count"] == 3


def test_upstream_429_reaches_the_client_as_429(live: Live) -> None:
    from litellm_codex.testing.codex_backend import Fault

    live.chatgpt.backend.queue(Fault.usage_limit(resets_in=90))
    response = _chat(live, "codex", "over quota")
    assert response.status_code == 429, response.text
    assert "resets in" in response.text


def test_nothing_written_under_litellm_config(live: Live) -> None:
    assert not (live.home / ".config" / "litellm").exists()
