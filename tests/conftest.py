"""Test-wide isolation: no real home directory, no real endpoints, no cost-map download."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
    from litellm_codex.testing.copilot_simulator import CopilotSimulator

# Before anything imports litellm: never fetch the remote cost map in tests.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
# The package's test mode: no wait (device-flow polling, retry back-off) longer than 50 ms.
os.environ.setdefault("LITELLM_CODEX_TESTING_FAST", "1")

_SCRUBBED_PREFIXES = ("OPENAI_CODEX_", "GITHUB_COPILOT_", "CODEX_", "CHATGPT_", "REDIS_")
_SCRUBBED = {
    "OPENAI_API_KEY",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "COPILOT_GITHUB_TOKEN",
    "LITELLM_CODEX_STORE",
    "LITELLM_CODEX_SECRET_KEY",
    "LITELLM_SALT_KEY",
    "LITELLM_CODEX_CREDENTIALS",
}


def _reload_settings() -> None:
    # Imported here: this module sets the environment before anything imports the package.
    from litellm_codex import settings

    settings.reload()


class _MonkeyPatch(pytest.MonkeyPatch):
    """pytest's monkeypatch, re-reading litellm-codex's settings after each environment
    change (the package reads the environment once; see litellm_codex.settings)."""

    def setenv(self, name: str, value: str, prepend: str | None = None) -> None:
        super().setenv(name, value, prepend)
        _reload_settings()

    def delenv(self, name: str, raising: bool = True) -> None:
        super().delenv(name, raising)
        _reload_settings()


@pytest.fixture
def monkeypatch() -> Iterator[pytest.MonkeyPatch]:
    patcher = _MonkeyPatch()
    yield patcher
    patcher.undo()
    _reload_settings()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own HOME, config dirs and CODEX_HOME, and no upstream env vars."""
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name in _SCRUBBED or name.startswith(_SCRUBBED_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("LITELLM_CODEX_HOME", str(home / ".config" / "litellm-codex"))
    monkeypatch.setenv("CODEX_HOME", str(home / ".codex"))
    _reset_credentials()
    yield home
    _reset_credentials()


def _reset_credentials() -> None:
    """Forget process-wide cached logins, so no test sees another test's tokens."""
    from litellm_codex.auth import codex_refresh, copilot_exchange, users

    codex_refresh.reset_codex_credentials()
    copilot_exchange.reset_copilot_credentials()
    users.reset_user_credentials()
    # Model lists (the Codex catalog, Copilot's /models per API base): a simulator on a
    # reused port must not be routed from an earlier test's answer.
    from litellm_codex.providers import forget_model_lists

    forget_model_lists()


@pytest.fixture
def codex_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChatGPTSimulator]:
    """A ChatGPT simulator with a user logged in the way `litellm-codex login` would (file
    store, cached credentials reset); ``openai-codex``'s clients are closed after the test,
    then the simulator stops."""
    import litellm_codex
    from litellm_codex.auth import codex_refresh
    from litellm_codex.auth.store import FileStore
    from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator

    with ChatGPTSimulator() as simulator:
        for key, value in simulator.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("LITELLM_CODEX_STORE", "file")
        codex_refresh.save_login(FileStore(), simulator.issue_login())
        codex_refresh.reset_codex_credentials()
        try:
            yield simulator
        finally:
            litellm_codex.openai_codex.close()


@pytest.fixture
def copilot_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[CopilotSimulator]:
    """A Copilot simulator (GitHub and the Copilot API) with a user logged in (file store,
    cached credentials reset); ``github_copilot``'s clients are closed after the test, then
    the simulator stops."""
    import litellm_codex
    from litellm_codex.auth import copilot_exchange
    from litellm_codex.auth.store import FileStore
    from litellm_codex.testing.copilot_simulator import CopilotSimulator

    with CopilotSimulator() as simulator:
        for key, value in simulator.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("LITELLM_CODEX_STORE", "file")
        copilot_exchange.save_login(FileStore(), simulator.issue_login())
        copilot_exchange.reset_copilot_credentials()
        try:
            yield simulator
        finally:
            litellm_codex.github_copilot.close()


@pytest.fixture
def redis_client_installed() -> None:
    """The ``redis`` package (litellm[proxy]); see tests/_redis.py."""
    from tests._redis import require_redis_client

    require_redis_client()


@pytest.fixture(scope="session")
def redis_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real ``redis-server`` for the session (see tests/_redis.py)."""
    from tests._redis import redis_server

    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def redis_env(redis_session: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The session's Redis, emptied, with LiteLLM's Redis settings and a store secret set."""
    from tests._redis import RedisServer

    assert isinstance(redis_session, RedisServer)
    client = redis_session.client()
    client.flushall()  # type: ignore[attr-defined]
    for name, value in redis_session.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("LITELLM_CODEX_SECRET_KEY", "test-secret-for-the-redis-store")
    yield redis_session
    client.flushall()  # type: ignore[attr-defined]
    client.close()  # type: ignore[attr-defined]
