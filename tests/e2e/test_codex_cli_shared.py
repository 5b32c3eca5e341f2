"""One ChatGPT login shared with the real Codex CLI (npm ``@openai/codex``, pinned in
``tests/reference-clients/package.json``), both tools refreshing it in turn, offline.

The Codex CLI runs ``codex exec`` in a temporary ``CODEX_HOME`` and ``HOME`` against the
simulators on 127.0.0.1: its refreshes go to our OAuth simulator through
``CODEX_REFRESH_TOKEN_URL_OVERRIDE``, its turns to a custom model provider with
``requires_openai_auth = true`` (it sends the shared login's bearer token there) whose
``/responses`` route checks that token with the simulator's authority, and its ChatGPT
side calls (plugins, ``wham/...``) to the simulator through ``chatgpt_base_url``. Every
proxy variable points at a local proxy that refuses and records whatever it is asked for:
the test asserts nothing tried to leave the machine.

Both stores the Codex CLI uses are covered: ``auth.json`` and its Secret Service item (a
private GNOME Keyring). Each tool refreshes once after the other and both keep working,
without a refresh token spent twice (the authority counts reuse).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import litellm
import pytest

import litellm_codex
from litellm_codex.auth import codex_refresh
from litellm_codex.auth.codex_cli import KEYRING_SERVICE, format_rfc3339, keyring_account
from litellm_codex.auth.store import FileStore
from litellm_codex.testing._server import Request, Response, json_response, sse_response
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from tests._keyring import gnome_keyring_session, missing_secret_service_binaries

REPO = Path(__file__).resolve().parents[2]
CODEX = REPO / "tests" / "reference-clients" / "node_modules" / ".bin" / "codex"
CODEX_VERSION = "0.171.0"
PROVIDER_PATH = "/codex-cli/v1"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths and flock")


@pytest.fixture(scope="module")
def codex_binary() -> Path:
    """The pinned Codex CLI; skipped locally when not installed, a failure in CI."""
    if not CODEX.exists():
        message = (
            f"the Codex CLI is not installed at {CODEX.relative_to(REPO)}; run "
            "`npm install --no-audit --no-fund --prefix tests/reference-clients`"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real Codex CLI: {message}")
        pytest.skip(message)
    version = subprocess.run(
        [str(CODEX), "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert CODEX_VERSION in version, version
    return CODEX


class RefusingProxy:
    """A local "proxy" that answers 403 to everything and records the request lines."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.requests: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    line = conn.recv(4096).split(b"\r\n", 1)[0]
                    self.requests.append(line.decode("latin-1"))
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self._sock.close()
        self._thread.join(5)


class CodexProviderRoute:
    """``POST {PROVIDER_PATH}/responses`` for the Codex CLI: the bearer token must be one the
    authority issued and still honours (else 401, as the backend answers), then a one-message
    SSE answer ("pong")."""

    def __init__(self, sim: ChatGPTSimulator) -> None:
        self.sim = sim
        #: (status, bearer token) of every call
        self.calls: list[tuple[int, str]] = []
        sim.route("POST", f"{PROVIDER_PATH}/responses", self)

    def __call__(self, request: Request) -> Response:
        token = (request.headers.get("authorization") or "").removeprefix("Bearer ")
        if self.sim.authority.check_access(token) is None:
            self.calls.append((401, token))
            return json_response(
                {"error": {"message": "token expired", "code": "token_expired"}}, 401
            )
        self.calls.append((200, token))
        message = {"id": "msg_1", "type": "message", "role": "assistant"}
        text = {"type": "output_text", "text": "pong", "annotations": []}
        return sse_response(
            [
                {"type": "response.created", "response": {"id": "resp_1", "output": []}},
                {
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": {**message, "status": "in_progress", "content": []},
                },
                {
                    "type": "response.output_text.delta",
                    "item_id": "msg_1",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": "pong",
                },
                {
                    "type": "response.output_item.done",
                    "output_index": 0,
                    "item": {**message, "status": "completed", "content": [text]},
                },
                {
                    "type": "response.completed",
                    "response": {
                        "id": "resp_1",
                        "status": "completed",
                        "output": [],
                        "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2},
                    },
                },
            ]
        )


@pytest.fixture(scope="module")
def secret_service_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    missing = missing_secret_service_binaries()
    if missing:
        message = f"missing {', '.join(missing)} (apt-get install dbus gnome-keyring)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs the real Secret Service: {message}")
        pytest.skip(message)
    with gnome_keyring_session(tmp_path_factory.mktemp("gnome-keyring")) as address:
        yield address


@pytest.fixture(params=["file", pytest.param("keyring", marks=pytest.mark.keyring)])
def store_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    kind = str(request.param)
    saved = keyring.core._keyring_backend
    if kind == "keyring":
        from keyring.backends import SecretService

        monkeypatch.setenv(
            "DBUS_SESSION_BUS_ADDRESS", request.getfixturevalue("secret_service_bus")
        )
        keyring.set_keyring(SecretService.Keyring())
    else:
        from keyring.backends import fail

        keyring.set_keyring(fail.Keyring())
    yield kind
    keyring.core._keyring_backend = saved


