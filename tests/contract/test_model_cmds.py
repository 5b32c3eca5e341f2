"""`litellm-codex models` and `litellm-codex chat`, run as a user would, against simulators."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from litellm_codex.auth import codex_refresh, copilot_exchange
from litellm_codex.auth.store import FileStore
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.copilot_simulator import CopilotSimulator

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(isolated_home: Path) -> Iterator[dict[str, str]]:
    with ChatGPTSimulator() as chatgpt, CopilotSimulator() as copilot:
        values = {
            **os.environ,
            **chatgpt.env(),
            **copilot.env(),
            "LITELLM_CODEX_STORE": "file",
            "PYTHONPATH": str(REPO),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }
        store = FileStore(Path(values["LITELLM_CODEX_HOME"]) / "credentials.json")
        codex_refresh.save_login(store, chatgpt.issue_login())
        copilot_exchange.save_login(store, copilot.issue_login())
        yield values


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "litellm_codex", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_models_lists_live_models(env: dict[str, str]) -> None:
    codex = cli(env, "models", "openai-codex")
    assert codex.returncode == 0, codex.stderr
    lines = {line.split()[0]: line for line in codex.stdout.splitlines() if line.strip()}
    sol = lines["openai-codex/gpt-6.2-sol"]
    assert "context=500000" in sol and " lite" in sol
    assert "reasoning=low,medium,high,xhigh,max,ultra" in sol
    classic = lines["openai-codex/gpt-5.5"]
    assert " classic" in classic and "upgrade: gpt-6-sol" in classic
    assert "hidden" in lines["openai-codex/codex-auto-review"]
    rows = json.loads(cli(env, "models", "openai-codex", "--json").stdout)
    by_slug = {row["slug"]: row for row in rows}
    assert by_slug["gpt-6.2-sol"]["lite"] is True
    assert by_slug["gpt-6.2-sol"]["context_window"] == 500000
    assert by_slug["gpt-5.5"]["lite"] is False
    assert by_slug["gpt-5.5"]["reasoning_levels"] == ["low", "medium", "high", "xhigh"]
    assert by_slug["gpt-5.5"]["upgrade"] == "gpt-6-sol"
    assert by_slug["gpt-daybreak-red-latest"]["hidden"] is True
    copilot = cli(env, "models", "github-copilot", "--json")
    assert copilot.returncode == 0, copilot.stderr
    ids = {m["id"] for m in json.loads(copilot.stdout)}
    assert {"gpt-4o", "claude-sonnet-4.5", "gpt-5.1-codex"} <= ids
    assert "claude-opus-4.5" not in ids  # policy not enabled for this account
    assert "text-embedding-3-small" not in ids  # not a chat model


@pytest.mark.parametrize("model", ["openai-codex/gpt-6.2-sol", "github_copilot/gpt-4o"])
def test_chat_streams_the_answer(env: dict[str, str], model: str) -> None:
    result = cli(env, "chat", model, "hello from the terminal")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "echo: hello from the terminal"


def test_chat_prints_reasoning_to_stderr(env: dict[str, str]) -> None:
    result = cli(env, "chat", "openai-codex/gpt-6.2-sol", "think", "--reasoning-effort", "high")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "echo: think"
    assert result.stderr.strip()


def test_chat_without_login_fails_with_one_line(env: dict[str, str]) -> None:
    Path(env["LITELLM_CODEX_HOME"], "credentials.json").unlink()
    result = cli(env, "chat", "openai-codex/gpt-6.2-sol", "hi")
    assert result.returncode == 1
    assert "litellm-codex login openai-codex" in result.stderr
    assert "Traceback" not in result.stderr
