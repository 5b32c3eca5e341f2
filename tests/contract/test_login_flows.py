"""The login drivers in-process against the simulators: the edges the CLI tests do not reach
(busy ports, timeouts, the browser opener, network failures, odd server answers)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from litellm_codex.auth import codex_refresh, copilot_exchange, login_github, login_openai, pkce
from litellm_codex.auth.device import Pending
from litellm_codex.auth.login_github import GitHubEndpoints
from litellm_codex.auth.store import MemoryStore
from litellm_codex.errors import ConfigurationError, LoginError, NoAccessError
from litellm_codex.testing import Response, SimServer, json_response
from litellm_codex.testing._tokens import GitHubAuthority
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.github import GitHubSim, install_github


@pytest.fixture
def chatgpt() -> Iterator[ChatGPTSimulator]:
    with ChatGPTSimulator() as sim:
        yield sim


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """An ``open_browser`` that follows the URL in a thread, like a user would."""

    def __init__(self, *, fail: bool = False) -> None:
        self.urls: list[str] = []
        self.pages: list[httpx.Response] = []
        self.fail = fail
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        self.urls.append(url)
        if self.fail:
            raise RuntimeError("no browser here")
        thread = threading.Thread(target=self._visit, args=(url,))
        thread.start()
        self._threads.append(thread)
        return True

    def _visit(self, url: str) -> None:
        self.pages.append(httpx.get(url, follow_redirects=True, timeout=10))

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=10)


# --------------------------------------------------------------------------------------
# Browser flow


def test_browser_login_opens_the_browser(chatgpt: ChatGPTSimulator, store: MemoryStore) -> None:
    browser = Browser()
    printed: list[str] = []
    login = login_openai.login_browser(
        store,
        auth_base=chatgpt.auth_base + "/",
        open_browser=browser,
        print_fn=printed.append,
        port=0,
    )
    browser.join()
    assert login.email == "dev@example.com"
    assert login.plan == "plus"
    assert login.account_id == "acct-sim-0001"
    assert login.auth_base == chatgpt.auth_base
    assert login.expires_at is not None
    assert codex_refresh.load_login(store) == login
    assert browser.pages[0].status_code == 200
    assert f"  {browser.urls[0]}" in printed


def test_browser_that_fails_to_start_is_no_error(
    chatgpt: ChatGPTSimulator, store: MemoryStore
) -> None:
    browser = Browser(fail=True)
    printed: list[str] = []
    done: list[object] = []

    def run() -> None:
        try:
            done.append(
                login_openai.login_browser(
                    store,
                    auth_base=chatgpt.auth_base,
                    open_browser=browser,
                    print_fn=printed.append,
                    port=0,
                    timeout=10,
                )
            )
        except Exception as exc:  # pragma: no cover - reported by the assert below
            done.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        for _ in range(200):
            if browser.urls:
                break
            threading.Event().wait(0.02)
        # The user copies the printed URL by hand.
        httpx.get(browser.urls[0], follow_redirects=True, timeout=10)
    finally:
        thread.join(timeout=20)
    assert not isinstance(done[0], Exception), done


def test_browser_login_times_out(chatgpt: ChatGPTSimulator, store: MemoryStore) -> None:
    with pytest.raises(login_openai.LoginTimeout, match="no answer from the browser"):
        login_openai.login_browser(
            store, auth_base=chatgpt.auth_base, print_fn=lambda _: None, port=0, timeout=0.2
        )
    assert codex_refresh.load_login(store) is None


def test_busy_port_is_reported(chatgpt: ChatGPTSimulator, store: MemoryStore) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(LoginError, match=rf"port {port} on 127.0.0.1 is busy"):
            login_openai.login_browser(
                store, auth_base=chatgpt.auth_base, print_fn=lambda _: None, port=port
            )


def test_default_port_falls_back(
    chatgpt: ChatGPTSimulator, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand-ins for 1455 / 1457, which may be taken on a shared test machine.
    fallback = _free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        monkeypatch.setattr(pkce, "DEFAULT_PORT", busy.getsockname()[1])
        monkeypatch.setattr(pkce, "FALLBACK_PORT", fallback)
        browser = Browser()
        login_openai.login_browser(
            store,
            auth_base=chatgpt.auth_base,
            open_browser=browser,
            print_fn=lambda _: None,
            port=pkce.DEFAULT_PORT,
        )
        browser.join()
    redirect = parse_qs(urlsplit(browser.urls[0]).query)["redirect_uri"][0]
    assert redirect == f"http://127.0.0.1:{fallback}/auth/callback"


def test_both_default_ports_busy(
    chatgpt: ChatGPTSimulator, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as one, socket.socket() as two:
        for sock in (one, two):
            sock.bind(("127.0.0.1", 0))
            sock.listen()
        monkeypatch.setattr(pkce, "DEFAULT_PORT", one.getsockname()[1])
        monkeypatch.setattr(pkce, "FALLBACK_PORT", two.getsockname()[1])
        with pytest.raises(LoginError, match="are busy"):
            login_openai.login_browser(
                store, auth_base=chatgpt.auth_base, print_fn=lambda _: None, port=pkce.DEFAULT_PORT
            )


def test_cancel_and_unknown_paths(chatgpt: ChatGPTSimulator, store: MemoryStore) -> None:
    seen: list[str] = []

    def browser(url: str) -> bool:
        seen.append(url)
        callback = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        base = callback.rsplit("/auth/callback", 1)[0]
        assert httpx.get(base + "/favicon.ico", timeout=5).status_code == 404
        assert httpx.get(base + "/cancel", timeout=5).status_code == 200
        # After the end, late callbacks are refused.
        assert httpx.get(callback, params={"state": "x"}, timeout=5).status_code == 400
        return True

    with pytest.raises(LoginError, match="cancelled by another login"):
        login_openai.login_browser(
            store,
            auth_base=chatgpt.auth_base,
            open_browser=browser,
            print_fn=lambda _: None,
            port=0,
        )
    assert seen


def test_unreachable_token_endpoint(store: MemoryStore) -> None:
    # The authorize step is skipped: the test plays the browser coming back with a code.
    dead = f"http://127.0.0.1:{_free_port()}"

    def browser(url: str) -> bool:
        query = parse_qs(urlsplit(url).query)
        callback = query["redirect_uri"][0]
        page = httpx.get(callback, params={"code": "c", "state": query["state"][0]}, timeout=10)
        assert page.status_code == 500
        return True

    with pytest.raises(LoginError, match="code exchange failed: cannot reach"):
        login_openai.login_browser(
            store, auth_base=dead, open_browser=browser, print_fn=lambda _: None, port=0
        )


def test_relogin_keeps_a_linked_login_unrevoked(
    chatgpt: ChatGPTSimulator, store: MemoryStore
) -> None:
    from litellm_codex.auth.records import CodexCliLink

    linked = chatgpt.issue_login().model_copy(
        update={"codex_cli": CodexCliLink(kind="file", location="/x/auth.json")}
    )
    codex_refresh.save_login(store, linked)
    browser = Browser()
    login_openai.login_browser(
        store, auth_base=chatgpt.auth_base, open_browser=browser, print_fn=lambda _: None, port=0
    )
    browser.join()
    assert chatgpt.auth.revoked == []


def test_unreadable_previous_login_is_replaced(
    chatgpt: ChatGPTSimulator, store: MemoryStore
) -> None:
    store.save("openai-codex", {"not": "a login"})
    browser = Browser()
    login = login_openai.login_browser(
        store, auth_base=chatgpt.auth_base, open_browser=browser, print_fn=lambda _: None, port=0
    )
    browser.join()
    assert codex_refresh.load_login(store) == login


# --------------------------------------------------------------------------------------
# Device flow (OpenAI)


def test_openai_device_survives_a_network_blip(
    chatgpt: ChatGPTSimulator, store: MemoryStore
) -> None:
    from litellm_codex.testing import DROP

    chatgpt.script("POST", "/api/accounts/deviceauth/token", Response(stream=iter([DROP])))
    waits: list[Pending] = []
    login = login_openai.login_device(
        store,
        auth_base=chatgpt.auth_base,
        print_fn=lambda _: None,
        on_wait=waits.append,
        sleep=lambda _s: None,
    )
    assert login.email == "dev@example.com"
    assert len(waits) == 3  # the blip and two 403s


def test_openai_device_unreachable(store: MemoryStore) -> None:
    with pytest.raises(LoginError, match="cannot reach"):
        login_openai.login_device(
            store, auth_base=f"http://127.0.0.1:{_free_port()}", print_fn=lambda _: None
        )


def test_openai_device_times_out(chatgpt: ChatGPTSimulator, store: MemoryStore) -> None:
    chatgpt.auth.device_pending_polls = None
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += 60

    with pytest.raises(LoginError, match="timed out after 15 minutes"):
        login_openai.login_device(
            store,
            auth_base=chatgpt.auth_base,
            print_fn=lambda _: None,
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert chatgpt.auth.device_polls == 15


# --------------------------------------------------------------------------------------
# GitHub


@pytest.fixture
def github() -> Iterator[tuple[SimServer, GitHubSim, GitHubEndpoints]]:
    with SimServer() as server:
        sim = install_github(server, GitHubAuthority())
        yield server, sim, GitHubEndpoints(server.url, server.url, None, None)


def test_github_form_encoded_device_code(
    github: tuple[SimServer, GitHubSim, GitHubEndpoints], store: MemoryStore
) -> None:
    server, _sim, _endpoints = github
    # GitHub without `Accept: application/json` answers form-encoded; we cope.
    code = httpx.post(server.url + "/login/device/code", data={"client_id": "x"})
    assert code.headers["content-type"] == "application/x-www-form-urlencoded"
    from litellm_codex.auth.device import parse_github_device_code

    assert parse_github_device_code(code.status_code, code.content).interval == 1


def test_github_device_unreachable(store: MemoryStore) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(LoginError, match="cannot reach"):
        login_github.login_device_flow(store, GitHubEndpoints(dead, dead), print_fn=lambda _: None)


def test_github_device_survives_a_network_blip(
    github: tuple[SimServer, GitHubSim, GitHubEndpoints], store: MemoryStore
) -> None:
    from litellm_codex.testing import DROP

    server, _sim, endpoints = github
    server.script("POST", "/login/oauth/access_token", Response(stream=iter([DROP])))
    printed: list[str] = []
    login = login_github.login_device_flow(
        store, endpoints, print_fn=printed.append, sleep=lambda _s: None
    )
    assert login.login == "octocat"
    assert "(the code expires in 15 minutes)" in printed


@pytest.mark.parametrize(
    ("response", "error", "message"),
    [
        (json_response({"message": "Not Found"}, 404), NoAccessError, r"HTTP 404\): Not Found"),
        (
            json_response({"message": "Resource not accessible by personal access token"}, 403),
            NoAccessError,
            "personal access tokens do not work",
        ),
        (Response(403, body=b"<html>"), NoAccessError, r"no Copilot access \(HTTP 403\); check"),
        (json_response({"message": "boom"}, 500), LoginError, r"check failed \(HTTP 500\): boom"),
        (Response(200, body=b"not json"), LoginError, "holds no token"),
        (json_response({"expires_at": 1}), LoginError, "holds no token"),
    ],
)
def test_github_copilot_check_failures(
    github: tuple[SimServer, GitHubSim, GitHubEndpoints],
    store: MemoryStore,
    response: Response,
    error: type[Exception],
    message: str,
) -> None:
    server, sim, endpoints = github
    server.script("GET", "/copilot_internal/v2/token", response)
    if response.status in (403, 404):
        # Refused by the exchange; the direct-mode check refuses it too (no Copilot).
        server.script("GET", "/copilot_internal/user", json_response({"message": "Not Found"}, 404))
    token = sim.authority.issue_github_token()
    with pytest.raises(error, match=message):
        login_github.login_with_token(store, token, endpoints, source="env")


@pytest.mark.parametrize("source", ["device", "env"])
def test_github_token_the_exchange_refuses_is_used_directly(
    github: tuple[SimServer, GitHubSim, GitHubEndpoints], store: MemoryStore, source: str
) -> None:
    """The Copilot CLI's app tokens (and fine-grained tokens): the exchange answers 404;
    the login checks `copilot_internal/user` with the token as the bearer and stores the
    login in direct mode."""
    server, sim, endpoints = github
    if source == "device":
        login = login_github.login_device_flow(
            store, endpoints, print_fn=lambda _t: None, sleep=lambda _s: None
        )
        assert sim.device_code_clients == ["Ov23ctDVkRmgkPke0Mmm"]
    else:
        token = sim.authority.issue_github_token(direct=True)
        login = login_github.login_with_token(store, token, endpoints, source="env")
    assert login.mode == "direct"
    assert login.login == "octocat"
    (lookup,) = [c for c in server.calls if c.path == "/copilot_internal/user"]
    assert lookup.headers["authorization"] == f"Bearer {login.github_token}"
    assert lookup.headers["editor-version"] == "copilot/1.0.102"
    stored = copilot_exchange.load_login(store)
    assert stored is not None and stored.mode == "direct"


def test_exchangeable_token_is_stored_in_exchange_mode(
    github: tuple[SimServer, GitHubSim, GitHubEndpoints], store: MemoryStore
) -> None:
    server, sim, endpoints = github
    login = login_github.login_with_token(
        store, sim.authority.issue_github_token(), endpoints, source="env"
    )
    assert login.mode == "exchange"
    assert not [c for c in server.calls if c.path == "/copilot_internal/user"]


def test_github_user_lookup_is_optional(
    github: tuple[SimServer, GitHubSim, GitHubEndpoints], store: MemoryStore
) -> None:
    server, sim, endpoints = github
    server.script("GET", "/user", Response(200, body=b"not json"))
    login = login_github.login_with_token(
        store, sim.authority.issue_github_token(), endpoints, source="env"
    )
    assert login.login is None


def test_github_empty_token(store: MemoryStore) -> None:
    with pytest.raises(LoginError, match="empty"):
        login_github.login_with_token(store, "  ", GitHubEndpoints(), source="env")


def test_github_api_unreachable(store: MemoryStore) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(LoginError, match="cannot reach"):
        login_github.login_with_token(store, "gho_x", GitHubEndpoints(dead, dead), source="env")


# --------------------------------------------------------------------------------------
# Trust: the login flows refuse plain-http endpoints off this machine before any request


class _Recorder(httpx.BaseTransport):
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(599)


UNTRUSTED = "http://login.example.test"


@pytest.mark.parametrize("flow", ["browser", "device"])
def test_openai_login_refuses_a_plain_http_issuer(store: MemoryStore, flow: str) -> None:
    recorder = _Recorder()
    with (
        httpx.Client(transport=recorder) as http,
        pytest.raises(ConfigurationError, match=r"http://login\.example\.test .*issuer"),
    ):
        if flow == "browser":
            login_openai.login_browser(
                store, auth_base=UNTRUSTED, print_fn=lambda _: None, port=0, http=http
            )
        else:
            login_openai.login_device(
                store, auth_base=UNTRUSTED, print_fn=lambda _: None, http=http
            )
    assert recorder.requests == []
    assert store.load("openai-codex") is None


@pytest.mark.parametrize("field", ["github_url", "github_api_url", "api_base"])
@pytest.mark.parametrize("flow", ["token", "device"])
def test_github_login_refuses_plain_http_endpoints(
    store: MemoryStore, field: str, flow: str
) -> None:
    endpoints = GitHubEndpoints(**{field: UNTRUSTED})
    recorder = _Recorder()
    with (
        httpx.Client(transport=recorder) as http,
        pytest.raises(ConfigurationError, match=r"login\.example\.test .*GitHub endpoints"),
    ):
        if flow == "token":
            login_github.login_with_token(store, "gho_x", endpoints, source="test", http=http)
        else:
            login_github.login_device_flow(store, endpoints, print_fn=lambda _: None, http=http)
    assert recorder.requests == []
