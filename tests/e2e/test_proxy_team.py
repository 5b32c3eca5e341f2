"""The proxy for a team (SPEC §6): several workers, processes and replicas share one login.

Real ``litellm --config examples/proxy/config.yaml`` proxies (with ``--num_workers``),
real SDK processes, the ChatGPT and Copilot simulators in this process. The assertion
that matters is the auth simulator's count of refresh grants: a Codex refresh token is
single-use, so a second refresh would log everybody out.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from litellm_codex.auth import codex_refresh, copilot_exchange
from litellm_codex.auth.store import FileStore
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.copilot_simulator import CopilotSimulator
from tests._redis import RedisServer
from tests.e2e._proxy import REPO, Proxy, home_env, run_proxy

pytestmark = pytest.mark.e2e

EXAMPLES = REPO / "examples" / "proxy"
TEAM_CONFIG = EXAMPLES / "config.yaml"
#: uvicorn kills a worker whose health check takes longer than this (default 5 s); on a
#: loaded 2-core runner, importing LiteLLM in 4 workers at once takes longer.
WORKER_ENV = {"TIMEOUT_WORKER_HEALTHCHECK": "120"}


@dataclass
class Sims:
    chatgpt: ChatGPTSimulator
    copilot: CopilotSimulator
    store_dir: Path

    def env(self) -> dict[str, str]:
        home = self.store_dir.parent.parent
        return {**self.chatgpt.env(), **self.copilot.env(), **home_env(home)}


@pytest.fixture
def sims(tmp_path: Path) -> Iterator[Sims]:
    store_dir = tmp_path / "home" / ".config" / "litellm-codex"
    store_dir.mkdir(parents=True)
    with ChatGPTSimulator() as chatgpt, CopilotSimulator() as copilot:
        yield Sims(chatgpt, copilot, store_dir)


def chat(proxy: Proxy, model: str, content: str, *, key: str | None = None) -> httpx.Response:
    return httpx.post(
        proxy.url + "/v1/chat/completions",
        headers={"Authorization": f"Bearer {key or proxy.key}"},
        json={"model": model, "messages": [{"role": "user", "content": content}]},
        timeout=120,
    )


def load(proxies: list[Proxy], model: str, n: int) -> list[httpx.Response]:
    """``n`` concurrent requests spread over ``proxies``."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(n, 24)) as pool:
        futures = [
            pool.submit(chat, proxies[i % len(proxies)], model, f"load {i}") for i in range(n)
        ]
        return [f.result() for f in futures]


_SDK_CALL = textwrap.dedent(
    """
    import litellm, litellm_codex
    r = litellm.completion(model="openai-codex/gpt-6.2-sol",
                           messages=[{"role": "user", "content": "from an SDK process"}])
    print(r.choices[0].message.content)
    """
)


