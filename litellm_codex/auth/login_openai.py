"""ChatGPT (Codex) logins: browser PKCE, device code, and import from the Codex CLI.

These are the only interactive pieces of the Codex credentials; nothing here runs inside a
completion. Each driver ends by saving a :class:`~litellm_codex.auth.records.CodexLogin`
through :func:`litellm_codex.auth.codex_refresh.save_login` and returning it. The protocol steps
live in the pure modules :mod:`~litellm_codex.auth.pkce` and :mod:`~litellm_codex.auth.device`;
this module sends the requests and runs the loopback server.

Browser flow (protocols/codex-chatgpt-backend.md §1.1-1.3)::

    bind 127.0.0.1:1455 (1457 when busy) -> print the authorize URL, open a browser
    browser -> GET /auth/callback?code&state -> state check -> POST {auth}/oauth/token
    -> 302 /success (a page saying it worked) -> stop the server -> save

Device flow (§1.4): ``usercode`` -> show ``{auth}/codex/device`` and the code -> poll
``deviceauth/token`` (403/404 = pending) -> exchange the code with the verifier the server
made and ``redirect_uri = {auth}/deviceauth/callback`` -> save.

``OPENAI_CODEX_AUTH_BASE`` points both at another issuer (default ``https://auth.openai.com``).
"""

from __future__ import annotations

import contextlib
import errno
import html
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from litellm_codex import codex_client
from litellm_codex._trust import check_trusted, require_trusted
from litellm_codex.auth import device, pkce
from litellm_codex.auth.records import CodexLogin
from litellm_codex.auth.tokens import codex_identity, jwt_expiry
from litellm_codex.errors import LiteLLMCodexError, LoginError

__all__ = [
    "LoginTimeout",
    "login_browser",
    "login_device",
    "login_from_codex_cli",
    "login_from_tokens",
]

#: How long the browser login waits for the callback by default, seconds.
BROWSER_TIMEOUT = 600.0
#: HTTP timeout of the token endpoint calls.
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

PrintFn = Callable[[str], None]


class LoginTimeout(LoginError):
    """The browser never came back."""


def _issuer(auth_base: str | None) -> str:
    return (auth_base or codex_client.auth_base_from_env() or codex_client.AUTH_BASE).rstrip("/")


def _print(text: str) -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------------------
# Shared: tokens -> record -> store


def login_from_tokens(
    tokens: Mapping[str, str], *, auth_base: str, now: float | None = None
) -> CodexLogin:
    """A :class:`CodexLogin` from a token answer, identity taken from the JWT claims (§1.6)."""
    account_id, email, plan = codex_identity(tokens.get("id_token"), tokens["access_token"])
    return CodexLogin(
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        id_token=tokens.get("id_token"),
        account_id=account_id,
        email=email,
        plan=plan,
        expires_at=jwt_expiry(tokens["access_token"]),
        last_refresh=time.time() if now is None else now,
        auth_base=auth_base,
    )


def _save(store: Any, login: CodexLogin) -> CodexLogin:
    """Save ``login``; then revoke the login it replaces, like Codex does (§1.3).

    The old tokens are revoked only when they were ours: a login imported from the Codex CLI
    is shared with it, and revoking it would log the Codex CLI out too.
    """
    from litellm_codex.auth import codex_refresh

    try:
        previous = codex_refresh.load_login(store)
    except LiteLLMCodexError:
        previous = None  # unreadable: it is being replaced anyway
    codex_refresh.save_login(store, login)
    if (
        previous is not None
        and previous.codex_cli is None
        and previous.refresh_token != login.refresh_token
    ):
        with contextlib.suppress(Exception):  # best effort; never fails a login
            codex_refresh.revoke(previous)
    return login


