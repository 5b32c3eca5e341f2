"""Simulator of GitHub's device flow and Copilot token exchange.

Mount it with :func:`install_github`; GitHub and Copilot tokens come from a
:class:`~litellm_codex.testing._tokens.GitHubAuthority`, so a Copilot chat simulator sharing
it accepts the exchanged tokens. In production the device flow lives on ``github.com`` and
the exchange on ``api.github.com`` (``<domain>`` / ``api.<domain>`` for GHE.com); their
paths do not collide, so one server plays both (protocols/github-copilot.md §1-2)::

    POST /login/device/code           {device_code, user_code, verification_uri,
                                       expires_in, interval}; form-encoded when the
                                       client did not send Accept: application/json
    POST /login/oauth/access_token    scripted: authorization_pending / slow_down /
                                      expired_token / access_denied, then the token
    GET  /login/device                a page for humans (nothing to do)
    GET  /copilot_internal/v2/token   Authorization: token <gh> -> authority.exchange
                                      (404 for direct-mode tokens: the Copilot CLI app's)
    GET  /copilot_internal/user       Authorization: Bearer <gh> -> {login, endpoints.api}
    GET  /user                        {login, id, ...}

Scripting :attr:`GitHubSim.poll_script`: each poll takes the next entry
(``"authorization_pending"``, ``"slow_down"``, ``"expired_token"``, ``"access_denied"``,
``"success"``, or any other error code); when it is empty the login succeeds (or stays
pending, with :attr:`GitHubSim.auto_approve` off, until :meth:`GitHubSim.approve`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from litellm_codex.testing._server import Request, Response, SimServer, json_response
from litellm_codex.testing._tokens import GitHubAuthority

__all__ = ["COPILOT_CLIENT_ID", "COPILOT_CLI_CLIENT_ID", "GitHubSim", "install_github"]

#: The Copilot editor GitHub App (protocols/github-copilot.md §1.1): its tokens are exchanged.
COPILOT_CLIENT_ID = "Iv1.b507a08c87ecfe98"
#: The Copilot CLI's OAuth app (reference-clients-2026-11.md §2): the exchange refuses its
#: tokens; they are used directly (``copilot_internal/user`` names the API host).
COPILOT_CLI_CLIENT_ID = "Ov23ctDVkRmgkPke0Mmm"

_DESCRIPTIONS = {
    "authorization_pending": "The authorization request is still pending.",
    "slow_down": "Too many requests have been made in the same timeframe.",
    "expired_token": "The device_code has expired.",
    "access_denied": "The authorization request was denied.",
    "incorrect_device_code": "The device_code provided is not valid.",
    "unsupported_grant_type": "The grant type is not supported.",
}


@dataclass
class _DeviceCode:
    client_id: str
    interval: int
    deadline: float
    polls: int = 0
    done: bool = False


@dataclass
class GitHubSim:
    """Controller of the GitHub routes: switches, and what the simulator saw."""

    server: SimServer
    authority: GitHubAuthority
    #: What the next polls answer, in order (see the module docstring).
    poll_script: deque[str] = field(
        default_factory=lambda: deque(["authorization_pending", "authorization_pending"])
    )
    #: With an empty script: ``True`` grants the token, ``False`` stays pending.
    auto_approve: bool = True
    #: HTTP status of error answers while polling (GitHub sends 200; some docs say 400).
    poll_error_status: int = 200
    #: ``interval`` advertised with the device code, seconds (GitHub: 5).
    interval: int = 1
    #: ``expires_in`` of device codes, seconds; a poll after it answers ``expired_token``.
    expires_in: int = 900
    #: ``slow_down`` answers name the new interval (old + 5); ``False``: they do not.
    slow_down_names_interval: bool = True
    #: Client ids accepted by ``/login/device/code`` (``None``: any).
    client_ids: set[str] | None = None
    #: The client ids that asked for device codes, in order.
    device_code_clients: list[str] = field(default_factory=list)
    clock: Callable[[], float] = time.monotonic
    _codes: dict[str, _DeviceCode] = field(default_factory=dict, repr=False)
    _approved: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- controller ------------------------------------------------------------------

    def approve(self) -> None:
        """The user entered the code: the next poll after the script gets the token."""
        with self._lock:
            self._approved = True

    def script_polls(self, *answers: str) -> None:
        """Replace the poll script."""
        with self._lock:
            self.poll_script = deque(answers)

    @property
    def polls(self) -> int:
        """Token polls received."""
        with self._lock:
            return sum(code.polls for code in self._codes.values())

    # -- routes ----------------------------------------------------------------------

    def _device_code(self, request: Request) -> Response:
        data = request.data()
        client_id = str(data.get("client_id") or "")
        if not client_id or (self.client_ids is not None and client_id not in self.client_ids):
            return json_response({"error": "Not Found"}, 404)
        device_code = secrets.token_hex(20)
        user_code = f"{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}"
        with self._lock:
            self.device_code_clients.append(client_id)
            self._codes[device_code] = _DeviceCode(
                client_id, self.interval, self.clock() + self.expires_in
            )
        base = f"http://{request.headers.get('host')}" if request.headers.get("host") else ""
        answer = {
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": f"{base}/login/device",
            "expires_in": self.expires_in,
            "interval": self.interval,
        }
        if "application/json" not in (request.headers.get("accept") or ""):
            # What GitHub does without `Accept: application/json` (§1.2).
            return Response(
                200,
                {"content-type": "application/x-www-form-urlencoded"},
                urlencode(answer).encode(),
            )
        return json_response(answer)

    def _error(self, error: str, **extra: object) -> Response:
        body: dict[str, object] = {
            "error": error,
            "error_description": _DESCRIPTIONS.get(error, error),
            "error_uri": "https://docs.github.com/developers/apps/authorizing-oauth-apps",
            **extra,
        }
        return json_response(body, self.poll_error_status)

    def _access_token(self, request: Request) -> Response:
        data = request.data()
        if data.get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code":
            return self._error("unsupported_grant_type")
        with self._lock:
            code = self._codes.get(str(data.get("device_code") or ""))
            if code is None or code.done or data.get("client_id") != code.client_id:
                return self._error("incorrect_device_code")
            code.polls += 1
            if self.clock() > code.deadline:
                code.done = True
                return self._error("expired_token")
            answer = self.poll_script.popleft() if self.poll_script else None
            if answer is None:
                answer = (
                    "success"
                    if (self.auto_approve or self._approved)
                    else ("authorization_pending")
                )
            if answer == "slow_down":
                code.interval += 5
                if self.slow_down_names_interval:
                    return self._error("slow_down", interval=code.interval)
                return self._error("slow_down")
            if answer in ("expired_token", "access_denied"):
                code.done = True
            if answer != "success":
                return self._error(answer)
            code.done = True
        token = self.authority.issue_github_token(direct=code.client_id == COPILOT_CLI_CLIENT_ID)
        return json_response({"access_token": token, "token_type": "bearer", "scope": "read:user"})

    def _device_page(self, request: Request) -> Response:
        return Response(200, {"content-type": "text/html"}, b"<h1>Enter your code</h1>")

    def _github_token(self, request: Request) -> str | None:
        auth = request.headers.get("authorization") or ""
        scheme, _, token = auth.partition(" ")
        # Copilot clients send `token <gh>`; `Bearer` works too (§2.1).
        if scheme.lower() in ("token", "bearer") and token.strip():
            return token.strip()
        return None

    def _authenticated(
        self, request: Request, answer: Callable[[str], tuple[int, Any]]
    ) -> Response:
        """``answer(github_token)`` as JSON, or GitHub's 401 when the request has no token."""
        token = self._github_token(request)
        if token is None:
            return json_response(
                {
                    "message": "Requires authentication",
                    "documentation_url": "https://docs.github.com/rest",
                },
                401,
            )
        status, body = answer(token)
        return json_response(body, status)

    def _copilot_token(self, request: Request) -> Response:
        return self._authenticated(request, self.authority.exchange)

    def _copilot_user(self, request: Request) -> Response:
        return self._authenticated(request, self.authority.copilot_user)

    def _user(self, request: Request) -> Response:
        token = self._github_token(request)
        user = self.authority.check_github(token) if token else None
        if user is None:
            return json_response(
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
                401,
            )
        return json_response(
            {"login": user.login, "id": user.user_id, "type": "User", "name": user.login.title()}
        )


def install_github(server: SimServer, authority: GitHubAuthority) -> GitHubSim:
    """Serve the GitHub routes on ``server`` (started or not) and return their controller."""
    sim = GitHubSim(server=server, authority=authority)
    server.route("POST", "/login/device/code", sim._device_code)
    server.route("POST", "/login/oauth/access_token", sim._access_token)
    server.route("GET", "/login/device", sim._device_page)
    server.route("GET", "/copilot_internal/v2/token", sim._copilot_token)
    server.route("GET", "/copilot_internal/user", sim._copilot_user)
    server.route("GET", "/user", sim._user)
    return sim