@pytest.mark.timeout(420)  # four workers importing LiteLLM at once on a 2-core runner
def test_workers_and_processes_refresh_an_expired_login_once(sims: Sims, tmp_path: Path) -> None:
    store = FileStore(sims.store_dir / "credentials.json")
    expired = sims.chatgpt.issue_login(access_ttl=-60)
    codex_refresh.save_login(store, expired)
    copilot_exchange.save_login(store, sims.copilot.issue_login())
    env = {**sims.env(), **WORKER_ENV}
    sims.chatgpt.auth.refresh_delay = 0.5  # everybody asks while the first refresh runs
    with run_proxy(
        TEAM_CONFIG, tmp_path, env, args=("--num_workers", "4"), ready_timeout=180
    ) as proxy:
        # Two SDK processes start alongside the proxy's workers: all find the login expired.
        sdk = [
            subprocess.Popen(
                [sys.executable, "-c", _SDK_CALL],
                cwd=REPO,
                env={**os.environ, **env, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        try:
            responses = load([proxy], "gpt-6.2-sol", 48)
        finally:
            outputs = [p.communicate(timeout=120)[0] for p in sdk]
        log = proxy.output()
    assert [r.status_code for r in responses] == [200] * 48, responses[0].text
    assert all(
        r.json()["choices"][0]["message"]["content"].startswith("echo: load") for r in responses
    )
    assert [p.returncode for p in sdk] == [0, 0], outputs
    assert all("echo: from an SDK process" in out for out in outputs), outputs
    # Exactly one refresh grant, however many workers and processes wanted one.
    assert sims.chatgpt.authority.refresh_count == 1
    assert sims.chatgpt.authority.was_used(expired.refresh_token)
    fresh = codex_refresh.load_login(store)
    assert fresh is not None
    assert fresh.refresh_token != expired.refresh_token
    # Several workers really served (uvicorn logs one "Started server process" each).
    assert log.count("Started server process") >= 2, log[-3000:]


@pytest.mark.timeout(300)
def test_two_replicas_on_redis_refresh_an_expired_login_once(
    sims: Sims, tmp_path: Path, redis_env: RedisServer
) -> None:
    """Two proxies (as two replicas behind a load balancer) share logins through Redis and
    have separate homes, so only the Redis lock can keep them from refreshing twice."""
    from litellm_codex.auth.redis_store import RedisStore

    store = RedisStore.from_env()
    expired = sims.chatgpt.issue_login(access_ttl=-60)
    codex_refresh.save_login(store, expired)
    copilot_exchange.save_login(store, sims.copilot.issue_login())
    base = {
        **sims.env(),
        **redis_env.env(),
        "LITELLM_CODEX_STORE": "redis",
        "LITELLM_CODEX_SECRET_KEY": os.environ["LITELLM_CODEX_SECRET_KEY"],
    }
    with contextlib.ExitStack() as stack:
        proxies = []
        for name in ("a", "b"):
            work = tmp_path / name
            home = work / "home"
            (home / ".config").mkdir(parents=True)
            env = {
                **base,
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / ".config"),
                "LITELLM_CODEX_HOME": str(home / "litellm-codex"),
            }
            proxies.append(stack.enter_context(run_proxy(TEAM_CONFIG, work, env)))
        copilot = load(proxies, "gpt-4o", 4)  # warm both up: the race is on the refresh
        sims.chatgpt.auth.refresh_delay = 0.5
        responses = load(proxies, "gpt-6.2-sol", 40)
    assert [r.status_code for r in responses] == [200] * 40, responses[0].text
    assert [r.status_code for r in copilot] == [200] * 4, copilot[0].text
    assert sims.chatgpt.authority.refresh_count == 1
    fresh = codex_refresh.load_login(store)
    assert fresh is not None
    assert fresh.refresh_token != expired.refresh_token
    # nothing was written to either replica's disk
    for name in ("a", "b"):
        assert not (tmp_path / name / "home" / "litellm-codex" / "credentials.json").exists()


# ----------------------------------------------------------------------------- per-user

PER_USER_CONFIG = EXAMPLES / "config-per-user.yaml"
KEYS = {"sk-alice": "alice", "sk-bob": "bob", "sk-carol": "carol", "sk-admin": "default_user_id"}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", ["file", "redis"])
def test_per_user_logins_through_the_proxy(
    sims: Sims, tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    """Two users with their own ChatGPT and Copilot logins, one without, and the admin."""
    from litellm_codex.auth.users import UserStore
    from litellm_codex.testing._tokens import Account, GitHubUser
    from litellm_codex.testing.codex_backend import Fault

    env = {**sims.env(), "LITELLM_CODEX_CREDENTIALS": "per-user"}
    if kind == "redis":
        from litellm_codex.auth.redis_store import RedisStore

        server: RedisServer = request.getfixturevalue("redis_env")
        base: Any = RedisStore.from_env()
        env.update(
            server.env(),
            LITELLM_CODEX_STORE="redis",
            LITELLM_CODEX_SECRET_KEY=os.environ["LITELLM_CODEX_SECRET_KEY"],
        )
    else:
        base = FileStore(sims.store_dir / "credentials.json")
    accounts = {
        "default": Account("acct-default", "user-d", "admin@example.com"),
        "alice": Account("acct-alice", "user-a", "alice@example.com"),
        "bob": Account("acct-bob", "user-b", "bob@example.com"),
    }
    github = {
        name: GitHubUser(login=f"gh-{name}", user_id=i, api_endpoint=sims.copilot.api_base)
        for i, name in enumerate(accounts)
    }
    for name, account in accounts.items():
        store = base if name == "default" else UserStore(base, name)
        codex_refresh.save_login(store, sims.chatgpt.issue_login(account))
        copilot_exchange.save_login(store, sims.copilot.issue_login(github[name]))
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps(KEYS))
    env["TEAM_KEYS_FILE"] = str(keys_file)
    with run_proxy(_per_user_config(tmp_path), tmp_path, env) as proxy:
        codex: dict[str, httpx.Response] = {}
        copilot: dict[str, httpx.Response] = {}
        for key, user in KEYS.items():
            codex[user] = chat(proxy, "gpt-6.2-sol", f"codex for {user}", key=key)
            copilot[user] = chat(proxy, "gpt-4o", f"copilot for {user}", key=key)
        streamed = httpx.post(
            proxy.url + "/v1/chat/completions",
            headers={"Authorization": "Bearer sk-bob"},
            json={
                "model": "gpt-6.2-sol",
                "stream": True,
                "messages": [{"role": "user", "content": "bob streams"}],
            },
            timeout=120,
        )
        responses_api = httpx.post(
            proxy.url + "/v1/responses",
            headers={"Authorization": "Bearer sk-alice"},
            json={"model": "gpt-6.2-sol", "input": "alice via responses"},
            timeout=120,
        )
        # One user's usage limit is theirs alone: the deployment stays up for the others.
        sims.chatgpt.backend.queue(Fault.usage_limit(resets_in=90))
        limited = chat(proxy, "gpt-6.2-sol", "alice over quota", key="sk-alice")
        after = chat(proxy, "gpt-6.2-sol", "bob after alice's limit", key="sk-bob")
    for user in ("alice", "bob", "default_user_id"):
        assert codex[user].status_code == 200, codex[user].text
        assert copilot[user].status_code == 200, copilot[user].text
    assert streamed.status_code == 200, streamed.text
    assert responses_api.status_code == 200, responses_api.text
    # Each user's request went out with their own account, and only theirs.
    assert _codex_account(sims, "codex for alice") == "acct-alice"
    assert _codex_account(sims, "codex for bob") == "acct-bob"
    assert _codex_account(sims, "codex for default_user_id") == "acct-default"
    assert _codex_account(sims, "bob streams") == "acct-bob"
    assert _codex_account(sims, "alice via responses") == "acct-alice"
    assert _codex_account(sims, "codex for carol") is None
    assert _copilot_user(sims, "copilot for alice") == "gh-alice"
    assert _copilot_user(sims, "copilot for bob") == "gh-bob"
    assert _copilot_user(sims, "copilot for default_user_id") == "gh-default"
    assert _copilot_user(sims, "copilot for carol") is None
    assert limited.status_code == 429, limited.text
    assert after.status_code == 200, after.text
    assert _codex_account(sims, "bob after alice's limit") == "acct-bob"
    # A user without a login: 401 that says how to log in, never someone else's login.
    assert codex["carol"].status_code == 401, codex["carol"].text
    assert "litellm-codex login openai-codex --user carol" in codex["carol"].text
    assert copilot["carol"].status_code == 401, copilot["carol"].text
    assert "litellm-codex login github-copilot --user carol" in copilot["carol"].text


def _per_user_config(workdir: Path) -> Path:
    """examples/proxy/config-per-user.yaml, with cooldowns off on LiteLLM releases that
    lack the caller-credential errors (before 1.108): there one user's 401 or usage limit
    would cool the shared deployment down for everyone (README: per-user logins)."""
    import litellm
    import yaml

    if hasattr(litellm, "CallerCredentialAuthenticationError"):
        return PER_USER_CONFIG
    config = yaml.safe_load(PER_USER_CONFIG.read_text())
    config.setdefault("router_settings", {})["disable_cooldowns"] = True
    path = workdir / "config-per-user.yaml"
    path.write_text(yaml.safe_dump(config))
    (workdir / "team_keys.py").write_text((EXAMPLES / "team_keys.py").read_text())
    return path


def _codex_account(sims: Sims, marker: str) -> str | None:
    """The ChatGPT account of the request whose prompt contains ``marker``."""
    for r in sims.chatgpt.backend.requests:
        if marker in json.dumps(r.body):
            return r.account_id
    return None


def _copilot_user(sims: Sims, marker: str) -> str | None:
    """The GitHub login of the Copilot token that sent the prompt containing ``marker``."""
    for r in sims.copilot.api.requests:
        if marker in json.dumps(r.json()):
            headers = {k.lower(): v for k, v in r.headers.items()}
            token = headers.get("authorization", "").removeprefix("Bearer ")
            user = sims.copilot.authority.check_copilot(token)
            return user.login if user is not None else "?"
    return None


# ----------------------------------------------------------------------------- headers


def _litellm_before(major: int, minor: int) -> bool:
    from importlib.metadata import version

    parts = version("litellm").split(".")
    return (int(parts[0]), int(parts[1])) < (major, minor)


@pytest.mark.timeout(240)
@pytest.mark.skipif(
    _litellm_before(1, 108),
    reason="the proxy reads a stream's first chunk before asking callbacks for response "
    "headers only from LiteLLM 1.108 on; before, streamed answers have no upstream headers",
)
@pytest.mark.parametrize(
    ("model", "prefix"),
    [("gpt-6.2-sol", "llm_provider-x-codex-"), ("gpt-4o", "llm_provider-x-quota-snapshot-")],
)
def test_streamed_answers_carry_the_upstream_quota_headers(
    sims: Sims, tmp_path: Path, model: str, prefix: str
) -> None:
    """The rate-limit / quota headers a client gets on a whole answer, it gets on a stream."""
    store = FileStore(sims.store_dir / "credentials.json")
    codex_refresh.save_login(store, sims.chatgpt.issue_login())
    copilot_exchange.save_login(store, sims.copilot.issue_login())
    with run_proxy(TEAM_CONFIG, tmp_path, sims.env()) as proxy:
        whole = chat(proxy, model, "whole answer")
        streamed = httpx.post(
            proxy.url + "/v1/chat/completions",
            headers=proxy.headers(),
            json={
                "model": model,
                "stream": True,
                "messages": [{"role": "user", "content": "streamed answer"}],
            },
            timeout=120,
        )
    assert whole.status_code == 200, whole.text
    assert streamed.status_code == 200, streamed.text
    assert "echo: streamed answer" in "".join(
        json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
        for line in streamed.text.splitlines()
        if line.startswith("data: {") and json.loads(line[6:]).get("choices")
    )
    upstream = {k: v for k, v in whole.headers.items() if k.startswith(prefix)}
    assert upstream, dict(whole.headers)
    for name, value in upstream.items():
        assert streamed.headers.get(name) is not None, (name, dict(streamed.headers))
        if "reset" not in name:
            assert streamed.headers[name] == value, name
