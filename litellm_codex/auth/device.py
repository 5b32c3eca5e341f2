"""The pure steps of the device-code logins: GitHub's (RFC 8628) and OpenAI's variant.

Builders return request bodies, parsers interpret answers, and :func:`poll` runs the
waiting loop with an injected ``sleep`` and ``clock``; the drivers
(:mod:`~litellm_codex.auth.login_github`, :mod:`~litellm_codex.auth.login_openai`) only
send requests. Nothing here touches the network.

GitHub (protocols/github-copilot.md §1.2-1.3)::

    POST {github}/login/device/code        {client_id, scope}  -> GitHubDeviceCode
    POST {github}/login/oauth/access_token {client_id, device_code, grant_type}
         error=authorization_pending  -> Pending(interval)
         error=slow_down              -> Pending(body interval, else interval + 5)
         error=expired_token          -> LoginError("code expired, run the login again")
         error=access_denied          -> LoginError("cancelled")
         access_token=...             -> the token
    The body is parsed whatever the HTTP status (GitHub answers 200 with an error body;
    some documents say 400).

OpenAI (protocols/codex-chatgpt-backend.md §1.4)::

    POST {issuer}/api/accounts/deviceauth/usercode {client_id}  -> OpenAIDeviceCode
         (``interval`` is a *string*; 404 = device login not enabled)
    POST {issuer}/api/accounts/deviceauth/token {device_auth_id, user_code}
         403 / 404 -> Pending; 200 -> OpenAIDeviceGrant (authorization code + the PKCE
         verifier the server generated); then the normal code exchange with
         redirect_uri = {issuer}/deviceauth/callback.

Test mode (:mod:`litellm_codex.settings`): with ``LITELLM_CODEX_TESTING_FAST=1`` in the
environment, :func:`sleeper` caps every wait at 50 ms, so simulators can demand realistic
intervals and tests still finish at once (like stamina's testing mode).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs

from litellm_codex import settings
from litellm_codex.errors import LoginError, parse_error_body

__all__ = [
    "DEVICE_GRANT_TYPE",
    "OPENAI_DEVICE_TIMEOUT",
    "TESTING_FAST_ENV",
    "GitHubDeviceCode",
    "OpenAIDeviceCode",
    "OpenAIDeviceGrant",
    "Pending",
    "build_github_device_code_request",
    "build_github_token_poll",
    "build_openai_token_poll",
    "build_openai_usercode_request",
    "interpret_github_poll",
    "interpret_openai_poll",
    "openai_device_redirect_uri",
    "openai_verification_url",
    "parse_github_device_code",
    "parse_openai_usercode",
    "poll",
    "sleeper",
]

T = TypeVar("T")

DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
#: Env switch of the test mode (see the module docstring).
TESTING_FAST_ENV = "LITELLM_CODEX_TESTING_FAST"
#: The Codex CLI gives up on a device code after 15 minutes (§1.4).
OPENAI_DEVICE_TIMEOUT = 15 * 60.0
#: RFC 8628 §3.2 default when the server names no interval; GitHub's default too.
DEFAULT_INTERVAL = 5.0
#: RFC 8628 §3.5: ``slow_down`` adds 5 seconds when the server does not name the interval.
SLOW_DOWN_STEP = 5.0
#: Never poll faster than this, whatever a server says (ZED clamps to 1 s as well).
MIN_INTERVAL = 1.0


@dataclass(frozen=True)
class Pending:
    """Not yet: poll again after ``interval`` seconds."""

    interval: float
    #: ``True`` when the server asked us to slow down (for progress output).
    slowed: bool = False


# --------------------------------------------------------------------------------------
# Helpers


def _load(body: bytes | str | Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The body as a mapping: JSON, else form-encoded (GitHub without ``Accept``), else None."""
    if isinstance(body, Mapping):
        return body
    if body is None:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        # GitHub answers form-encoded when the client forgot ``Accept: application/json``.
        # Form bodies have no raw whitespace (spaces are `+`); HTML and plain text do.
        text = text.strip()
        if "=" not in text or any(ch.isspace() or ch in "<>{}" for ch in text):
            return None
        form = parse_qs(text, keep_blank_values=True)
        return {key: values[0] for key, values in form.items()}
    return data if isinstance(data, Mapping) else None


