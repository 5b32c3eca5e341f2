"""The login matrix, driven through the real CLI in a subprocess against the simulators.

Every test runs ``python -m litellm_codex ...`` with its own HOME / LITELLM_CODEX_HOME (see
``tests/conftest.py``), no stdin, the endpoints pointed at a simulator on 127.0.0.1, and
``LITELLM_CODEX_TESTING_FAST=1`` so device-flow waits are capped at 50 ms.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from litellm_codex.testing import SimServer
from litellm_codex.testing._tokens import GitHubAuthority
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.github import GitHubSim, install_github

REPO = Path(__file__).resolve().parents[2]
CLI_TIMEOUT = 60.0


# --------------------------------------------------------------------------------------
# Running the CLI


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


class CliProcess:
    """A running CLI whose stdout lines can be awaited one by one."""

    def __init__(self, args: Sequence[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "litellm_codex", *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._out: list[str] = []
        self._err: list[str] = []
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self._out, True)),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self._err, False)),
        ]
        for thread in self._threads:
            thread.start()

    def _pump(self, stream: Any, sink: list[str], lines: bool) -> None:
        for line in stream:
            sink.append(line)
            if lines:
                self.lines.put(line)
        if lines:
            self.lines.put(None)

    def wait_for_line(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        regex = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}; got {self._out}") from None
            if line is None:
                raise AssertionError(
                    f"CLI ended before printing {pattern!r}: {''.join(self._out + self._err)}"
                )
            match = regex.search(line)
            if match:
                return match

    def finish(self, timeout: float = CLI_TIMEOUT) -> Result:
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            self.stop()
        return Result(code, "".join(self._out), "".join(self._err))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for thread in self._threads:
            thread.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def env(isolated_home: Path) -> dict[str, str]:
    """The subprocess environment: the isolated home, the file store, fast waits."""
    variables = dict(os.environ)
    for name in (
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "BROWSER",
        "PYTHON_KEYRING_BACKEND",
        "GH_COPILOT_TOKEN",
    ):
        variables.pop(name, None)
    variables.update(
        LITELLM_CODEX_STORE="file",
        LITELLM_CODEX_TESTING_FAST="1",
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return variables


def run(args: Sequence[str], env: dict[str, str], timeout: float = CLI_TIMEOUT) -> Result:
    done = subprocess.run(
        [sys.executable, "-m", "litellm_codex", *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def status_json(env: dict[str, str]) -> dict[str, Any]:
    result = run(["status", "--json"], env)
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def stored(env: dict[str, str]) -> dict[str, Any]:
    path = Path(env["LITELLM_CODEX_HOME"]) / "credentials.json"
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def assert_one_line_error(result: Result, *needles: str) -> None:
    assert result.code == 1, result
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert lines, result
    last = lines[-1]
    for needle in needles:
        assert needle in last, (needle, result.err)


# --------------------------------------------------------------------------------------
# Simulators


@pytest.fixture
def chatgpt(env: dict[str, str]) -> Iterator[ChatGPTSimulator]:
    with ChatGPTSimulator() as sim:
        env["OPENAI_CODEX_AUTH_BASE"] = sim.auth_base
        env["OPENAI_CODEX_API_BASE"] = sim.api_base
        yield sim


@dataclass
class GitHub:
    server: SimServer
    sim: GitHubSim
    authority: GitHubAuthority


@pytest.fixture
def github(env: dict[str, str]) -> Iterator[GitHub]:
    authority = GitHubAuthority()
    with SimServer() as server:
        sim = install_github(server, authority)
        env["GITHUB_COPILOT_GITHUB_URL"] = server.url
        env["GITHUB_COPILOT_GITHUB_API_URL"] = server.url
        yield GitHub(server, sim, authority)


def browser_login(
    args: Sequence[str], env: dict[str, str], *, expect_page: str = "Signed in"
) -> tuple[Result, httpx.Response, str]:
    """Start a browser login, follow the printed URL like a browser; return the outcome."""
    proc = CliProcess(["login", "openai-codex", "--no-browser", "--port", "0", *args], env)
    try:
        url = proc.wait_for_line(r"^\s+(http://\S+/oauth/authorize\?\S+)$").group(1)
        page = httpx.get(url, follow_redirects=True, timeout=20)
        assert expect_page in page.text
    except BaseException:
        proc.stop()
        raise
    return proc.finish(), page, url


# --------------------------------------------------------------------------------------
# ChatGPT: browser (PKCE)


def test_browser_login_then_status(env: dict[str, str], chatgpt: ChatGPTSimulator) -> None:
    result, page, url = browser_login([], env)
    assert result.code == 0, result
    assert page.status_code == 200
    assert page.url.path == "/success"
    # The URL is the Codex CLI's, pointing back at our loopback server.
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == ["app_EMoamEEZ73f0CkXaXp7hrann"]
    assert query["code_challenge_method"] == ["S256"]
    assert urlsplit(query["redirect_uri"][0]).hostname == "127.0.0.1"
    assert query["scope"] == [
        "openid profile email offline_access api.connectors.read api.connectors.invoke"
    ]
    assert query["codex_cli_simplified_flow"] == ["true"]
    assert query["originator"] == ["codex_cli_rs"]
    # The simulator checked PKCE, redirect_uri and single use before answering.
    assert chatgpt.auth.code_exchanges == 1
    exchange = chatgpt.calls_to("/oauth/token")[-1]
    assert "x-www-form-urlencoded" in exchange.headers["content-type"]
    assert exchange.form()["grant_type"] == "authorization_code"
    assert "Logged in to ChatGPT as dev@example.com (plan plus)" in result.out

    record = stored(env)["openai-codex"]
    assert record["email"] == "dev@example.com"
    assert chatgpt.authority.check_access(record["access_token"]) is not None

    status = status_json(env)
    codex = status["providers"]["openai-codex"]
    assert codex["logged_in"] is True
    assert (codex["email"], codex["plan"], codex["account_id"]) == (
        "dev@example.com",
        "plus",
        "acct-sim-0001",
    )
    assert codex["expires_at"].endswith("Z")
    assert codex["expired"] is False
    assert status["store"].startswith("file (")
    assert status["providers"]["github-copilot"] == {"logged_in": False}


def test_browser_login_server_is_gone_afterwards(
    env: dict[str, str], chatgpt: ChatGPTSimulator
) -> None:
    result, _page, url = browser_login([], env)
    assert result.code == 0
    callback = parse_qs(urlsplit(url).query)["redirect_uri"][0]
    with pytest.raises(httpx.ConnectError):
        httpx.get(callback, timeout=5)


def test_browser_login_ignores_a_forged_callback(
    env: dict[str, str], chatgpt: ChatGPTSimulator
) -> None:
    proc = CliProcess(["login", "openai-codex", "--no-browser", "--port", "0"], env)
    try:
        url = proc.wait_for_line(r"^\s+(http://\S+/oauth/authorize\?\S+)$").group(1)
        callback = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        forged = httpx.get(callback, params={"code": "evil", "state": "wrong"}, timeout=10)
        assert forged.status_code == 400
        assert "State mismatch" in forged.text
        # The real browser round trip still completes the login.
        page = httpx.get(url, follow_redirects=True, timeout=20)
        assert page.status_code == 200
    except BaseException:
        proc.stop()
        raise
    result = proc.finish()
    assert result.code == 0, result
    assert chatgpt.auth.code_exchanges == 1


def test_browser_login_denied(env: dict[str, str], chatgpt: ChatGPTSimulator) -> None:
    chatgpt.auth.deny = True
    result, page, _url = browser_login([], env, expect_page="Login failed")
    assert page.status_code == 400
    assert_one_line_error(result, "login was denied")
    assert stored(env) == {}


def test_browser_login_codex_not_enabled(env: dict[str, str], chatgpt: ChatGPTSimulator) -> None:
    chatgpt.auth.missing_entitlement = True
    result, _page, _url = browser_login([], env, expect_page="Login failed")
    assert_one_line_error(result, "Codex is not enabled for your workspace")


def test_browser_login_token_exchange_failure(
    env: dict[str, str], chatgpt: ChatGPTSimulator
) -> None:
    from litellm_codex.testing import json_response

    chatgpt.script(
        "POST",
        "/oauth/token",
        json_response({"error": "invalid_grant", "error_description": "code expired"}, 400),
    )
    result, page, _url = browser_login([], env, expect_page="Login failed")
    assert page.status_code == 500
    assert_one_line_error(result, "code exchange failed (HTTP 400)", "code expired")


# --------------------------------------------------------------------------------------
# ChatGPT: device code


def test_device_login_with_pending_polls(env: dict[str, str], chatgpt: ChatGPTSimulator) -> None:
    chatgpt.auth.device_pending_polls = 3
    chatgpt.auth.device_interval = 5  # the test mode caps the waits
    result = run(["login", "openai-codex", "--device"], env, timeout=30)
    assert result.code == 0, result
    assert f"{chatgpt.auth_base}/codex/device" in result.out
    assert re.search(r"enter the code:\s+[0-9A-F]{4}-[0-9A-F]{6}", result.out)
    assert "Waiting for ChatGPT approval" in result.err
    assert chatgpt.auth.device_polls == 4
    assert chatgpt.auth.code_exchanges == 1
    exchange = chatgpt.calls_to("/oauth/token")[-1].form()
    assert exchange["redirect_uri"] == f"{chatgpt.auth_base}/deviceauth/callback"
    assert status_json(env)["providers"]["openai-codex"]["email"] == "dev@example.com"


def test_device_login_not_enabled(env: dict[str, str], chatgpt: ChatGPTSimulator) -> None:
    chatgpt.auth.device_enabled = False
    result = run(["login", "openai-codex", "--device"], env)
    assert_one_line_error(result, "device code login is not enabled")


def test_device_login_denied(env: dict[str, str], chatgpt: ChatGPTSimulator) -> None:
    chatgpt.auth.device_pending_polls = None
    proc = CliProcess(["login", "openai-codex", "--device"], env)
    try:
        proc.wait_for_line(r"enter the code")
        chatgpt.auth.deny_device()
    except BaseException:
        proc.stop()
        raise
    result = proc.finish()
    assert_one_line_error(result, "device login failed (HTTP 401)")
    assert stored(env) == {}


# --------------------------------------------------------------------------------------
# ChatGPT: import from the Codex CLI


def write_codex_auth(home: Path, data: dict[str, Any]) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "auth.json"
    path.write_text(json.dumps(data, indent=2))
    path.chmod(0o600)
    return path


def test_import_from_codex_cli(env: dict[str, str], chatgpt: ChatGPTSimulator) -> None:
    tokens = chatgpt.authority.issue()
    path = write_codex_auth(
        Path(env["CODEX_HOME"]),
        {
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": None,
            "tokens": {**tokens, "account_id": "acct-sim-0001"},
            "last_refresh": "2026-01-01T00:00:00Z",
        },
    )
    result = run(["login", "openai-codex", "--from-codex-cli"], env)
    assert result.code == 0, result
    assert "Imported the Codex CLI login of dev@example.com" in result.out
    codex = status_json(env)["providers"]["openai-codex"]
    assert codex["codex_cli"] == {"kind": "file", "location": str(path)}
    assert codex["auth_base"] == chatgpt.auth_base
    record = stored(env)["openai-codex"]
    assert record["refresh_token"] == tokens["refresh_token"]
    # Importing never touches the Codex CLI's file.
    assert json.loads(path.read_text())["tokens"]["refresh_token"] == tokens["refresh_token"]


def test_import_from_explicit_codex_home(
    env: dict[str, str], chatgpt: ChatGPTSimulator, tmp_path: Path
) -> None:
    home = tmp_path / "elsewhere"
    write_codex_auth(home, {"tokens": chatgpt.authority.issue(), "last_refresh": None})
    result = run(["login", "openai-codex", "--from-codex-cli", "--codex-home", str(home)], env)
    assert result.code == 0, result
    location = status_json(env)["providers"]["openai-codex"]["codex_cli"]["location"]
    assert location == str(home / "auth.json")


def test_import_from_codex_cli_in_api_key_mode(
    env: dict[str, str], chatgpt: ChatGPTSimulator
) -> None:
    key = "sk-proj-simulatedkey0123456789"
    write_codex_auth(Path(env["CODEX_HOME"]), {"auth_mode": "apikey", "OPENAI_API_KEY": key})
    result = run(["login", "openai-codex", "--from-codex-cli"], env)
    assert_one_line_error(result, "uses an API key")
    assert "https://api.openai.com/v1" in result.out
    assert key not in result.both
    assert stored(env) == {}


def test_import_without_codex_cli_login(env: dict[str, str], chatgpt: ChatGPTSimulator) -> None:
    result = run(["login", "openai-codex", "--from-codex-cli"], env)
    assert_one_line_error(result, "no Codex CLI login found", "codex login")
    assert str(Path(env["CODEX_HOME"]) / "auth.json") in result.err


def test_import_from_codex_cli_encrypted_store(
    env: dict[str, str], chatgpt: ChatGPTSimulator
) -> None:
    home = Path(env["CODEX_HOME"])
    (home / "secrets").mkdir(parents=True)
    (home / "secrets" / "cli_auth.age").write_bytes(b"age-encryption.org/v1\n")
    (home / "config.toml").write_text('cli_auth_credentials_store = "auto"\n')
    result = run(["login", "openai-codex", "--from-codex-cli"], env)
    assert_one_line_error(
        result, "encrypted file", 'cli_auth_credentials_store = "file"', "codex login"
    )
    assert stored(env) == {}


# --------------------------------------------------------------------------------------
# GitHub: device flow


def test_github_device_flow_pending_and_slow_down(env: dict[str, str], github: GitHub) -> None:
    github.sim.script_polls("authorization_pending", "slow_down", "authorization_pending")
    github.sim.interval = 5  # the test mode caps the waits
    result = run(["login", "github-copilot"], env)
    assert result.code == 0, result
    assert f"{github.server.url}/login/device" in result.out
    assert re.search(r"enter the code:\s+[0-9A-F]{4}-[0-9A-F]{4}", result.out)
    assert "Waiting for GitHub approval" in result.err
    assert "every 10s" in result.err  # slow_down raised the interval from 5 to 10
    assert github.sim.polls == 4
    # The Copilot CLI's app (the one client identity, reference-clients-2026-11.md §2).
    assert github.sim.device_code_clients == ["Ov23ctDVkRmgkPke0Mmm"]
    poll = github.server.calls_to("/login/oauth/access_token")[-1]
    assert poll.headers["accept"] == "application/json"
    # Copilot access was checked with the new token: the exchange refuses the CLI app's
    # tokens, so the login is in direct mode, checked at copilot_internal/user.
    assert github.authority.exchange_count == 1
    exchange = github.server.calls_to("/copilot_internal/v2/token")[-1]
    assert exchange.headers["authorization"].startswith("token gh")
    assert github.authority.user_lookups == 1
    assert "Logged in to GitHub Copilot as octocat (github.com)" in result.out
    assert "Copilot access: direct token" in result.out

    copilot = status_json(env)["providers"]["github-copilot"]
    assert copilot["logged_in"] is True
    assert copilot["login"] == "octocat"
    assert copilot["source"] == "device"
    assert copilot["mode"] == "direct"
    assert "Copilot access: direct token" in run(["status"], env).out
    assert copilot["github_url"] == github.server.url


def test_github_device_flow_pending_with_status_400(env: dict[str, str], github: GitHub) -> None:
    github.sim.poll_error_status = 400
    github.sim.slow_down_names_interval = False
    github.sim.script_polls("authorization_pending", "slow_down")
    result = run(["login", "github_copilot"], env)
    assert result.code == 0, result
    assert "every 6s" in result.err  # no interval in the body: +5 on the advertised 1s


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("expired_token", "code expired before it was entered; run again"),
        ("access_denied", "GitHub login was cancelled"),
        ("device_flow_disabled", "device flow is disabled"),
    ],
)
def test_github_device_flow_stops(
    env: dict[str, str], github: GitHub, answer: str, message: str
) -> None:
    github.sim.script_polls("authorization_pending", answer)
    result = run(["login", "github-copilot"], env)
    assert_one_line_error(result, message)
    assert github.sim.polls == 2  # stopped at once, no further polling
    assert stored(env) == {}
    assert github.authority.exchange_count == 0


def test_github_device_code_expires_locally(env: dict[str, str], github: GitHub) -> None:
    github.sim.expires_in = 0
    result = run(["login", "github-copilot"], env)
    assert_one_line_error(result, "expired")
    assert stored(env) == {}


def test_github_login_without_copilot(env: dict[str, str], github: GitHub) -> None:
    github.authority.user.has_copilot = False
    result = run(["login", "github-copilot"], env)
    assert_one_line_error(result, "no Copilot access (HTTP 403)", "Copilot plan")
    assert stored(env) == {}


def test_github_enterprise(env: dict[str, str], github: GitHub) -> None:
    result = run(["login", "github-copilot", "--enterprise", "https://Octo.GHE.com/"], env)
    assert result.code == 0, result
    assert "(octo.ghe.com)" in result.out
    copilot = status_json(env)["providers"]["github-copilot"]
    assert copilot["enterprise"] == "octo.ghe.com"
    # The env variables point the flow at the simulator; the Copilot API base is derived.
    assert copilot["github_url"] == github.server.url
    assert copilot["api_base"] == "https://copilot-api.octo.ghe.com"
    text = run(["status"], env)
    assert "github-copilot: logged in as octocat (octo.ghe.com)" in text.out
    assert "api base: https://copilot-api.octo.ghe.com" in text.out


# --------------------------------------------------------------------------------------
# GitHub: existing tokens


@pytest.mark.parametrize("variable", ["COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"])
def test_github_token_from_env(env: dict[str, str], github: GitHub, variable: str) -> None:
    token = github.authority.issue_github_token()
    env[variable] = token
    result = run(["login", "github-copilot", "--token-from-env"], env)
    assert result.code == 0, result
    assert f"${variable}" in result.out
    assert token not in result.both
    assert github.sim.device_code_clients == []  # no device flow
    assert stored(env)["github-copilot"]["github_token"] == token
    assert status_json(env)["providers"]["github-copilot"]["source"] == "env"
    assert "Copilot access: token exchange" in result.out
    assert status_json(env)["providers"]["github-copilot"]["mode"] == "exchange"


def test_github_token_from_env_the_exchange_refuses(env: dict[str, str], github: GitHub) -> None:
    """A fine-grained token / Copilot CLI token: login says it is used directly."""
    env["GH_TOKEN"] = github.authority.issue_github_token(direct=True)
    result = run(["login", "github-copilot", "--token-from-env"], env)
    assert result.code == 0, result
    assert "Copilot access: direct token" in result.out
    assert status_json(env)["providers"]["github-copilot"]["mode"] == "direct"
    assert "Copilot access: direct token" in run(["status"], env).out


def test_github_token_from_env_missing(env: dict[str, str], github: GitHub) -> None:
    result = run(["login", "github-copilot", "--token-from-env"], env)
    assert_one_line_error(result, "no GitHub token in the environment", "GH_TOKEN")


def test_github_token_from_env_rejected(env: dict[str, str], github: GitHub) -> None:
    env["GH_TOKEN"] = "ghp_notissuedbythesimulator0000"
    result = run(["login", "github-copilot", "--token-from-env"], env)
    assert_one_line_error(result, "GitHub rejected the token (HTTP 401)")
    assert "ghp_notissued" not in result.both


def test_github_import_from_editor(
    env: dict[str, str], github: GitHub, isolated_home: Path
) -> None:
    token = github.authority.issue_github_token()
    directory = isolated_home / ".config" / "github-copilot"
    directory.mkdir(parents=True)
    (directory / "apps.json").write_text(
        json.dumps(
            {
                "github.com:Iv1.b507a08c87ecfe98": {
                    "user": "octocat",
                    "oauth_token": token,
                    "githubAppId": "Iv1.b507a08c87ecfe98",
                }
            }
        )
    )
    before = sorted(p.name for p in directory.iterdir())
    result = run(["login", "github-copilot", "--from-editor"], env)
    assert result.code == 0, result
    assert stored(env)["github-copilot"]["source"] == "editor"
    assert sorted(p.name for p in directory.iterdir()) == before


def test_github_import_from_editor_hosts_json(
    env: dict[str, str], github: GitHub, isolated_home: Path
) -> None:
    token = github.authority.issue_github_token()
    directory = isolated_home / ".config" / "github-copilot"
    directory.mkdir(parents=True)
    (directory / "hosts.json").write_text(
        json.dumps({"github.com": {"user": "octocat", "oauth_token": token}})
    )
    result = run(["login", "github-copilot", "--from-editor"], env)
    assert result.code == 0, result
    assert stored(env)["github-copilot"]["github_token"] == token


def test_github_import_from_editor_missing(
    env: dict[str, str], github: GitHub, isolated_home: Path
) -> None:
    result = run(["login", "github-copilot", "--from-editor"], env)
    assert_one_line_error(result, "no Copilot editor login for github.com")
    assert not (isolated_home / ".config" / "github-copilot").exists()


def test_github_import_from_litellm(
    env: dict[str, str], github: GitHub, isolated_home: Path
) -> None:
    token = github.authority.issue_github_token()
    directory = isolated_home / ".config" / "litellm" / "github_copilot"
    directory.mkdir(parents=True)
    (directory / "access-token").write_text(token + "\n")
    result = run(["login", "github-copilot", "--from-litellm"], env)
    assert result.code == 0, result
    assert stored(env)["github-copilot"]["source"] == "litellm"
    assert sorted(p.name for p in directory.iterdir()) == ["access-token"]


def test_github_import_from_litellm_missing(
    env: dict[str, str], github: GitHub, isolated_home: Path
) -> None:
    result = run(["login", "github-copilot", "--from-litellm"], env)
    assert_one_line_error(result, "no LiteLLM Copilot token")
    # Read-only: LiteLLM's directory is not created.
    assert not (isolated_home / ".config" / "litellm").exists()


# --------------------------------------------------------------------------------------
# status / logout


def test_status_json_shows_no_secrets(
    env: dict[str, str], chatgpt: ChatGPTSimulator, github: GitHub
) -> None:
    assert browser_login([], env)[0].code == 0
    env["GH_TOKEN"] = github.authority.issue_github_token()
    assert run(["login", "github-copilot", "--token-from-env"], env).code == 0
    secrets = [
        stored(env)["openai-codex"][key] for key in ("access_token", "refresh_token", "id_token")
    ]
    secrets.append(stored(env)["github-copilot"]["github_token"])
    for args in (["status", "--json"], ["status"]):
        result = run(args, env)
        assert result.code == 0
        for secret in secrets:
            assert secret not in result.both
            assert secret[:24] not in result.both
    report = status_json(env)
    assert report["providers"]["openai-codex"]["logged_in"] is True
    assert report["providers"]["github-copilot"]["login"] == "octocat"
    text = run(["status"], env).out
    assert "openai-codex: logged in as dev@example.com (plan plus, account acct-sim-0001)" in text
    assert "refreshed automatically" in text


def test_status_when_logged_out(env: dict[str, str]) -> None:
    result = run(["status"], env)
    assert result.code == 0
    assert "openai-codex: not logged in (run `litellm-codex login openai-codex`)" in result.out
    assert "github-copilot: not logged in" in result.out
    assert "store: file (" in result.out


def test_logout_codex_revokes(env: dict[str, str], chatgpt: ChatGPTSimulator) -> None:
    assert browser_login([], env)[0].code == 0
    record = stored(env)["openai-codex"]
    result = run(["logout", "openai-codex"], env)
    assert result.code == 0, result
    assert "Logged out of openai-codex" in result.out
    assert record["refresh_token"] in chatgpt.auth.revoked
    assert status_json(env)["providers"]["openai-codex"] == {"logged_in": False}
    again = run(["logout", "openai_codex"], env)
    assert again.code == 0
    assert "Not logged in to openai-codex" in again.out


def test_logout_imported_codex_login_does_not_revoke(
    env: dict[str, str], chatgpt: ChatGPTSimulator
) -> None:
    write_codex_auth(
        Path(env["CODEX_HOME"]), {"tokens": chatgpt.authority.issue(), "last_refresh": None}
    )
    assert run(["login", "openai-codex", "--from-codex-cli"], env).code == 0
    result = run(["logout", "openai-codex"], env)
    assert result.code == 0, result
    assert "codex logout" in result.out
    assert chatgpt.auth.revoked == []
    assert (Path(env["CODEX_HOME"]) / "auth.json").exists()


def test_logout_copilot(env: dict[str, str], github: GitHub) -> None:
    env["GH_TOKEN"] = github.authority.issue_github_token()
    assert run(["login", "github-copilot", "--token-from-env"], env).code == 0
    result = run(["logout", "github-copilot"], env)
    assert result.code == 0, result
    assert "/settings/applications" in result.out
    assert "github-copilot" not in stored(env)


def test_relogin_revokes_the_replaced_login(env: dict[str, str], chatgpt: ChatGPTSimulator) -> None:
    assert browser_login([], env)[0].code == 0
    first = stored(env)["openai-codex"]["refresh_token"]
    assert browser_login([], env)[0].code == 0
    assert stored(env)["openai-codex"]["refresh_token"] != first
    assert first in chatgpt.auth.revoked


# --------------------------------------------------------------------------------------
# The keyring store, usage errors, start-up cost


def test_login_into_the_keyring(env: dict[str, str], github: GitHub, tmp_path: Path) -> None:
    del env["LITELLM_CODEX_STORE"]
    env["PYTHON_KEYRING_BACKEND"] = "tests._keyring.FileKeyring"
    env["LITELLM_CODEX_TEST_KEYRING"] = str(tmp_path / "keyring.json")
    env["GH_TOKEN"] = token = github.authority.issue_github_token()
    result = run(["login", "github-copilot", "--token-from-env"], env)
    assert result.code == 0, result
    assert "Stored in keyring (" in result.out
    assert stored(env) == {}
    entries = json.loads((tmp_path / "keyring.json").read_text())
    assert any(key.startswith("litellm-codex:github-copilot\x00") for key in entries)
    assert token not in json.dumps(status_json(env))
    assert status_json(env)["store"].startswith("keyring (")


@pytest.mark.parametrize(
    "args",
    [
        ["login", "nope"],
        ["logout"],
        ["logout", "nope"],
        ["status", "--bogus"],
        ["login", "openai-codex", "--device", "--from-codex-cli"],
        ["login", "openai-codex", "--codex-home", "/nonexistent/codex-home"],
        ["login", "github-copilot", "--token-from-env", "--from-editor"],
        ["login", "github-copilot", "--enterprise", "a b"],
    ],
)
def test_usage_errors_exit_2(env: dict[str, str], args: list[str]) -> None:
    result = run(args, env)
    assert result.code == 2, result
    assert "Usage:" in result.err or "Error:" in result.err


def test_help_and_version(env: dict[str, str]) -> None:
    result = run(["--help"], env)
    assert result.code == 0
    for command in ("login", "logout", "status"):
        assert command in result.out
    assert "--port" not in run(["login", "openai-codex", "--help"], env).out
    version = run(["--version"], env)
    assert version.code == 0
    assert version.out.startswith("litellm-codex, version ")


def test_cli_does_not_import_litellm(env: dict[str, str]) -> None:
    code = (
        "import sys, litellm_codex.cli, litellm_codex.auth.login_openai, "
        "litellm_codex.auth.login_github; "
        "sys.exit(1 if 'litellm' in sys.modules else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
