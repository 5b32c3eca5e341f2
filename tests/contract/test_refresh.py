"""Credential managers against real token endpoints on 127.0.0.1.

Codex: a tiny OAuth server whose ``/oauth/token`` is backed by ``OpenAIAuthority.refresh``
(rotating, single-use refresh tokens). Copilot: a ``/copilot_internal/v2/token`` route
backed by ``GitHubAuthority.exchange``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from litellm_codex.auth.access import Access
from litellm_codex.auth.codex_cli import load_codex_cli, parse_rfc3339
from litellm_codex.auth.codex_refresh import (
    CodexCredentials,
    codex_credentials,
    load_login,
    reset_codex_credentials,
    revoke,
    save_login,
)
from litellm_codex.auth.records import CodexLogin
from litellm_codex.auth.store import FileStore, MemoryStore
from litellm_codex.auth.tokens import codex_identity, jwt_expiry
from litellm_codex.errors import LoginExpiredError, NotLoggedInError, UpstreamError
from litellm_codex.testing._server import Request, Response, SimServer, json_response
from litellm_codex.testing._tokens import OpenAIAuthority

REPO = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------- fixtures


@dataclass
class OAuth:
    """The OAuth simulator of these tests: a SimServer plus knobs."""

    sim: SimServer
    authority: OpenAIAuthority
    delay: float = 0.0
    drop_id_token: bool = False
    bodies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.sim.url

    def token_calls(self) -> list[Request]:
        return self.sim.calls_to("/oauth/token")


@pytest.fixture
def authority() -> OpenAIAuthority:
    return OpenAIAuthority()


@pytest.fixture
def oauth(authority: OpenAIAuthority) -> Iterator[OAuth]:
    state = OAuth(SimServer(), authority)

    def token(request: Request) -> Response:
        data = request.data()
        state.bodies.append(data)
        if data.get("grant_type") != "refresh_token":
            return json_response({"error": "unsupported_grant_type"}, 400)
        time.sleep(state.delay)  # widen the race window for the concurrency tests
        status, body = authority.refresh(str(data.get("refresh_token")))
        if state.drop_id_token:
            body.pop("id_token", None)
        return json_response(body, status)

    def revoke_route(request: Request) -> Response:
        authority.revoke(str(request.data().get("token")))
        return json_response({})

    state.sim.route("POST", "/oauth/token", token)
    state.sim.route("POST", "/oauth/revoke", revoke_route)
    with state.sim:
        yield state


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LITELLM_CODEX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LITELLM_CODEX_STORE", "file")
    monkeypatch.delenv("OPENAI_CODEX_AUTH_BASE", raising=False)
    monkeypatch.delenv("CODEX_HOME", raising=False)
    yield
    reset_codex_credentials()


def make_login(
    authority: OpenAIAuthority, auth_base: str, *, ttl: float, **extra: Any
) -> CodexLogin:
    tokens = authority.issue(access_ttl=ttl)
    account_id, email, plan = codex_identity(tokens["id_token"], tokens["access_token"])
    return CodexLogin(
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        id_token=tokens["id_token"],
        account_id=account_id,
        email=email,
        plan=plan,
        expires_at=jwt_expiry(tokens["access_token"]),
        last_refresh=time.time() - 60,
        auth_base=auth_base,
        **extra,
    )


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.loads = 0
        self.saves = 0

    def load(self, provider: str) -> dict[str, Any] | None:
        self.loads += 1
        return super().load(provider)

    def save(self, provider: str, record: dict[str, Any]) -> None:
        self.saves += 1
        super().save(provider, record)


_OPEN: list[CodexCredentials] = []


def creds_for(store: Any, oauth: OAuth, **kw: Any) -> CodexCredentials:
    creds = CodexCredentials(store, auth_base=oauth.url, **kw)
    _OPEN.append(creds)
    return creds


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


@pytest.fixture
def make_creds(oauth: OAuth) -> Any:
    return lambda store, **kw: creds_for(store, oauth, **kw)


# ----------------------------------------------------------------------------- codex: basics


def test_fresh_token_is_used_and_store_read_once(oauth: OAuth) -> None:
    store = CountingStore()
    login = make_login(oauth.authority, oauth.url, ttl=3600)
    save_login(store, login)
    creds = creds_for(store, oauth)
    for _ in range(50):
        access = creds.get()
    assert access.token == login.access_token
    assert access.headers == {
        "Authorization": f"Bearer {login.access_token}",
        "ChatGPT-Account-ID": "acct-sim-0001",
    }
    assert access.label == "dev@example.com"
    assert access.expires_at == login.expires_at
    assert store.loads == 1
    assert oauth.authority.refresh_count == 0


@pytest.mark.parametrize("ttl", [-10, 120])  # expired, and inside the 5-minute window
def test_due_token_is_refreshed_once_and_saved(oauth: OAuth, ttl: float) -> None:
    store = CountingStore()
    login = make_login(oauth.authority, oauth.url, ttl=ttl)
    save_login(store, login)
    creds = creds_for(store, oauth)
    access = creds.get()
    assert oauth.authority.refresh_count == 1
    assert access.token != login.access_token
    assert oauth.authority.check_access(access.token) is not None
    assert oauth.authority.was_used(login.refresh_token)
    stored = load_login(store)
    assert stored is not None
    assert stored.access_token == access.token
    assert stored.refresh_token != login.refresh_token
    assert stored.expires_at == jwt_expiry(access.token)
    assert stored.last_refresh is not None and stored.last_refresh > login.last_refresh  # type: ignore[operator]
    assert stored.email == "dev@example.com"
    # more calls: no more refreshes, no more store reads
    loads = store.loads
    for _ in range(10):
        assert creds.get().token == access.token
    assert oauth.authority.refresh_count == 1
    assert store.loads == loads


def test_refresh_request_shape(oauth: OAuth) -> None:
    store = MemoryStore()
    login = make_login(oauth.authority, oauth.url, ttl=-1)
    save_login(store, login)
    creds_for(store, oauth).get()
    (call,) = oauth.token_calls()
    assert call.method == "POST"
    assert "application/json" in call.headers["content-type"]
    # As Codex CLI 0.171.0 sends it (reference-clients-2026-11.md §1.5): no scope, a reason.
    assert call.json() == {
        "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
        "grant_type": "refresh_token",
        "refresh_reason": "proactive_expiry",
        "refresh_token": login.refresh_token,
    }
    assert call.headers["originator"] == "codex_cli_rs"
    assert call.headers["user-agent"].startswith("codex_cli_rs/")


def test_refresh_after_a_401_says_unauthorized_recovery(oauth: OAuth) -> None:
    store = MemoryStore()
    login = make_login(oauth.authority, oauth.url, ttl=3600)
    save_login(store, login)
    creds = creds_for(store, oauth)
    creds.after_unauthorized(creds.get())
    (call,) = oauth.token_calls()
    assert call.json()["refresh_reason"] == "unauthorized_recovery"


def test_refresh_response_without_id_token_keeps_identity(oauth: OAuth) -> None:
    oauth.drop_id_token = True
    store = MemoryStore()
    login = make_login(oauth.authority, oauth.url, ttl=-1)
    save_login(store, login)
    creds_for(store, oauth).get()
    stored = load_login(store)
    assert stored is not None
    assert stored.id_token == login.id_token
    assert (stored.account_id, stored.email, stored.plan) == (
        "acct-sim-0001",
        "dev@example.com",
        "plus",
    )


def test_auth_base_from_env_and_login(oauth: OAuth, monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryStore()
    save_login(store, make_login(oauth.authority, "https://auth.invalid", ttl=-1))
    monkeypatch.setenv("OPENAI_CODEX_AUTH_BASE", oauth.url + "/")
    first = CodexCredentials(store)
    _OPEN.append(first)
    first.get()
    assert oauth.authority.refresh_count == 1
    # no env: the login's own issuer
    monkeypatch.delenv("OPENAI_CODEX_AUTH_BASE")
    save_login(store, make_login(oauth.authority, oauth.url, ttl=-1))
    creds = CodexCredentials(store)
    _OPEN.append(creds)
    creds.get()
    assert creds.auth_base == oauth.url
    assert oauth.authority.refresh_count == 2


def test_not_logged_in(oauth: OAuth) -> None:
    creds = creds_for(MemoryStore(), oauth)
    with pytest.raises(NotLoggedInError, match="litellm-codex login openai-codex"):
        creds.get()
    with pytest.raises(NotLoggedInError):
        creds.after_unauthorized(Access(token="x", headers={}))


def test_login_made_later_is_picked_up(oauth: OAuth, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [time.time()]
    store = MemoryStore()
    creds = creds_for(store, oauth, clock=lambda: now[0])
    with pytest.raises(NotLoggedInError):
        creds.get()
    save_login(store, make_login(oauth.authority, oauth.url, ttl=3600))
    with pytest.raises(NotLoggedInError):  # not re-read on every call
        creds.get()
    now[0] += 11
    assert creds.get().label == "dev@example.com"


# ----------------------------------------------------------------------------- codex: concurrency


def test_threads_and_tasks_share_one_refresh(oauth: OAuth) -> None:
    oauth.delay = 0.3
    store = MemoryStore()
    login = make_login(oauth.authority, oauth.url, ttl=-10)
    save_login(store, login)
    creds = creds_for(store, oauth)
    start = threading.Barrier(33)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            results.append(creds.get().token)
        except BaseException as exc:
            errors.append(exc)

    async def tasks() -> list[Access]:
        return await asyncio.gather(*(creds.aget() for _ in range(32)))

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for thread in threads:
        thread.start()
    start.wait()
    task_results = asyncio.run(tasks())
    for thread in threads:
        thread.join()
    assert not errors
    tokens = set(results) | {a.token for a in task_results}
    assert len(results) == 32
    assert len(tokens) == 1
    assert oauth.authority.refresh_count == 1
    assert tokens != {login.access_token}


async def test_async_waiters_share_one_worker(oauth: OAuth) -> None:
    oauth.delay = 0.2
    store = MemoryStore()
    save_login(store, make_login(oauth.authority, oauth.url, ttl=-10))
    creds = creds_for(store, oauth)
    started: list[int] = []
    real_get = creds.get

    def counting_get() -> Access:
        started.append(threading.get_ident())
        return real_get()

    creds.get = counting_get  # type: ignore[method-assign]
    results = await asyncio.gather(*(creds.aget() for _ in range(32)))
    assert len({a.token for a in results}) == 1
    assert len(started) == 1  # one worker thread ran the refresh for all 32 tasks
    assert oauth.authority.refresh_count == 1


async def test_async_event_loop_is_not_blocked(oauth: OAuth) -> None:
    oauth.delay = 0.3
    store = MemoryStore()
    save_login(store, make_login(oauth.authority, oauth.url, ttl=-10))
    creds = creds_for(store, oauth)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    tick_task = asyncio.create_task(ticker())
    await creds.aget()
    tick_task.cancel()
    assert ticks >= 10  # the loop kept running during the 0.3 s refresh


def test_four_processes_refresh_once(oauth: OAuth, tmp_path: Path) -> None:
    oauth.delay = 0.5
    home = tmp_path / "shared-home"
    store = FileStore(home / "credentials.json")
    login = make_login(oauth.authority, oauth.url, ttl=-10)
    save_login(store, login)
    go = tmp_path / "go"
    script = textwrap.dedent(
        """
        import pathlib, sys, time
        from litellm_codex.auth.codex_refresh import codex_credentials
        creds = codex_credentials()
        print("ready", flush=True)
        go = pathlib.Path(sys.argv[1])
        while not go.exists():
            time.sleep(0.002)
        try:
            print("OK", creds.get().token, flush=True)
        except Exception as exc:
            print("ERR", type(exc).__name__, exc, flush=True)
        """
    )
    env = dict(
        os.environ,
        LITELLM_CODEX_HOME=str(home),
        LITELLM_CODEX_STORE="file",
        OPENAI_CODEX_AUTH_BASE=oauth.url,
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(go)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        go.touch()
        outputs = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    lines = [out.strip() for out, _ in outputs]
    assert all(line.startswith("OK ") for line in lines), [(o, e[-500:]) for o, e in outputs]
    assert len({line.split()[1] for line in lines}) == 1
    assert oauth.authority.refresh_count == 1
    assert all(body.get("refresh_token") == login.refresh_token for body in oauth.bodies)
    stored = load_login(store)
    assert stored is not None
    assert stored.access_token == lines[0].split()[1]


# ----------------------------------------------------------------------------- codex: 401, adoption


def test_after_unauthorized_refreshes_once(oauth: OAuth) -> None:
    store = MemoryStore()
    login = make_login(oauth.authority, oauth.url, ttl=3600)
    save_login(store, login)
    creds = creds_for(store, oauth)
    stale = creds.get()
    fresh = creds.after_unauthorized(stale)
    assert fresh.token != stale.token
    assert oauth.authority.refresh_count == 1
    # a second request that failed with the same stale token gets the new one, no refresh
    assert creds.after_unauthorized(stale).token == fresh.token
    assert oauth.authority.refresh_count == 1


async def test_async_after_unauthorized(oauth: OAuth) -> None:
    oauth.delay = 0.1
    store = MemoryStore()
    save_login(store, make_login(oauth.authority, oauth.url, ttl=3600))
    creds = creds_for(store, oauth)
    stale = await creds.aget()
    results = await asyncio.gather(*(creds.aafter_unauthorized(stale) for _ in range(16)))
    assert len({a.token for a in results}) == 1
    assert results[0].token != stale.token
    assert oauth.authority.refresh_count == 1


def test_refresh_by_another_process_is_adopted(oauth: OAuth, tmp_path: Path) -> None:
    path = tmp_path / "shared" / "credentials.json"
    save_login(FileStore(path), make_login(oauth.authority, oauth.url, ttl=-10))
    mine = creds_for(FileStore(path), oauth, lock_path=tmp_path / "shared" / "lock")
    mine._current()  # this process has read the (expired) login, not refreshed yet
    assert mine.login is not None
    other = creds_for(FileStore(path), oauth, lock_path=tmp_path / "shared" / "lock")
    theirs = other.get()
    assert oauth.authority.refresh_count == 1
    assert mine.get().token == theirs.token
    assert oauth.authority.refresh_count == 1


def test_401_adopts_token_another_process_stored(oauth: OAuth, tmp_path: Path) -> None:
    path = tmp_path / "shared" / "credentials.json"
    save_login(FileStore(path), make_login(oauth.authority, oauth.url, ttl=3600))
    lock = tmp_path / "shared" / "lock"
    mine = creds_for(FileStore(path), oauth, lock_path=lock)
    stale = mine.get()
    other = creds_for(FileStore(path), oauth, lock_path=lock)
    theirs = other.after_unauthorized(other.get())
    assert oauth.authority.refresh_count == 1
    assert mine.after_unauthorized(stale).token == theirs.token
    assert oauth.authority.refresh_count == 1


def test_logout_elsewhere_means_not_logged_in(oauth: OAuth) -> None:
    store = MemoryStore()
    save_login(store, make_login(oauth.authority, oauth.url, ttl=3600))
    creds = creds_for(store, oauth)
    stale = creds.get()
    store.delete("openai-codex")
    with pytest.raises(NotLoggedInError):
        creds.after_unauthorized(stale)
    assert oauth.authority.refresh_count == 0


# ----------------------------------------------------------------------------- codex: failures


def test_permanent_failure_never_resends_the_token(oauth: OAuth) -> None:
    store = MemoryStore()
    login = make_login(oauth.authority, oauth.url, ttl=-10)
    save_login(store, login)
    oauth.authority.refresh(login.refresh_token)  # someone else spent it
    creds = creds_for(store, oauth)
    with pytest.raises(LoginExpiredError) as info:
        creds.get()
    assert info.value.reason == "refresh_token_reused"
    assert "litellm-codex login openai-codex" in str(info.value)
    assert len(oauth.token_calls()) == 1
    for call in (creds.get, lambda: creds.after_unauthorized(Access(login.access_token, {}))):
        with pytest.raises(LoginExpiredError, match="refresh_token_reused"):
            call()
    assert len(oauth.token_calls()) == 1  # never sent again
    # a new login (another process ran `litellm-codex login`) is picked up
    save_login(store, make_login(oauth.authority, oauth.url, ttl=-10))
    assert creds.get().token
    assert len(oauth.token_calls()) == 2


def test_rotated_token_is_never_sent_again(oauth: OAuth, make_creds: Any) -> None:
    # An old copy of the login reappears in the store (a failed save, a restored backup):
    # its refresh token was spent by us, so it must not be sent again.
    store = MemoryStore()
    login = make_login(oauth.authority, oauth.url, ttl=-10)
    save_login(store, login)
    creds = make_creds(store)
    first = creds.get()
    save_login(store, login)
    second = creds.after_unauthorized(first)
    assert second.token != first.token
    sent = [body["refresh_token"] for body in oauth.bodies]
    assert sent.count(login.refresh_token) == 1
    assert len(sent) == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, {"error": "temporary-failure"}), (503, "<html>down</html>"), (429, {})],
)
def test_transient_failure_then_success(oauth: OAuth, status: int, body: Any) -> None:
    store = MemoryStore()
    login = make_login(oauth.authority, oauth.url, ttl=-10)
    save_login(store, login)
    response = (
        json_response(body, status)
        if isinstance(body, dict)
        else Response(status, {"content-type": "text/html"}, body.encode())
    )
    oauth.sim.script("POST", "/oauth/token", response)
    creds = creds_for(store, oauth)
    with pytest.raises(UpstreamError) as info:
        creds.get()
    assert info.value.status == status
    assert not isinstance(info.value, LoginExpiredError)
    assert creds.get().token != login.access_token  # the refresh token was not burned
    assert oauth.authority.refresh_count == 1


def test_unreachable_endpoint_is_transient() -> None:
    authority = OpenAIAuthority()
    sim = SimServer().start()
    url = sim.url
    sim.stop()
    store = MemoryStore()
    save_login(store, make_login(authority, url, ttl=-10))
    creds = CodexCredentials(store, auth_base=url)
    with pytest.raises(UpstreamError, match="could not reach"):
        creds.get()
    creds.close()


def test_failed_proactive_refresh_keeps_the_valid_token(oauth: OAuth) -> None:
    store = MemoryStore()
    login = make_login(oauth.authority, oauth.url, ttl=120)  # valid, but inside the window
    save_login(store, login)
    oauth.sim.script("POST", "/oauth/token", json_response({"error": "temporary-failure"}, 500))
    now = [time.time()]
    creds = creds_for(store, oauth, clock=lambda: now[0])
    assert creds.get().token == login.access_token
    assert creds.get().token == login.access_token
    assert len(oauth.token_calls()) == 1  # no retry on every request
    now[0] += 31
    fresh = creds.get()
    assert fresh.token != login.access_token
    assert len(oauth.token_calls()) == 2


def test_non_json_success_is_an_upstream_error(oauth: OAuth) -> None:
    store = MemoryStore()
    save_login(store, make_login(oauth.authority, oauth.url, ttl=-10))
    oauth.sim.script("POST", "/oauth/token", Response(200, {}, b"not json"))
    with pytest.raises(UpstreamError, match="JSON"):
        creds_for(store, oauth).get()


def test_save_failure_keeps_new_tokens_in_memory(
    oauth: OAuth, caplog: pytest.LogCaptureFixture
) -> None:
    class ReadOnly(MemoryStore):
        fail = False

        def save(self, provider: str, record: dict[str, Any]) -> None:
            if self.fail:
                from litellm_codex.errors import StoreError

                raise StoreError("read-only", provider=provider)
            super().save(provider, record)

    store = ReadOnly()
    save_login(store, make_login(oauth.authority, oauth.url, ttl=-10))
    store.fail = True
    creds = creds_for(store, oauth)
    first = creds.get()
    assert creds.get().token == first.token
    assert oauth.authority.refresh_count == 1
    assert "could not save" in caplog.text


def test_waiting_too_long_for_another_process_is_transient(
    oauth: OAuth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import filelock

    from litellm_codex.auth import codex_refresh

    monkeypatch.setattr(codex_refresh, "_LOCK_TIMEOUT", 0.05)
    store = FileStore(tmp_path / "credentials.json")
    save_login(store, make_login(oauth.authority, oauth.url, ttl=-10))
    lock_path = tmp_path / "refresh.lock"
    creds = creds_for(store, oauth, lock_path=lock_path)
    held = threading.Event()
    release = threading.Event()

    def other_process() -> None:  # another thread stands in for another process
        with filelock.FileLock(str(lock_path)):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=other_process)
    thread.start()
    try:
        held.wait(5)
        with pytest.raises(UpstreamError, match="timed out waiting"):
            creds.get()
    finally:
        release.set()
        thread.join()
    assert oauth.authority.refresh_count == 0
    assert creds.get().token  # the lock is free again
    assert oauth.authority.refresh_count == 1


# ----------------------------------------------------------------------------- codex CLI link


def write_auth_json(path: Path, login: CodexLogin, **extra: Any) -> None:
    data = {
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": login.id_token,
            "access_token": login.access_token,
            "refresh_token": login.refresh_token,
            "account_id": login.account_id,
        },
        "last_refresh": "2025-01-01T00:00:00.123456789Z",
        **extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    path.chmod(0o600)


def test_refresh_writes_back_to_codex_cli(oauth: OAuth, tmp_path: Path) -> None:
    codex_home = tmp_path / "codex"
    cli_login = make_login(oauth.authority, oauth.url, ttl=-10)
    write_auth_json(
        codex_home / "auth.json",
        cli_login,
        auth_mode="chatgpt",
        agent_identity="keep-me",
        future={"nested": [1, 2]},
    )
    loaded = load_codex_cli(codex_home)
    assert loaded is not None
    login, link = loaded
    assert link.kind == "file"
    assert login.codex_cli == link
    store = MemoryStore()
    save_login(store, login.model_copy(update={"auth_base": oauth.url}))
    access = creds_for(store, oauth).get()
    assert oauth.authority.refresh_count == 1
    text = (codex_home / "auth.json").read_text()
    data = json.loads(text)
    assert text.startswith("{\n  ")  # pretty, like serde_json::to_string_pretty
    assert data["tokens"]["access_token"] == access.token
    assert data["tokens"]["refresh_token"] != cli_login.refresh_token
    assert data["tokens"]["account_id"] == "acct-sim-0001"
    assert data["agent_identity"] == "keep-me"
    assert data["future"] == {"nested": [1, 2]}
    assert data["auth_mode"] == "chatgpt"
    assert data["OPENAI_API_KEY"] is None
    refreshed = parse_rfc3339(data["last_refresh"])
    assert refreshed is not None and abs(refreshed - time.time()) < 60
    assert data["last_refresh"].endswith("Z")
    if sys.platform != "win32":
        assert stat.S_IMODE((codex_home / "auth.json").stat().st_mode) == 0o600
    # the Codex CLI (reading its own file) now has working tokens
    back = load_codex_cli(codex_home)
    assert back is not None and back[0].refresh_token == data["tokens"]["refresh_token"]


def test_refresh_by_codex_cli_is_adopted(oauth: OAuth, tmp_path: Path) -> None:
    codex_home = tmp_path / "codex"
    cli_login = make_login(oauth.authority, oauth.url, ttl=3600)
    write_auth_json(codex_home / "auth.json", cli_login)
    loaded = load_codex_cli(codex_home)
    assert loaded is not None
    store = MemoryStore()
    save_login(store, loaded[0].model_copy(update={"auth_base": oauth.url}))
    creds = creds_for(store, oauth)
    stale = creds.get()
    # "the Codex CLI" refreshes and rewrites its auth.json
    status, body = oauth.authority.refresh(cli_login.refresh_token)
    assert status == 200
    newer = cli_login.model_copy(
        update={"access_token": body["access_token"], "refresh_token": body["refresh_token"]}
    )
    write_auth_json(codex_home / "auth.json", newer)
    adopted = creds.after_unauthorized(stale)
    assert adopted.token == body["access_token"]
    assert oauth.authority.refresh_count == 1  # only the Codex CLI's own refresh
    stored = load_login(store)
    assert stored is not None and stored.refresh_token == body["refresh_token"]


def test_expired_login_adopts_codex_cli_refresh_before_refreshing(
    oauth: OAuth, tmp_path: Path
) -> None:
    codex_home = tmp_path / "codex"
    cli_login = make_login(oauth.authority, oauth.url, ttl=-10)
    write_auth_json(codex_home / "auth.json", cli_login)
    loaded = load_codex_cli(codex_home)
    assert loaded is not None
    store = MemoryStore()
    save_login(store, loaded[0].model_copy(update={"auth_base": oauth.url}))
    status, body = oauth.authority.refresh(cli_login.refresh_token)
    assert status == 200
    write_auth_json(
        codex_home / "auth.json",
        cli_login.model_copy(
            update={"access_token": body["access_token"], "refresh_token": body["refresh_token"]}
        ),
    )
    assert creds_for(store, oauth).get().token == body["access_token"]
    assert oauth.authority.refresh_count == 1


def test_codex_cli_switched_account_is_left_alone(oauth: OAuth, tmp_path: Path) -> None:
    from litellm_codex.testing._tokens import Account

    codex_home = tmp_path / "codex"
    cli_login = make_login(oauth.authority, oauth.url, ttl=-10)
    write_auth_json(codex_home / "auth.json", cli_login)
    loaded = load_codex_cli(codex_home)
    assert loaded is not None
    store = MemoryStore()
    save_login(store, loaded[0].model_copy(update={"auth_base": oauth.url}))
    # the user logs the Codex CLI in to another account
    other = OpenAIAuthority(Account(account_id="acct-other", email="other@example.com"))
    other_login = make_login(other, oauth.url, ttl=3600)
    write_auth_json(codex_home / "auth.json", other_login)
    before = (codex_home / "auth.json").read_text()
    access = creds_for(store, oauth).get()
    assert access.headers["ChatGPT-Account-ID"] == "acct-sim-0001"
    assert oauth.authority.refresh_count == 1
    assert (codex_home / "auth.json").read_text() == before


# ----------------------------------------------------------------------------- codex: misc


def test_revoke(oauth: OAuth) -> None:
    login = make_login(oauth.authority, oauth.url, ttl=3600)
    assert revoke(login, auth_base=oauth.url) is True
    (call,) = oauth.sim.calls_to("/oauth/revoke")
    assert call.json() == {
        "token": login.refresh_token,
        "token_type_hint": "refresh_token",
        "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
    }
    status, _body = oauth.authority.refresh(login.refresh_token)
    assert status == 401


def test_revoke_falls_back_and_never_raises(oauth: OAuth) -> None:
    login = make_login(oauth.authority, oauth.url, ttl=3600)
    oauth.sim.script("POST", "/oauth/revoke", json_response({"error": "nope"}, 400))
    assert revoke(login, auth_base=oauth.url) is True
    calls = oauth.sim.calls_to("/oauth/revoke")
    assert calls[1].json() == {"token": login.access_token, "token_type_hint": "access_token"}
    oauth.sim.script("POST", "/oauth/revoke", json_response({}, 500), json_response({}, 500))
    assert revoke(login, auth_base=oauth.url) is False
    assert revoke(login, auth_base="http://127.0.0.1:9") is False


def test_singleton(monkeypatch: pytest.MonkeyPatch) -> None:
    first = codex_credentials()
    assert codex_credentials() is first
    reset_codex_credentials()
    assert codex_credentials() is not first


def test_load_login_rejects_garbage() -> None:
    from litellm_codex.errors import StoreError

    store = MemoryStore()
    store.save("openai-codex", {"nothing": "useful"})
    with pytest.raises(StoreError, match="log in again"):
        load_login(store)


# ----------------------------------------------------------------------------- secrets


def test_no_secret_in_logs_reprs_or_errors(oauth: OAuth, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets_seen: set[str] = set()
    texts: list[str] = []

    store = MemoryStore()
    login = make_login(oauth.authority, oauth.url, ttl=-10)
    secrets_seen |= {login.access_token, login.refresh_token, login.id_token or ""}
    save_login(store, login)
    creds = creds_for(store, oauth)
    access = creds.get()
    secrets_seen.add(access.token)
    stored = load_login(store)
    assert stored is not None
    secrets_seen |= {stored.refresh_token, stored.id_token or ""}
    texts += [repr(creds), repr(access), repr(stored), repr(login), str(stored)]

    # a transient failure whose body echoes the token, then a permanent one
    oauth.sim.script(
        "POST",
        "/oauth/token",
        json_response(
            {"error": "server_error", "message": f"bad token {stored.refresh_token}"}, 500
        ),
    )
    with pytest.raises(UpstreamError) as transient:
        creds.after_unauthorized(access)
    texts += [str(transient.value), repr(transient.value)]
    oauth.authority.refresh(stored.refresh_token)
    with pytest.raises(LoginExpiredError) as permanent:
        creds.after_unauthorized(access)
    texts += [str(permanent.value), repr(permanent.value)]
    texts.append(caplog.text)
    texts += [r.getMessage() for r in caplog.records]
    blob = "\n".join(texts)
    for secret in filter(None, secrets_seen):
        assert secret not in blob
        assert secret[:24] not in blob


# ============================================================================= copilot

from litellm_codex.auth import copilot_exchange  # noqa: E402
from litellm_codex.auth.copilot_exchange import (  # noqa: E402
    CopilotCredentials,
    copilot_credentials,
    parse_exchange,
    reset_copilot_credentials,
)
from litellm_codex.auth.records import CopilotLogin  # noqa: E402
from litellm_codex.errors import NoAccessError  # noqa: E402
from litellm_codex.testing._tokens import GitHubAuthority, GitHubUser  # noqa: E402


@dataclass
class GitHub:
    sim: SimServer
    authority: GitHubAuthority
    delay: float = 0.0

    @property
    def url(self) -> str:
        return self.sim.url

    def exchanges(self) -> list[Request]:
        return self.sim.calls_to("/copilot_internal/v2/token")


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHub]:
    for name in ("GITHUB_COPILOT_GITHUB_API_URL", "GITHUB_COPILOT_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    authority = GitHubAuthority(GitHubUser(api_endpoint="https://api.sim.githubcopilot.test"))
    state = GitHub(SimServer(), authority)

    def exchange(request: Request) -> Response:
        auth = request.headers.get("authorization") or ""
        time.sleep(state.delay)
        status, body = authority.exchange(auth.removeprefix("token "))
        return json_response(body, status)

    state.sim.route("GET", "/copilot_internal/v2/token", exchange)
    with state.sim:
        yield state
    reset_copilot_credentials()


_OPEN_COPILOT: list[CopilotCredentials] = []


@pytest.fixture
def copilot_creds(github: GitHub) -> Iterator[Any]:
    def make(store: Any, **kw: Any) -> CopilotCredentials:
        creds = CopilotCredentials(store, github_api_url=github.url, **kw)
        _OPEN_COPILOT.append(creds)
        return creds

    yield make
    while _OPEN_COPILOT:
        _OPEN_COPILOT.pop().close()


def copilot_store(github: GitHub, **extra: Any) -> tuple[MemoryStore, str]:
    store = MemoryStore()
    gh = github.authority.issue_github_token()
    copilot_exchange.save_login(store, CopilotLogin(github_token=gh, login="octocat", **extra))
    return store, gh


def test_copilot_one_exchange_for_many_gets(github: GitHub, copilot_creds: Any) -> None:
    store, gh = copilot_store(github)
    creds = copilot_creds(store)
    accesses = [creds.get() for _ in range(20)]
    assert github.authority.exchange_count == 1
    access = accesses[-1]
    assert {a.token for a in accesses} == {access.token}
    assert github.authority.check_copilot(access.token) is not None
    assert access.headers == {"Authorization": f"Bearer {access.token}"}
    assert access.api_base == "https://api.sim.githubcopilot.test"
    assert access.label == "octocat"
    assert access.expires_at is not None and access.expires_at > time.time()
    (call,) = github.exchanges()
    assert call.headers["authorization"] == f"token {gh}"
    assert call.headers["accept"] == "application/json"
    for name in ("editor-version", "copilot-integration-id", "user-agent", "x-github-api-version"):
        assert call.headers.get(name)


def test_copilot_reexchange_when_due(github: GitHub, copilot_creds: Any) -> None:
    now = [time.time()]
    github.authority.clock = lambda: now[0]
    store, _ = copilot_store(github)
    creds = copilot_creds(store, clock=lambda: now[0])
    first = creds.get()
    now[0] += 1500 - 61  # refresh_in 1500: not yet due
    assert creds.get().token == first.token
    now[0] += 2  # within the last minute
    second = creds.get()
    assert second.token != first.token
    assert github.authority.exchange_count == 2


def test_copilot_after_unauthorized_reexchanges_once(github: GitHub, copilot_creds: Any) -> None:
    store, _ = copilot_store(github)
    creds = copilot_creds(store)
    stale = creds.get()
    github.authority.expire_copilot(stale.token)
    fresh = creds.after_unauthorized(stale)
    assert fresh.token != stale.token
    assert creds.after_unauthorized(stale).token == fresh.token  # same stale: no second exchange
    assert github.authority.exchange_count == 2


def test_copilot_threads_and_tasks_share_one_exchange(github: GitHub, copilot_creds: Any) -> None:
    github.delay = 0.2
    store, _ = copilot_store(github)
    creds = copilot_creds(store)
    results: list[str] = []
    barrier = threading.Barrier(17)

    def worker() -> None:
        barrier.wait()
        results.append(creds.get().token)

    async def tasks() -> list[Access]:
        return await asyncio.gather(*(creds.aget() for _ in range(16)))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    barrier.wait()
    task_results = asyncio.run(tasks())
    for thread in threads:
        thread.join()
    assert len(set(results) | {a.token for a in task_results}) == 1
    assert github.authority.exchange_count == 1


async def test_copilot_async_after_unauthorized(github: GitHub, copilot_creds: Any) -> None:
    github.delay = 0.1
    store, _ = copilot_store(github)
    creds = copilot_creds(store)
    stale = await creds.aget()
    results = await asyncio.gather(*(creds.aafter_unauthorized(stale) for _ in range(8)))
    assert len({a.token for a in results}) == 1
    assert github.authority.exchange_count == 2


def test_copilot_no_access_is_403(github: GitHub, copilot_creds: Any) -> None:
    github.authority.user.has_copilot = False
    store, _ = copilot_store(github)
    with pytest.raises(NoAccessError) as info:
        copilot_creds(store).get()
    assert "You do not have access to GitHub Copilot." in str(info.value)
    assert "no_copilot_access" in str(info.value)
    assert info.value.provider == "github_copilot"


def test_copilot_404_is_no_access(github: GitHub, copilot_creds: Any) -> None:
    github.sim.script(
        "GET", "/copilot_internal/v2/token", json_response({"message": "Not Found"}, 404)
    )
    store, _ = copilot_store(github)
    with pytest.raises(NoAccessError, match="404"):
        copilot_creds(store).get()


def test_copilot_rate_limit_403_is_not_no_access(github: GitHub, copilot_creds: Any) -> None:
    github.sim.script(
        "GET",
        "/copilot_internal/v2/token",
        json_response({"message": "API rate limit exceeded for user ID 1.", "status": "403"}, 403),
    )
    store, _ = copilot_store(github)
    with pytest.raises(UpstreamError) as info:
        copilot_creds(store).get()
    assert not isinstance(info.value, NoAccessError)
    assert info.value.status == 429


def test_copilot_revoked_github_token(github: GitHub, copilot_creds: Any) -> None:
    store, gh = copilot_store(github)
    github.authority.revoke_github(gh)
    with pytest.raises(LoginExpiredError, match="GitHub token was rejected") as info:
        copilot_creds(store).get()
    assert "litellm-codex login github-copilot" in str(info.value)


def test_copilot_rejected_token_adopts_new_login_from_store(
    github: GitHub, copilot_creds: Any
) -> None:
    store, gh = copilot_store(github)
    creds = copilot_creds(store)
    stale = creds.get()
    github.authority.revoke_github(gh)
    new_gh = github.authority.issue_github_token()
    copilot_exchange.save_login(store, CopilotLogin(github_token=new_gh, login="octocat"))
    fresh = creds.after_unauthorized(stale)
    assert github.authority.check_copilot(fresh.token) is not None
    assert github.exchanges()[-1].headers["authorization"] == f"token {new_gh}"


def test_copilot_not_logged_in(copilot_creds: Any) -> None:
    with pytest.raises(NotLoggedInError, match="litellm-codex login github-copilot"):
        copilot_creds(MemoryStore()).get()


def test_copilot_transient_failure_keeps_valid_token(github: GitHub, copilot_creds: Any) -> None:
    now = [time.time()]
    github.authority.clock = lambda: now[0]
    store, _ = copilot_store(github)
    creds = copilot_creds(store, clock=lambda: now[0])
    first = creds.get()
    now[0] += 1450  # due, but not expired
    github.sim.script("GET", "/copilot_internal/v2/token", json_response({"message": "boom"}, 502))
    assert creds.get().token == first.token
    assert creds.get().token == first.token
    assert len(github.exchanges()) == 2  # one failed attempt, then a pause
    now[0] += 31  # expired now: a failure would raise, but the endpoint is back
    assert creds.get().token != first.token


def test_copilot_server_error_without_valid_token(github: GitHub, copilot_creds: Any) -> None:
    github.sim.script("GET", "/copilot_internal/v2/token", json_response({"message": "boom"}, 500))
    store, _ = copilot_store(github)
    with pytest.raises(UpstreamError) as info:
        copilot_creds(store).get()
    assert info.value.status == 500


def test_copilot_endpoint_overrides(
    github: GitHub, copilot_creds: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = copilot_store(github, api_base="https://copilot-api.corp.example")
    creds = copilot_creds(store)
    assert creds.get().api_base == "https://copilot-api.corp.example"
    monkeypatch.setenv("GITHUB_COPILOT_API_BASE", "http://127.0.0.1:1/")
    assert creds.get().api_base == "http://127.0.0.1:1"
    # the exchange URL: env over the login's
    store2, _ = copilot_store(github, github_api_url="https://api.github.invalid")
    monkeypatch.setenv("GITHUB_COPILOT_GITHUB_API_URL", github.url)
    env_creds = CopilotCredentials(store2)
    _OPEN_COPILOT.append(env_creds)
    assert env_creds.get().token
    # no env: the login's own URL is used
    monkeypatch.delenv("GITHUB_COPILOT_GITHUB_API_URL")
    store3, _ = copilot_store(github, github_api_url=github.url)
    own = CopilotCredentials(store3)
    _OPEN_COPILOT.append(own)
    assert own.get().token


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "token": "tid=SECRET",
                "expires_at": 10,
                "refresh_in": 5,
                "endpoints": {"api": "https://a/"},
                "sku": "s",
            },
            (10.0, 5.0, "https://a", "s"),
        ),
        ({"token": "tid=SECRET"}, (None, None, None, None)),
        (
            {"token": "tid=SECRET", "expires_at": "10", "refresh_in": True, "endpoints": []},
            (None, None, None, None),
        ),
    ],
)
def test_parse_exchange(body: dict[str, Any], expected: tuple[Any, ...]) -> None:
    token = parse_exchange(body, 1.0)
    assert (token.expires_at, token.refresh_in, token.api_base, token.sku) == expected
    assert token.obtained_at == 1.0
    assert token.token == body["token"]
    assert body["token"] not in repr(token)


@pytest.mark.parametrize("body", [None, [], {}, {"token": ""}, {"token": 5}])
def test_parse_exchange_rejects(body: Any) -> None:
    with pytest.raises(UpstreamError, match="Copilot token without one"):
        parse_exchange(body, 0.0)


def test_copilot_singleton() -> None:
    first = copilot_credentials()
    assert copilot_credentials() is first
    reset_copilot_credentials()
    assert copilot_credentials() is not first


def test_copilot_load_login_rejects_garbage() -> None:
    from litellm_codex.errors import StoreError

    store = MemoryStore()
    store.save("github_copilot", {"login": "x"})
    with pytest.raises(StoreError, match="log in again"):
        copilot_exchange.load_login(store)


def test_copilot_no_secret_in_logs_reprs_or_errors(
    github: GitHub, copilot_creds: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store, gh = copilot_store(github)
    creds = copilot_creds(store)
    access = creds.get()
    texts = [repr(creds), repr(access), repr(creds.token), repr(creds.login)]
    github.authority.revoke_github(gh)
    with pytest.raises(LoginExpiredError) as info:
        creds.after_unauthorized(access)
    texts += [str(info.value), repr(info.value), caplog.text]
    blob = "\n".join(texts)
    for secret in (gh, access.token):
        assert secret not in blob
        assert secret[:20] not in blob
