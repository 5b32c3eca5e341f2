"""A real ``litellm --config`` proxy serves both prefixes through our handlers.

No login is stored, so every route must answer with our "not logged in" error, naming
`litellm-codex login`: proof that our handler, not LiteLLM's built-in Copilot provider
(which would start a device flow and write ~/.config/litellm), served it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e._proxy import Proxy, home_env, proxy_config, run_proxy

pytestmark = pytest.mark.e2e

CONFIG = proxy_config(
    {
        "codex": "openai-codex/gpt-6.2-sol",
        "copilot": "github_copilot/gpt-4o",
        "copilot55": "github_copilot/gpt-5.5",
    }
)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proxy, Path]]:
    work = tmp_path_factory.mktemp("proxy")
    home = work / "home"
    home.mkdir()
    with run_proxy(CONFIG, work, home_env(home)) as running:
        yield running, home


def _error_text(response: httpx.Response) -> str:
    return response.text


@pytest.mark.parametrize("model", ["codex", "copilot", "copilot55"])
@pytest.mark.parametrize("stream", [False, True])
def test_chat_completions(proxy: tuple[Proxy, Path], model: str, stream: bool) -> None:
    running, home = proxy
    response = httpx.post(
        running.url + "/v1/chat/completions",
        headers=running.headers(),
        json={"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream},
        timeout=60,
    )
    assert response.status_code == 401, response.text
    assert "litellm-codex login" in _error_text(response)
    assert not (home / ".config" / "litellm").exists()


@pytest.mark.parametrize("model", ["codex", "copilot", "copilot55"])
def test_responses_endpoint(proxy: tuple[Proxy, Path], model: str) -> None:
    running, home = proxy
    response = httpx.post(
        running.url + "/v1/responses",
        headers=running.headers(),
        json={"model": model, "input": "hi"},
        timeout=60,
    )
    assert response.status_code == 401, response.text
    assert "litellm-codex login" in response.text
    assert not (home / ".config" / "litellm").exists()


def test_messages_endpoint(proxy: tuple[Proxy, Path]) -> None:
    running, home = proxy
    response = httpx.post(
        running.url + "/v1/messages",
        headers=running.headers(),
        json={
            "model": "copilot",
            "max_tokens": 50,
            "messages": [{"role": "user", "content": "hi"}],
        },
        timeout=60,
    )
    assert response.status_code == 401, response.text
    assert "litellm-codex login" in response.text
    assert not (home / ".config" / "litellm").exists()


def test_health_runs_our_handlers(proxy: tuple[Proxy, Path]) -> None:
    running, home = proxy
    response = httpx.get(running.url + "/health", headers=running.headers(), timeout=120)
    assert response.status_code == 200, response.text
    body = response.json()
    unhealthy = body["unhealthy_endpoints"]
    assert {e["model"] for e in unhealthy} == {
        "openai-codex/gpt-6.2-sol",
        "github_copilot/gpt-4o",
        "github_copilot/gpt-5.5",
    }
    for entry in unhealthy:
        assert "litellm-codex login" in str(entry.get("error")), entry
    assert not (home / ".config" / "litellm").exists()