def _exchange_code(
    http: httpx.Client,
    auth_base: str,
    *,
    code: str,
    redirect_uri: str,
    client_id: str,
    verifier: str,
) -> dict[str, str]:
    """``POST {auth_base}/oauth/token`` (form-encoded ``authorization_code`` grant, §1.3)."""
    form = pkce.build_token_request(
        code=code, redirect_uri=redirect_uri, client_id=client_id, code_verifier=verifier
    )
    try:
        response = http.post(
            f"{auth_base}/oauth/token",
            data=form,
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise LoginError(
            f"code exchange failed: cannot reach {auth_base} ({type(exc).__name__})"
        ) from None
    return pkce.parse_token_response(response.status_code, response.content)


# --------------------------------------------------------------------------------------
# Browser (PKCE) flow

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}}
</style></head><body><h1>{title}</h1><p>{text}</p></body></html>
"""


def _page(title: str, text: str) -> bytes:
    return _PAGE.format(title=html.escape(title), text=html.escape(text)).encode("utf-8")


class _Outcome:
    """What the callback handler hands to the waiting thread."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.success_served = threading.Event()
        self.tokens: dict[str, str] | None = None
        self.error: LoginError | None = None
        self.lock = threading.Lock()
        self.claimed = False

    def claim(self) -> bool:
        """The first callback with our state gets to exchange its code; later ones do not."""
        with self.lock:
            if self.claimed or self.done.is_set():
                return False
            self.claimed = True
            return True

    def finish(self, tokens: dict[str, str] | None, error: LoginError | None) -> bool:
        with self.lock:
            if self.done.is_set():
                return False
            self.tokens, self.error = tokens, error
            self.done.set()
            return True


class _LoopbackServer(ThreadingHTTPServer):
    # Threads: a browser may open a speculative connection and send nothing on it, which
    # would block a one-at-a-time server before the real callback arrives.
    daemon_threads = True
    # SO_REUSEADDR lets us re-bind a port in TIME_WAIT after a previous login; on Windows
    # it would let two servers share a listening port, so it stays off there.
    allow_reuse_address = sys.platform != "win32"