def _codex_items(account: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
    import secretstorage

    with closing(secretstorage.dbus_init()) as connection:
        return [
            (item.get_attributes(), json.loads(item.get_secret()))
            for item in secretstorage.search_items(
                connection, {"service": KEYRING_SERVICE, "username": account}
            )
        ]


class Setup:
    """The simulators, the Codex CLI's home and how to run it, and its login."""

    def __init__(self, root: Path, store: str, sim: ChatGPTSimulator, proxy: RefusingProxy):
        self.root, self.store, self.sim, self.proxy = root, store, sim, proxy
        self.home = root / "codex-home"
        self.user_home = root / "user-home"
        self.home.mkdir()
        self.user_home.mkdir()
        self.route = CodexProviderRoute(sim)
        (self.home / "config.toml").write_text(
            "\n".join(
                [
                    'model = "gpt-5.5"',
                    'model_provider = "sim"',
                    f'cli_auth_credentials_store = "{store}"',
                    f'chatgpt_base_url = "{sim.url}/backend-api/"',
                    "check_for_update_on_startup = false",
                    "[analytics]",
                    "enabled = false",
                    "[model_providers.sim]",
                    'name = "simulator"',
                    f'base_url = "{sim.url}{PROVIDER_PATH}"',
                    'wire_api = "responses"',
                    "requires_openai_auth = true",
                    "supports_websockets = false",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        tokens = sim.authority.issue()
        document = {
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": None,
            "tokens": {**tokens, "account_id": sim.authority.account.account_id},
            "last_refresh": format_rfc3339(time.time()),
        }
        if store == "file":
            path = self.home / "auth.json"
            path.write_text(json.dumps(document, indent=2), encoding="utf-8")
            path.chmod(0o600)
        else:
            self._create_item(document)

    def _create_item(self, document: dict[str, Any]) -> None:
        # What `codex login` leaves in the keyring (keyring-rs 3.6.3's item, seen on 0.171).
        import secretstorage

        account = keyring_account(self.home)
        with closing(secretstorage.dbus_init()) as connection:
            secretstorage.get_default_collection(connection).create_item(
                f"{account}@{KEYRING_SERVICE}:default (keyring v3.6.3)",
                {
                    "application": "rust-keyring",
                    "service": KEYRING_SERVICE,
                    "target": "default",
                    "username": account,
                    "xdg:schema": "org.freedesktop.Secret.Generic",
                },
                json.dumps(document, separators=(",", ":")).encode(),
            )

    def codex_tokens(self) -> dict[str, Any]:
        """The tokens in the Codex CLI's own store (asserting it has exactly one entry)."""
        if self.store == "file":
            data = json.loads((self.home / "auth.json").read_text(encoding="utf-8"))
        else:
            items = _codex_items(keyring_account(self.home))
            assert [attributes["application"] for attributes, _ in items] == ["rust-keyring"]
            data = items[0][1]
            assert not (self.home / "auth.json").exists()
        tokens = data["tokens"]
        assert isinstance(tokens, dict)
        return tokens

    def run_codex(self, binary: Path, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``codex exec`` once (asserting it succeeded, unless told not to)."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("OPENAI", "CODEX", "LITELLM_CODEX", "PYTHON_KEYRING"))
        }
        env.update(
            HOME=str(self.user_home),
            CODEX_HOME=str(self.home),
            CODEX_REFRESH_TOKEN_URL_OVERRIDE=f"{self.sim.auth_base}/oauth/token",
            HTTP_PROXY=self.proxy.url,
            HTTPS_PROXY=self.proxy.url,
            ALL_PROXY=self.proxy.url,
            NO_PROXY="127.0.0.1,localhost",
            RUST_LOG="error",
        )
        for key in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            env[key] = env[key.upper()]
        result = subprocess.run(
            [str(binary), "exec", "--skip-git-repo-check", "Reply with the word pong."],
            cwd=self.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if check:
            assert result.returncode == 0, result.stderr[-3000:]
        return result


def _ours() -> str:
    response = litellm.completion(
        model="openai-codex/gpt-6.2-sol", messages=[{"role": "user", "content": "hi"}]
    )
    return str(response.choices[0].message.content)


@pytest.fixture
def setup(tmp_path: Path, store_kind: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    proxy = RefusingProxy()
    with ChatGPTSimulator() as sim:
        for key, value in {**sim.env(), "LITELLM_CODEX_STORE": "file"}.items():
            monkeypatch.setenv(key, value)
        state = Setup(tmp_path, store_kind, sim, proxy)
        monkeypatch.setenv("CODEX_HOME", str(state.home))
        codex_refresh.reset_codex_credentials()
        try:
            yield state
        finally:
            litellm_codex.openai_codex.close()
            codex_refresh.reset_codex_credentials()
            proxy.close()
    assert proxy.requests == [], "something tried to leave the machine"


def test_both_tools_keep_working_after_each_refreshes(
    setup: Setup, codex_binary: Path, tmp_path: Path
) -> None:
    sim, authority = setup.sim, setup.sim.authority

    # Import with the real CLI command, in its own process.
    env = {**os.environ, "CODEX_HOME": str(setup.home)}
    login = subprocess.run(
        [sys.executable, "-m", "litellm_codex", "login", "openai-codex", "--from-codex-cli"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert login.returncode == 0, login.stderr
    stored = FileStore().load("openai-codex")
    assert stored is not None
    assert stored["codex_cli"]["kind"] == setup.store
    first = setup.codex_tokens()
    assert stored["refresh_token"] == first["refresh_token"]

    # Both work with the imported login.
    assert "pong" in setup.run_codex(codex_binary).stdout
    assert _ours()
    assert authority.refresh_count == 0

    # 1. The login expires; we refresh first (after a 401) and write it back.
    authority.expire_access()
    assert _ours()
    assert authority.refresh_count == 1
    after_ours = setup.codex_tokens()
    assert after_ours["refresh_token"] != first["refresh_token"]
    assert authority.was_used(first["refresh_token"])
    assert not authority.was_used(after_ours["refresh_token"])
    # ... and the Codex CLI just works with what we wrote: no refresh of its own.
    setup.route.calls.clear()
    assert "pong" in setup.run_codex(codex_binary).stdout
    assert setup.route.calls == [(200, after_ours["access_token"])]
    assert authority.refresh_count == 1

    # 2. It expires again; this time the Codex CLI refreshes (after its 401s) ...
    authority.expire_access()
    setup.route.calls.clear()
    assert "pong" in setup.run_codex(codex_binary).stdout
    assert authority.refresh_count == 2
    after_theirs = setup.codex_tokens()
    assert after_theirs["refresh_token"] != after_ours["refresh_token"]
    assert setup.route.calls[-1] == (200, after_theirs["access_token"])
    # ... and this process, still holding our stale token in memory, adopts its refresh
    # on the 401 instead of spending the refresh token the Codex CLI already spent.
    assert _ours()
    assert authority.refresh_count == 2
    ours = FileStore().load("openai-codex")
    assert ours is not None
    assert ours["refresh_token"] == after_theirs["refresh_token"]
    assert sim.backend.requests[-1].headers["authorization"] == (
        f"Bearer {after_theirs['access_token']}"
    )

    # 3. Once more the other way round, from a fresh process of ours.
    authority.expire_access()
    codex_refresh.reset_codex_credentials()
    assert _ours()
    assert authority.refresh_count == 3
    assert "pong" in setup.run_codex(codex_binary).stdout
    assert authority.refresh_count == 3
    assert authority.reuse_count == 0


def test_a_codex_cli_refresh_racing_ours_loses_no_login(setup: Setup, codex_binary: Path) -> None:
    """Codex CLI 0.171 sends its refresh request *before* taking ``auth.lock`` (it only
    commits under it), and after an "already used" answer re-reads its store without
    waiting for that lock. So a refresh it starts while ours is in flight spends the same
    refresh token and that one command can fail. We cannot prevent that from our side; what
    we guarantee is that nothing is lost: we hold its lock until our new tokens are in its
    store, its next command uses them, and we keep working."""
    authority = setup.sim.authority
    login = subprocess.run(
        [sys.executable, "-m", "litellm_codex", "login", "openai-codex", "--from-codex-cli"],
        env={**os.environ, "CODEX_HOME": str(setup.home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert login.returncode == 0, login.stderr
    creds = codex_refresh.codex_credentials()
    stale = creds.get()
    authority.expire_access()

    theirs_arrived = threading.Event()
    original = setup.sim.auth._token
    result: dict[str, Any] = {}

    def ours_then_wait(request: Request) -> Response:
        answer = original(request)  # our refresh token is spent here ...
        theirs_arrived.wait(60)  # ... and the answer held back until the Codex CLI tries
        result["lock_held"] = _locked(setup.home / "auth.lock")
        return answer

    def theirs(request: Request) -> Response:
        theirs_arrived.set()
        return original(request)

    setup.sim.script("POST", "/oauth/token", ours_then_wait, theirs)
    ours = threading.Thread(target=lambda: result.update(access=creds.after_unauthorized(stale)))
    ours.start()
    try:
        racing = setup.run_codex(codex_binary, check=False)
    finally:
        theirs_arrived.set()
        ours.join(30)
    assert result["lock_held"] is True  # our refresh held the Codex CLI's lock throughout
    assert racing.returncode == 0 or "refresh token was already used" in racing.stderr
    assert authority.refresh_count == 2
    assert authority.reuse_count == 1  # the Codex CLI's request, sent outside its lock
    now = setup.codex_tokens()
    assert result["access"].token == now["access_token"]  # our refresh is in its store
    # Its next command works with our tokens, and so do we; nothing else is spent.
    setup.route.calls.clear()
    assert "pong" in setup.run_codex(codex_binary).stdout
    assert setup.route.calls == [(200, now["access_token"])]
    assert _ours()
    assert (authority.refresh_count, authority.reuse_count) == (2, 1)


def _locked(path: Path) -> bool:
    """Whether another open file description holds ``flock`` on ``path``."""
    import fcntl

    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
