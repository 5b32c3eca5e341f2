"""``LITELLM_CODEX_STORE=redis`` against a real ``redis-server`` (tests/_redis.py).

The store contract itself runs in test_store.py; here: encryption at rest, the secret and
Redis settings, outages, the refresh lock across "replicas", and the CLI.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from litellm_codex.auth import redis_store
from litellm_codex.auth.codex_refresh import CodexCredentials, load_login, save_login
from litellm_codex.auth.redis_store import RedisStore
from litellm_codex.auth.store import default_store
from litellm_codex.errors import StoreError, StoreUnavailableError
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from tests._redis import RedisServer

pytestmark = pytest.mark.usefixtures("redis_client_installed")

REPO = Path(__file__).resolve().parents[2]
SECRET_TOKEN = "eyJhbGciOiJub25lIn0.c2VjcmV0LXBheWxvYWQ.c2ln"


def _raw(server: RedisServer, key: str) -> Any:
    return server.client().get(key)  # type: ignore[attr-defined]


def test_default_store_is_redis_and_records_are_encrypted(
    redis_env: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITELLM_CODEX_STORE", "redis")
    store = default_store()
    assert isinstance(store, RedisStore)
    assert store.name == f"redis (127.0.0.1:{redis_env.port})"
    store.save("openai-codex", {"access_token": SECRET_TOKEN, "email": "dev@example.com"})
    raw = _raw(redis_env, "litellm-codex:openai-codex")
    assert raw is not None
    assert raw.startswith(b"v1:")
    assert SECRET_TOKEN.encode() not in raw
    assert b"dev@example.com" not in raw
    assert store.load("openai_codex") == {"access_token": SECRET_TOKEN, "email": "dev@example.com"}
    # a fresh nonce per save: the same record never encrypts to the same bytes
    store.save("openai-codex", {"access_token": SECRET_TOKEN, "email": "dev@example.com"})
    assert _raw(redis_env, "litellm-codex:openai-codex") != raw


def test_salt_key_is_the_fallback_secret(
    redis_env: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LITELLM_CODEX_SECRET_KEY")
    monkeypatch.setenv("LITELLM_SALT_KEY", "sk-litellm-salt")
    RedisStore.from_env().save("github_copilot", {"github_token": "gho_x"})
    assert RedisStore.from_env().load("github-copilot") == {"github_token": "gho_x"}
    # LITELLM_CODEX_SECRET_KEY wins when both are set: the record no longer decrypts
    monkeypatch.setenv("LITELLM_CODEX_SECRET_KEY", "another-secret")
    with pytest.raises(StoreError, match="cannot be decrypted") as info:
        RedisStore.from_env().load("github-copilot")
    assert "gho_x" not in str(info.value)


def test_no_secret_is_an_error_and_nothing_is_written(
    redis_env: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LITELLM_CODEX_SECRET_KEY")
    monkeypatch.setenv("LITELLM_CODEX_STORE", "redis")
    with pytest.raises(StoreError, match="LITELLM_CODEX_SECRET_KEY"):
        default_store()
    assert redis_env.client().dbsize() == 0  # type: ignore[attr-defined]


def test_a_record_moved_to_another_name_does_not_decrypt(redis_env: RedisServer) -> None:
    store = RedisStore.from_env()
    store.save("openai-codex", {"who": "alice"})
    client = redis_env.client()
    client.set("litellm-codex:github-copilot", client.get("litellm-codex:openai-codex"))  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match="cannot be decrypted"):
        store.load("github_copilot")
    client.set("litellm-codex:github-copilot", b"plaintext {}")  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match="cannot be decrypted"):
        store.load("github_copilot")


def test_missing_redis_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_CODEX_SECRET_KEY", "s")
    with pytest.raises(StoreError, match="REDIS_URL, or REDIS_HOST"):
        RedisStore.from_env()
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", "sixty")
    with pytest.raises(StoreError, match="REDIS_PORT"):
        RedisStore.from_env()


def test_redis_url_and_password_never_shown(
    redis_env: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://:hunter2@127.0.0.1:{redis_env.port}/0")
    store = RedisStore.from_env()
    assert "hunter2" not in store.name
    assert "hunter2" not in repr(store)


def test_missing_redis_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_CODEX_SECRET_KEY", "s")
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(StoreError, match=r"litellm-codex\[proxy\]"):
        RedisStore.from_env()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_outage_is_a_quick_store_unavailable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_CODEX_SECRET_KEY", "s")
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", str(_closed_port()))
    monkeypatch.setenv("LITELLM_CODEX_REDIS_TIMEOUT", "1")
    store = RedisStore.from_env()
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match="unreachable"):
        store.load("openai-codex")
    with pytest.raises(StoreUnavailableError):
        store.save("openai-codex", {"v": 1})
    with pytest.raises(StoreUnavailableError), store.lock("openai-codex"):
        pass
    assert time.monotonic() - started < 7


def test_outage_reaches_litellm_as_service_unavailable(
    redis_session: RedisServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Redis down while a request needs the login: a 503-class LiteLLM error, in time."""
    import litellm

    monkeypatch.setenv("LITELLM_CODEX_STORE", "redis")
    monkeypatch.setenv("LITELLM_CODEX_SECRET_KEY", "s")
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", str(_closed_port()))
    monkeypatch.setenv("LITELLM_CODEX_REDIS_TIMEOUT", "1")
    import litellm_codex  # noqa: F401  (registers the providers)

    started = time.monotonic()
    with pytest.raises(litellm.ServiceUnavailableError, match=r"Redis at 127\.0\.0\.1:"):
        litellm.completion(
            model="openai-codex/gpt-6.2-sol",
            messages=[{"role": "user", "content": "hi"}],
            timeout=20,
            num_retries=0,
        )
    assert time.monotonic() - started < 20