def _make_handler(
    expected_state: str,
    outcome: _Outcome,
    exchange: Callable[[str], dict[str, str]],
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "litellm-codex-login"

        def log_message(self, format: str, *args: Any) -> None:
            return  # the query string holds the authorization code: never log requests

        def _reply(
            self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def do_GET(self) -> None:
            split = urlsplit(self.path)
            if split.path == pkce.CALLBACK_PATH:
                self._callback(parse_qs(split.query))
            elif split.path == "/success":
                self._reply(
                    200,
                    _page(
                        "Signed in to ChatGPT",
                        "litellm-codex has your login. You can close this tab.",
                    ),
                )
                outcome.success_served.set()
            elif split.path == "/cancel":
                # Like the Codex CLI's server: a newer login may ask this one to stop.
                self._reply(200, _page("Cancelled", "This login attempt was cancelled."))
                outcome.finish(None, LoginError("login cancelled by another login attempt"))
            else:
                self._reply(404, _page("Not found", "Nothing here."))

        def _callback(self, query: Mapping[str, list[str]]) -> None:
            if outcome.done.is_set():
                self._reply(400, _page("Already done", "This login attempt is over."))
                return
            try:
                code = pkce.parse_callback(query, expected_state)
            except pkce.CallbackStateError:
                # A stray or forged request: refuse it, keep waiting for the real one.
                self._reply(400, _page("State mismatch", "This request is not ours."))
                return
            except LoginError as exc:
                # Reply first, then finish: finishing wakes the waiting CLI, which shuts this
                # server down, and the browser would get a reset instead of the page.
                self._reply(400, _page("Login failed", exc.message))
                outcome.finish(None, exc)
                return
            if not outcome.claim():
                self._reply(400, _page("Already done", "This login attempt is over."))
                return
            try:
                tokens = exchange(code)
            except LoginError as exc:
                self._reply(500, _page("Login failed", exc.message))
                outcome.finish(None, exc)
                return
            self._reply(302, headers={"Location": "/success"})
            outcome.finish(tokens, None)

    return Handler


def _bind(port: int, handler: type[BaseHTTPRequestHandler]) -> HTTPServer:
    """Bind 127.0.0.1:port; 1455 falls back to 1457 when busy (§1.1); 0 = any free port."""
    ports = [port, pkce.FALLBACK_PORT] if port == pkce.DEFAULT_PORT else [port]
    for candidate in ports:
        try:
            return _LoopbackServer(("127.0.0.1", candidate), handler)
        except OSError as exc:
            if exc.errno not in (
                errno.EADDRINUSE,
                errno.EACCES,
                getattr(errno, "WSAEADDRINUSE", -1),
            ):
                raise LoginError(
                    f"cannot listen on 127.0.0.1:{candidate}: {exc.strerror}"
                ) from None
    raise LoginError(
        f"port {' and '.join(map(str, ports))} on 127.0.0.1 "
        f"{'are' if len(ports) > 1 else 'is'} busy (another login running?); "
        "finish or stop it, or use `--device`"
    )


def login_browser(
    store: Any,
    *,
    auth_base: str | None = None,
    client_id: str = codex_client.CLIENT_ID,
    open_browser: Callable[[str], bool] | None = None,
    print_fn: PrintFn = _print,
    port: int = pkce.DEFAULT_PORT,
    timeout: float = BROWSER_TIMEOUT,
    http: httpx.Client | None = None,
) -> CodexLogin:
    """Log in through the browser (PKCE on a loopback redirect) and save the login.

    Always prints the URL; ``open_browser(url)`` is tried too when given. The server is
    stopped whatever happens. Raises :class:`LoginError` (denied, timed out, exchange
    failed, port busy).
    """
    auth_base = _issuer(auth_base)
    require_trusted("the OpenAI login's issuer", auth_base)
    verifier = pkce.new_verifier()
    state = pkce.new_state()
    outcome = _Outcome()
    client = http or httpx.Client(timeout=HTTP_TIMEOUT, event_hooks={"request": [check_trusted]})
    redirect: dict[str, str] = {}

    def exchange(code: str) -> dict[str, str]:
        return _exchange_code(
            client,
            auth_base,
            code=code,
            redirect_uri=redirect["uri"],
            client_id=client_id,
            verifier=verifier,
        )

    server = _bind(port, _make_handler(state, outcome, exchange))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    try:
        redirect["uri"] = pkce.redirect_uri_for(int(server.server_address[1]))
        url = pkce.build_authorize_url(
            auth_base, client_id, redirect["uri"], pkce.challenge_s256(verifier), state
        )
        thread.start()
        print_fn("Sign in to ChatGPT in your browser. If it does not open, visit this URL:")
        print_fn("")
        print_fn(f"  {url}")
        print_fn("")
        if open_browser is not None:
            with contextlib.suppress(Exception):  # a browser that fails to start is no error
                open_browser(url)
        print_fn("Waiting for the browser to finish the login (Ctrl-C to cancel)...")
        if not outcome.done.wait(timeout):
            raise LoginTimeout(f"no answer from the browser within {timeout:g}s; run again")
        if outcome.error is not None:
            raise outcome.error
        assert outcome.tokens is not None
        # Let the browser fetch /success before the server goes away.
        outcome.success_served.wait(2.0)
        login = login_from_tokens(outcome.tokens, auth_base=auth_base)
    finally:
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        if http is None:
            client.close()
    return _save(store, login)


# --------------------------------------------------------------------------------------
# Device-code flow


def login_device(
    store: Any,
    *,
    auth_base: str | None = None,
    client_id: str = codex_client.CLIENT_ID,
    print_fn: PrintFn = _print,
    on_wait: Callable[[device.Pending], None] | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    http: httpx.Client | None = None,
) -> CodexLogin:
    """Log in with a device code (for machines without a browser) and save the login."""
    auth_base = _issuer(auth_base)
    require_trusted("the OpenAI login's issuer", auth_base)
    sleep = sleep or device.sleeper()
    client = http or httpx.Client(timeout=HTTP_TIMEOUT, event_hooks={"request": [check_trusted]})
    try:
        try:
            response = client.post(
                f"{auth_base}/api/accounts/deviceauth/usercode",
                json=device.build_openai_usercode_request(client_id),
            )
        except httpx.HTTPError as exc:
            raise LoginError(f"cannot reach {auth_base} ({type(exc).__name__})") from None
        code = device.parse_openai_usercode(response.status_code, response.content)
        print_fn("To sign in to ChatGPT, open this page in a browser on any device:")
        print_fn("")
        print_fn(f"  {device.openai_verification_url(auth_base)}")
        print_fn("")
        print_fn(f"and enter the code:  {code.user_code}")
        print_fn("(the code expires in 15 minutes; never share it)")
        print_fn("")
        print_fn("Waiting for you to approve (Ctrl-C to cancel)...")

        def attempt(interval: float) -> device.Pending | device.OpenAIDeviceGrant:
            try:
                answer = client.post(
                    f"{auth_base}/api/accounts/deviceauth/token",
                    json=device.build_openai_token_poll(code),
                )
            except httpx.TransportError:
                return device.Pending(interval)  # a network blip: try again next round
            return device.interpret_openai_poll(answer.status_code, answer.content, interval)

        grant = device.poll(
            attempt,
            interval=code.interval,
            expires_in=device.OPENAI_DEVICE_TIMEOUT,
            sleep=sleep,
            clock=clock,
            on_wait=on_wait,
            expired_message="device login timed out after 15 minutes; run it again",
        )
        tokens = _exchange_code(
            client,
            auth_base,
            code=grant.authorization_code,
            redirect_uri=device.openai_device_redirect_uri(auth_base),
            client_id=client_id,
            verifier=grant.code_verifier,
        )
    finally:
        if http is None:
            client.close()
    return _save(store, login_from_tokens(tokens, auth_base=auth_base))


# --------------------------------------------------------------------------------------
# Import from the Codex CLI


def login_from_codex_cli(
    store: Any,
    codex_home: str | os.PathLike[str] | None = None,
    *,
    auth_base: str | None = None,
) -> CodexLogin:
    """Import the Codex CLI's ChatGPT login and keep it linked (SPEC §3).

    The record points at the Codex CLI's store (:class:`CodexCliLink`), so our refreshes
    are written back there and its refreshes are adopted. Raises
    :class:`~litellm_codex.auth.codex_cli.CodexCliApiKeyMode` when the Codex CLI uses an API
    key, and :class:`LoginError` when there is no login to import.
    """
    from litellm_codex.auth import codex_cli, codex_refresh

    home = codex_cli.codex_home(codex_home)
    found = codex_cli.load_codex_cli(home)
    if found is None:
        where = {
            "file": f"{home / 'auth.json'}",
            "keyring": f'the keyring entry "{codex_cli.KEYRING_SERVICE}" / '
            f"{codex_cli.keyring_account(home)}",
            "auto": f"the keyring or {home / 'auth.json'}",
        }.get(codex_cli.store_mode(home), str(home))
        raise LoginError(
            f"no Codex CLI login found in {where}; run "
            "`codex login` first, or log in directly: `litellm-codex login openai-codex`"
        )
    login, link = found
    # Refreshes go to the issuer we are configured for (OPENAI_CODEX_AUTH_BASE), which is
    # the Codex CLI's too unless both are pointed elsewhere.
    login = login.model_copy(
        update={
            "codex_cli": login.codex_cli or link,
            "auth_base": _issuer(auth_base),
        }
    )
    codex_refresh.save_login(store, login)
    return login