def _seconds(value: Any, default: float) -> float:
    """A number of seconds given as a number or a numeric string (OpenAI sends strings)."""
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return default
    return default


def _interval(value: Any, default: float = DEFAULT_INTERVAL) -> float:
    return max(MIN_INTERVAL, _seconds(value, default))


def _str(data: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None


# --------------------------------------------------------------------------------------
# GitHub


@dataclass(frozen=True)
class GitHubDeviceCode:
    """GitHub's answer to ``POST /login/device/code``."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    #: Lifetime of the device code, seconds: the overall deadline of the login.
    expires_in: float
    #: Minimum seconds between polls.
    interval: float
    verification_uri_complete: str | None = None


def build_github_device_code_request(client_id: str, scope: str = "read:user") -> dict[str, str]:
    """Body of ``POST {github}/login/device/code`` (send with ``Accept: application/json``)."""
    return {"client_id": client_id, "scope": scope}


def parse_github_device_code(
    status: int, body: bytes | str | Mapping[str, Any] | None
) -> GitHubDeviceCode:
    """Interpret the device-code answer (JSON, or form-encoded if ``Accept`` was lost)."""
    data = _load(body)
    if not 200 <= status < 300 or data is None or "device_code" not in data:
        code, message = parse_error_body(body if data is None else data)
        if code == "device_flow_disabled":
            message = "device flow is disabled for this GitHub app or server"
        raise LoginError(f"GitHub device login could not start (HTTP {status}): {message}")
    device_code = _str(data, "device_code")
    user_code = _str(data, "user_code")
    uri = _str(data, "verification_uri", "verification_url")
    if not device_code or not user_code or not uri:
        raise LoginError("GitHub device login could not start: incomplete device-code answer")
    return GitHubDeviceCode(
        device_code=device_code,
        user_code=user_code,
        verification_uri=uri,
        expires_in=_seconds(data.get("expires_in"), 900.0),
        interval=_interval(data.get("interval")),
        verification_uri_complete=_str(data, "verification_uri_complete"),
    )


def build_github_token_poll(client_id: str, device_code: str) -> dict[str, str]:
    """Body of ``POST {github}/login/oauth/access_token`` while polling."""
    return {"client_id": client_id, "device_code": device_code, "grant_type": DEVICE_GRANT_TYPE}


_GITHUB_FATAL = {
    "unsupported_grant_type": "unsupported grant type",
    "incorrect_client_credentials": "the client id is not accepted",
    "incorrect_device_code": "the device code is not valid",
    "device_flow_disabled": "device flow is disabled for this GitHub app or server",
}


def interpret_github_poll(
    status: int, body: bytes | str | Mapping[str, Any] | None, interval: float
) -> Pending | str:
    """Interpret one poll answer: :class:`Pending` or the GitHub token.

    Raises :class:`LoginError` when the login is over without a token (expired code,
    cancelled by the user, misconfiguration).
    """
    data = _load(body)
    if data is not None:
        token = _str(data, "access_token")
        if token and 200 <= status < 300:
            return token
        error = _str(data, "error")
        if error == "authorization_pending":
            return Pending(interval)
        if error == "slow_down":
            # "The error response includes the new interval that you must use" (GitHub
            # docs); when it does not, RFC 8628 says add 5 seconds.
            new = data.get("interval")
            return Pending(
                _interval(new) if new is not None else interval + SLOW_DOWN_STEP, slowed=True
            )
        if error == "expired_token" or error == "token_expired":
            raise LoginError("the GitHub login code expired before it was entered; run again")
        if error == "access_denied":
            raise LoginError("the GitHub login was cancelled (access denied)")
        if error:
            reason = _GITHUB_FATAL.get(error) or _str(data, "error_description") or error
            raise LoginError(f"GitHub login failed: {reason} ({error})")
    if status >= 500 or status == 429:
        # A transient server failure mid-login: keep polling until the code's deadline.
        return Pending(interval)
    raise LoginError(f"GitHub login failed: unexpected answer while polling (HTTP {status})")


# --------------------------------------------------------------------------------------
# OpenAI


@dataclass(frozen=True)
class OpenAIDeviceCode:
    """OpenAI's answer to ``POST /api/accounts/deviceauth/usercode``."""

    device_auth_id: str = field(repr=False)
    user_code: str
    interval: float


@dataclass(frozen=True)
class OpenAIDeviceGrant:
    """OpenAI's answer once the user approved: an authorization code plus the PKCE pair
    the server generated (the client never saw a verifier of its own)."""

    authorization_code: str = field(repr=False)
    code_verifier: str = field(repr=False)
    code_challenge: str | None = field(default=None, repr=False)


def openai_verification_url(issuer: str) -> str:
    """Where the user enters the code."""
    return f"{issuer.rstrip('/')}/codex/device"


def openai_device_redirect_uri(issuer: str) -> str:
    """The redirect URI the device flow's code exchange must name (§1.4 step 4)."""
    return f"{issuer.rstrip('/')}/deviceauth/callback"


def build_openai_usercode_request(client_id: str) -> dict[str, str]:
    """JSON body of ``POST {issuer}/api/accounts/deviceauth/usercode``."""
    return {"client_id": client_id}


def parse_openai_usercode(
    status: int, body: bytes | str | Mapping[str, Any] | None
) -> OpenAIDeviceCode:
    """Interpret the user-code answer."""
    if status == 404:
        raise LoginError(
            "device code login is not enabled for this server; "
            "use the browser login (`litellm-codex login openai-codex`)"
        )
    data = _load(body)
    if not 200 <= status < 300 or data is None:
        _code, message = parse_error_body(body if data is None else data)
        raise LoginError(f"device login could not start (HTTP {status}): {message}")
    device_auth_id = _str(data, "device_auth_id")
    # Both spellings occur (Codex accepts `user_code` and `usercode`).
    user_code = _str(data, "user_code", "usercode")
    if not device_auth_id or not user_code:
        raise LoginError("device login could not start: incomplete user-code answer")
    return OpenAIDeviceCode(
        device_auth_id=device_auth_id,
        user_code=user_code,
        interval=_interval(data.get("interval")),
    )


def build_openai_token_poll(code: OpenAIDeviceCode) -> dict[str, str]:
    """JSON body of ``POST {issuer}/api/accounts/deviceauth/token``."""
    return {"device_auth_id": code.device_auth_id, "user_code": code.user_code}


def interpret_openai_poll(
    status: int, body: bytes | str | Mapping[str, Any] | None, interval: float
) -> Pending | OpenAIDeviceGrant:
    """Interpret one poll answer: 403/404 mean "not yet" (§1.4), 2xx carries the grant."""
    if status in (403, 404):
        return Pending(interval)
    data = _load(body)
    if not 200 <= status < 300:
        _code, message = parse_error_body(body if data is None else data)
        raise LoginError(f"device login failed (HTTP {status}): {message}")
    if data is None:
        raise LoginError("device login failed: the answer is not JSON")
    authorization_code = _str(data, "authorization_code")
    verifier = _str(data, "code_verifier")
    if not authorization_code or not verifier:
        raise LoginError("device login failed: the answer lacks the authorization code")
    return OpenAIDeviceGrant(
        authorization_code=authorization_code,
        code_verifier=verifier,
        code_challenge=_str(data, "code_challenge"),
    )


# --------------------------------------------------------------------------------------
# The waiting loop


def sleeper(env: Mapping[str, str] | None = None) -> Callable[[float], None]:
    """``time.sleep``, or a capped version in test mode (``LITELLM_CODEX_TESTING_FAST=1``)."""
    found = settings.current() if env is None else settings.Settings.from_env(env)
    if found.testing_fast:
        return lambda seconds: time.sleep(found.wait(seconds))
    return time.sleep


def poll(
    attempt: Callable[[float], Pending | T],
    *,
    interval: float,
    expires_in: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    on_wait: Callable[[Pending], None] | None = None,
    expired_message: str = "the login code expired before it was approved; run the login again",
) -> T:
    """Wait ``interval``, call ``attempt(interval)``, repeat while it answers :class:`Pending`.

    The first poll also waits: nobody approves a code within a second of seeing it, and
    it keeps us clear of ``slow_down``. Gives up with :class:`LoginError`
    (``expired_message``) once ``expires_in`` seconds have passed on ``clock``.
    """
    deadline = clock() + expires_in
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            raise LoginError(expired_message)
        # Near the deadline, poll one last time right at it rather than give up early.
        sleep(min(interval, remaining))
        result = attempt(interval)
        if not isinstance(result, Pending):
            return result
        interval = result.interval
        if on_wait is not None:
            on_wait(result)