# ----------------------------------------------------------------------------- the lock


def test_lock_is_exclusive_across_clients(redis_env: RedisServer) -> None:
    inside: list[int] = []
    overlaps: list[int] = []
    guard = threading.Lock()

    def worker() -> None:
        store = RedisStore.from_env()  # its own connection: another replica
        with store.lock("openai-codex"):
            with guard:
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(len(inside))
            time.sleep(0.05)
            with guard:
                inside.pop()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []


def test_lock_of_a_dead_holder_expires(
    redis_env: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = textwrap.dedent(
        """
        from litellm_codex.auth import redis_store
        redis_store.LOCK_TTL = 2.0
        store = redis_store.RedisStore.from_env()
        with store.lock("openai-codex"):
            print("holding", flush=True)
            import time; time.sleep(60)
        """
    )
    env = {**os.environ}
    holder = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    monkeypatch.setattr(redis_store, "LOCK_WAIT", 10.0)
    started = time.monotonic()
    with RedisStore.from_env().lock("openai-codex"):
        waited = time.monotonic() - started
    assert 0.5 < waited < 5, waited  # blocked until the dead holder's lock expired


def test_replicas_refresh_an_expired_login_once(redis_env: RedisServer) -> None:
    """Four credential managers, each with its own Redis connection (as four replicas),
    find the login expired at once: one refresh grant, everyone gets the new token."""
    with ChatGPTSimulator() as sim:
        expired = sim.issue_login(access_ttl=-60)
        save_login(RedisStore.from_env(), expired)
        replicas = [
            CodexCredentials(RedisStore.from_env(), auth_base=sim.auth_base) for _ in range(4)
        ]
        barrier = threading.Barrier(len(replicas) * 3)
        tokens: list[str] = []
        errors: list[BaseException] = []

        def call(creds: CodexCredentials) -> None:
            barrier.wait()
            try:
                tokens.append(creds.get().token)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=call, args=(c,)) for c in replicas for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for creds in replicas:
            creds.close()
        assert errors == []
        assert sim.authority.refresh_count == 1
        assert len(set(tokens)) == 1
        assert tokens[0] != expired.access_token
        stored = load_login(RedisStore.from_env())
        assert stored is not None
        assert stored.access_token == tokens[0]


# ----------------------------------------------------------------------------- the CLI


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "litellm_codex", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_status_and_logout_use_redis(redis_env: RedisServer) -> None:
    env = {**os.environ, "LITELLM_CODEX_STORE": "redis"}
    with ChatGPTSimulator() as sim:
        login = sim.issue_login()
        save_login(RedisStore.from_env(), login)
        out = _cli("status", "--json", env={**env, **sim.env()})
        assert out.returncode == 0, out.stderr
        report = json.loads(out.stdout)
        assert report["store"] == f"redis (127.0.0.1:{redis_env.port})"
        assert report["providers"]["openai-codex"]["email"] == "dev@example.com"
        assert login.access_token not in out.stdout
        out = _cli("logout", "openai-codex", env={**env, **sim.env()})
        assert out.returncode == 0, out.stderr
        assert "redis (127.0.0.1" in out.stdout
    assert RedisStore.from_env().load("openai-codex") is None
    # without the secret the CLI says what to set, and exits 1
    no_secret = {k: v for k, v in env.items() if k != "LITELLM_CODEX_SECRET_KEY"}
    out = _cli("logout", "openai-codex", env=no_secret)
    assert out.returncode == 1
    assert "LITELLM_CODEX_SECRET_KEY" in out.stderr
