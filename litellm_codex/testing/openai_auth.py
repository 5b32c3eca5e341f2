"""Simulator of OpenAI's OAuth server as the Codex CLI uses it (browser PKCE, device code).

Mount it on a :class:`~litellm_codex.testing.SimServer` with :func:`install_openai_auth`;
tokens come from an :class:`~litellm_codex.testing._tokens.OpenAIAuthority`, so a Codex
backend simulator sharing that authority accepts them. Routes
(protocols/codex-chatgpt-backend.md §1.2-1.4, §1.7)::

    GET  /oauth/authorize                  a user who approves at once: 302 to
                                           redirect_uri?code=..&state=.. (or error=...)
    POST /oauth/token                      authorization_code (PKCE S256 checked, code
                                           single-use, redirect_uri must match) and
                                           refresh_token (rotating, via the authority);
                                           form or JSON bodies
    POST /oauth/revoke                     RFC 7009: always 200, token revoked
    POST /api/accounts/deviceauth/usercode {device_auth_id, user_code, interval: "<str>"}
    POST /api/accounts/deviceauth/token    403 while pending, then 200 with
                                           {authorization_code, code_verifier, code_challenge}

Scripting: set :attr:`OpenAIAuthSim.deny` (the user refuses), :attr:`missing_entitlement`
(Codex not enabled for the workspace), :attr:`device_pending_polls` (how many 403s before
the device code is approved by itself; ``None``: wait for :meth:`approve_device`),
:attr:`device_enabled`. Faults beyond these go through ``server.script(...)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from litellm_codex.testing._server import Request, Response, SimServer, json_response
from litellm_codex.testing._tokens import OpenAIAuthority

__all__ = ["OpenAIAuthSim", "install_openai_auth"]


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


@dataclass
class _Code:
    """An authorization code waiting to be exchanged."""

    challenge: str
    redirect_uri: str
    client_id: str


@dataclass
class _DeviceAuth:
    user_code: str
    polls: int = 0
    approved: bool = False
    denied: bool = False
    #: Set once the grant was handed out (a second success poll gets the same grant).
    grant: dict[str, str] | None = None


@dataclass
class OpenAIAuthSim:
    """Controller of the OAuth routes: switches, and what the simulator saw."""

    server: SimServer
    authority: OpenAIAuthority
    #: The client id the server accepts.
    client_id: str = "app_EMoamEEZ73f0CkXaXp7hrann"
    #: ``/oauth/authorize`` redirects back with ``error=access_denied``.
    deny: bool = False
    #: ``/oauth/authorize`` answers ``access_denied`` / ``missing_codex_entitlement``.
    missing_entitlement: bool = False
    #: Ports allowed in the loopback redirect URI (``None``: any; the real allow-list is
    #: 1455 and 1457, tests bind ephemeral ports).
    allowed_ports: set[int] | None = None
    #: ``false`` makes ``usercode`` answer 404 ("device code login is not enabled").
    device_enabled: bool = True
    #: Poll interval the device flow advertises, seconds (sent as a string, as OpenAI does).
    device_interval: int = 1
    #: 403 "pending" answers before a device code approves itself (``None``: never).
    device_pending_polls: int | None = 2
    #: Tokens revoked through ``/oauth/revoke``, in order.
    revoked: list[str] = field(default_factory=list)
    #: Successful code exchanges (browser and device).
    code_exchanges: int = 0
    #: Seconds a refresh grant takes (widens the window in which concurrent clients race).
    refresh_delay: float = 0.0
    _codes: dict[str, _Code] = field(default_factory=dict, repr=False)
    _device: dict[str, _DeviceAuth] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- controller ------------------------------------------------------------------

    def approve_device(self) -> None:
        """The user enters every outstanding device code and approves."""
        with self._lock:
            for auth in self._device.values():
                auth.approved = True

    def deny_device(self) -> None:
        """The user refuses every outstanding device code."""
        with self._lock:
            for auth in self._device.values():
                auth.denied = True

    @property
    def device_polls(self) -> int:
        """Token polls received for all device codes."""
        with self._lock:
            return sum(auth.polls for auth in self._device.values())

    # -- routes ----------------------------------------------------------------------

    def _authorize(self, request: Request) -> Response:
        q = {key: values[0] for key, values in request.query.items()}
        if q.get("client_id") != self.client_id:
            return _oauth_error("invalid_client", "unknown client_id")
        redirect_uri = q.get("redirect_uri", "")
        target = urlsplit(redirect_uri)
        if (
            target.scheme != "http"
            # Codex CLI 0.171.0 sends 127.0.0.1, older releases localhost (§1.5).
            or target.hostname not in ("127.0.0.1", "localhost")
            or target.path != "/auth/callback"
            or (self.allowed_ports is not None and target.port not in self.allowed_ports)
        ):
            return _oauth_error("invalid_request", "redirect_uri is not allowed")
        if q.get("response_type") != "code":
            return _oauth_error("unsupported_response_type", "response_type must be code")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return _oauth_error("invalid_request", "PKCE S256 code_challenge required")
        state = q.get("state")
        if not state:
            return _oauth_error("invalid_request", "state required")
        if self.deny or self.missing_entitlement:
            params = {
                "error": "access_denied",
                "error_description": (
                    "missing_codex_entitlement" if self.missing_entitlement else "User denied"
                ),
                "state": state,
            }
        else:
            code = "ac_" + secrets.token_urlsafe(18)
            with self._lock:
                self._codes[code] = _Code(q["code_challenge"], redirect_uri, self.client_id)
            params = {"code": code, "state": state}
        return Response(302, {"location": f"{redirect_uri}?{urlencode(params)}"})

    def _token(self, request: Request) -> Response:
        data = request.data()
        grant = data.get("grant_type")
        if grant == "authorization_code":
            return self._exchange_code(data)
        if grant == "refresh_token":
            if data.get("client_id") not in (None, self.client_id):
                return _oauth_error("invalid_client", "unknown client_id", 401)
            if self.refresh_delay:
                time.sleep(self.refresh_delay)
            status, body = self.authority.refresh(str(data.get("refresh_token") or ""))
            return json_response(body, status)
        return _oauth_error("unsupported_grant_type", f"grant_type {grant!r} not supported")

    def _exchange_code(self, data: dict[str, object]) -> Response:
        code = str(data.get("code") or "")
        with self._lock:
            # Single use: a code is gone after the first attempt, right or wrong.
            pending = self._codes.pop(code, None)
        if pending is None:
            return _oauth_error("invalid_grant", "authorization code is invalid or was used")
        if data.get("client_id") != pending.client_id:
            return _oauth_error("invalid_client", "client_id does not match the code")
        if data.get("redirect_uri") != pending.redirect_uri:
            return _oauth_error("invalid_grant", "redirect_uri does not match")
        verifier = str(data.get("code_verifier") or "")
        if not verifier or not hmac.compare_digest(_s256(verifier), pending.challenge):
            return _oauth_error("invalid_grant", "code_verifier does not match the challenge")
        tokens = self.authority.issue()
        with self._lock:
            self.code_exchanges += 1
        return json_response(
            {**tokens, "token_type": "Bearer", "expires_in": int(self.authority.access_ttl)}
        )

    def _revoke(self, request: Request) -> Response:
        token = str(request.data().get("token") or "")
        if token:
            self.authority.revoke(token)
            with self._lock:
                self.revoked.append(token)
        return json_response({})

    def _usercode(self, request: Request) -> Response:
        if not self.device_enabled:
            return json_response({"detail": "Not Found"}, 404)
        data = request.data()
        if data.get("client_id") != self.client_id:
            return _oauth_error("invalid_client", "unknown client_id")
        device_auth_id = "deviceauth_" + secrets.token_hex(12)
        user_code = f"{secrets.token_hex(2).upper()}-{secrets.token_hex(3).upper()}"
        with self._lock:
            self._device[device_auth_id] = _DeviceAuth(user_code)
        return json_response(
            {
                "device_auth_id": device_auth_id,
                "user_code": user_code,
                # A string, not a number (§1.4: Codex parses it from a string).
                "interval": str(self.device_interval),
            }
        )

    def _device_token(self, request: Request) -> Response:
        data = request.data()
        device_auth_id = str(data.get("device_auth_id") or "")
        with self._lock:
            auth = self._device.get(device_auth_id)
            if auth is None or data.get("user_code") != auth.user_code:
                return _oauth_error("invalid_request", "unknown device authorization")
            auth.polls += 1
            if auth.denied:
                return _oauth_error("access_denied", "the user denied the request", 401)
            if self.device_pending_polls is not None and auth.polls > self.device_pending_polls:
                auth.approved = True
            if not auth.approved:
                # 403 = "not yet": what the real server answers while the user types.
                return json_response(
                    {"error": {"code": "deviceauth_pending", "message": "pending"}}, 403
                )
            if auth.grant is None:
                verifier = base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()
                code = "ac_" + secrets.token_urlsafe(18)
                # The exchange must name {issuer}/deviceauth/callback; the issuer is
                # whatever host the client reached us on.
                host = request.headers.get("host") or urlsplit(self.server.url).netloc
                self._codes[code] = _Code(
                    _s256(verifier), f"http://{host}/deviceauth/callback", self.client_id
                )
                auth.grant = {
                    "authorization_code": code,
                    "code_challenge": _s256(verifier),
                    "code_verifier": verifier,
                }
            return json_response(dict(auth.grant))


def install_openai_auth(server: SimServer, authority: OpenAIAuthority) -> OpenAIAuthSim:
    """Serve the OAuth routes on ``server`` (started or not) and return their controller."""
    sim = OpenAIAuthSim(server=server, authority=authority, client_id=authority.client_id)
    server.route("GET", "/oauth/authorize", sim._authorize)
    server.route("POST", "/oauth/token", sim._token)
    server.route("POST", "/oauth/revoke", sim._revoke)
    server.route("POST", "/api/accounts/deviceauth/usercode", sim._usercode)
    server.route("POST", "/api/accounts/deviceauth/token", sim._device_token)
    return sim
