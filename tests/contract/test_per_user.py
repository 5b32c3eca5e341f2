"""Per-user logins (``LITELLM_CODEX_CREDENTIALS=per-user``, SPEC §6) below the proxy: the
user's view of every store, who the caller is, the provider seam, errors and the CLI.
The end-to-end test through a real proxy with two users is in tests/e2e/test_proxy_team.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import litellm
import pytest

from litellm_codex.auth import codex_refresh, copilot_exchange
from litellm_codex.auth.store import FileStore, MemoryStore, TokenStore
from litellm_codex.auth.users import (
    UserStore,
    caller_user_id,
    per_user,
    user_credentials,
    validate_user_id,
)
from litellm_codex.cli import main
from litellm_codex.errors import (
    ConfigurationError,
    LoginExpiredError,
    NotLoggedInError,
    to_litellm,
)
from litellm_codex.testing._tokens import Account
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator


@pytest.fixture(params=["memory", "file", "redis"])
def base(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TokenStore]:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "file":
        yield FileStore(tmp_path / "credentials.json")
    else:
        from litellm_codex.auth.redis_store import RedisStore

        request.getfixturevalue("redis_env")
        yield RedisStore.from_env()


def test_users_and_the_default_login_never_mix(base: TokenStore) -> None:
    alice, bob = UserStore(base, "alice"), UserStore(base, "bob@example.com")
    base.save("openai-codex", {"who": "default"})
    alice.save("openai_codex", {"who": "alice"})
    assert bob.load("openai-codex") is None
    bob.save("github_copilot", {"who": "bob"})
    assert base.load("openai-codex") == {"who": "default"}
    assert alice.load("openai-codex") == {"who": "alice"}
    assert base.load("github-copilot") is None
    assert alice.load("github-copilot") is None
    assert bob.load("github-copilot") == {"who": "bob"}
    alice.delete("openai-codex")
    assert alice.load("openai-codex") is None
    assert base.load("openai-codex") == {"who": "default"}
    assert alice.name.startswith(base.name)
    assert "alice" in alice.name


def test_user_store_passes_the_redis_lock_through(redis_env: object) -> None:
    from litellm_codex.auth.redis_store import RedisStore

    alice = UserStore(RedisStore.from_env(), "alice")
    assert alice.lock is not None
    with alice.lock("openai-codex"):
        pass
    assert UserStore(MemoryStore(), "alice").lock is None


@pytest.mark.parametrize("bad", ["", " alice", "a\nb", "x" * 257])
def test_invalid_user_ids(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="user id"):
        validate_user_id(bad)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, None),
        ({"metadata": None}, None),
        ({"metadata": {"user_api_key_user_id": "alice"}}, "alice"),
        ({"litellm_metadata": {"user_api_key_user_id": "bob"}}, "bob"),
        ({"metadata": {"user_api_key_user_id": "default_user_id"}}, None),
        ({"metadata": {"user_api_key_user_id": None}}, None),
        ({"metadata": {"user_api_key_user_id": ""}}, None),
    ],
)
def test_caller_user_id(params: dict[str, Any], expected: str | None) -> None:
    assert caller_user_id(params) == expected


def test_per_user_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert per_user() is False
    monkeypatch.setenv("LITELLM_CODEX_CREDENTIALS", "per-user")
    assert per_user() is True
    monkeypatch.setenv("LITELLM_CODEX_CREDENTIALS", "shared")
    assert per_user() is False
    monkeypatch.setenv("LITELLM_CODEX_CREDENTIALS", "everyone")
    with pytest.raises(ConfigurationError, match="per-user"):
        per_user()


def test_errors_name_the_users_login_command() -> None:
    err = NotLoggedInError("github_copilot", user="carol")
    assert "litellm-codex login github-copilot --user carol" in err.message
    assert "'carol'" in err.message
    err2 = LoginExpiredError("openai-codex", "refresh_token_reused", user="dan o'neil")
    assert "litellm-codex login openai-codex --user 'dan o'\"'\"'neil'" in err2.message
    # a user's missing login is theirs alone: LiteLLM's caller-credential class (no cooldown)
    converted = to_litellm(err, provider="github_copilot", model="gpt-4o")
    assert isinstance(converted, litellm.AuthenticationError)
    caller_class = getattr(litellm, "CallerCredentialAuthenticationError", None)
    if caller_class is not None:
        assert isinstance(converted, caller_class)
        plain = to_litellm(NotLoggedInError("github_copilot"), provider="x", model="m")
        assert not isinstance(plain, caller_class)


# ------------------------------------------------------------------ through the SDK


Call = Callable[..., Any]


@pytest.fixture
def per_user_sim(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ChatGPTSimulator]:
    monkeypatch.setenv("LITELLM_CODEX_STORE", "file")
    monkeypatch.setenv("LITELLM_CODEX_CREDENTIALS", "per-user")
    with ChatGPTSimulator() as sim:
        for name, value in sim.env().items():
            monkeypatch.setenv(name, value)
        yield sim


def _complete(user: str | None, text: str) -> Any:
    import litellm_codex  # noqa: F401  (registers the providers)

    metadata = {} if user is None else {"user_api_key_user_id": user}
    return litellm.completion(
        model="openai-codex/gpt-6.2-sol",
        messages=[{"role": "user", "content": text}],
        metadata=metadata,
        num_retries=0,
    )


def test_sdk_calls_use_the_callers_login(per_user_sim: ChatGPTSimulator) -> None:
    store = FileStore()
    codex_refresh.save_login(store, per_user_sim.issue_login(Account("acct-default")))
    codex_refresh.save_login(
        UserStore(store, "alice"), per_user_sim.issue_login(Account("acct-alice"))
    )
    _complete("alice", "as alice")
    _complete(None, "as nobody")
    _complete("default_user_id", "as admin")
    with pytest.raises(litellm.AuthenticationError, match="--user bob"):
        _complete("bob", "as bob")
    seen = {
        next(
            t for t in ("alice", "nobody", "admin", "bob") if t in json.dumps(r.body)
        ): r.account_id
        for r in per_user_sim.backend.requests
    }
    assert seen == {"alice": "acct-alice", "nobody": "acct-default", "admin": "acct-default"}


def test_user_managers_are_cached_per_user(per_user_sim: ChatGPTSimulator) -> None:
    assert user_credentials("openai-codex", "alice") is user_credentials("openai-codex", "alice")
    assert user_credentials("openai-codex", "alice") is not user_credentials("openai-codex", "bob")
    assert user_credentials("openai-codex", "alice") is not user_credentials(
        "github_copilot", "alice"
    )
    assert "token" not in repr(user_credentials("openai-codex", "alice")).lower()


def test_shared_mode_ignores_the_user(
    per_user_sim: ChatGPTSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LITELLM_CODEX_CREDENTIALS")
    codex_refresh.save_login(FileStore(), per_user_sim.issue_login(Account("acct-default")))
    _complete("alice", "shared")
    assert per_user_sim.backend.requests[-1].account_id == "acct-default"


# ------------------------------------------------------------------ the CLI


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_user_option(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from litellm_codex.testing.copilot_simulator import CopilotSimulator

    monkeypatch.setenv("LITELLM_CODEX_STORE", "file")
    with CopilotSimulator() as sim:
        for name, value in sim.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("GH_TOKEN", sim.authority.issue_github_token())
        code, out, err = _cli(
            capsys, "login", "github-copilot", "--token-from-env", "--user", "alice"
        )
        assert code == 0, err
        assert "user alice" in out
    store = FileStore()
    assert copilot_exchange.load_login(store) is None  # not the default login
    assert copilot_exchange.load_login(UserStore(store, "alice")) is not None

    code, out, _ = _cli(capsys, "status", "--json", "--user", "alice")
    report = json.loads(out)
    assert report["user"] == "alice"
    assert report["providers"]["github-copilot"]["logged_in"] is True
    assert report["providers"]["openai-codex"]["logged_in"] is False

    code, out, _ = _cli(capsys, "status", "--user", "alice")
    assert "litellm-codex login openai-codex --user alice" in out
    code, out, _ = _cli(capsys, "status", "--json")
    assert json.loads(out)["providers"]["github-copilot"]["logged_in"] is False

    code, out, _ = _cli(capsys, "logout", "github-copilot", "--user", "alice")
    assert code == 0
    assert copilot_exchange.load_login(UserStore(store, "alice")) is None

    code, _, err = _cli(capsys, "status", "--user", "")
    assert code == 2
    assert "user id" in err
