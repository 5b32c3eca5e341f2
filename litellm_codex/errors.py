"""Errors raised by litellm-codex, and the one place upstream failures become LiteLLM errors.

The package raises two families. Code that runs without LiteLLM (credentials, login flows,
the CLI, the pure cores) raises our own classes; the provider layer turns every failure into
a LiteLLM exception class with :func:`to_litellm`, so Router retries, fallbacks and cooldowns
see the classes they know::

    LiteLLMCodexError                      base of everything we raise ourselves
    ├── CredentialsError                   no usable credentials; the user must act
    │   ├── NotLoggedInError               nothing stored  -> "run `litellm-codex login P`"
    │   ├── LoginExpiredError              refresh token expired / reused / revoked
    │   ├── NoAccessError                  logged in, but the account lacks access (403)
    │   └── StoreError                     the credential store cannot be read or written
    │       └── StoreUnavailableError      a networked store (Redis) is unreachable
    ├── LoginError                         an interactive login failed (denied, expired, ...)
    ├── ConfigurationError                 a parameter or setting we cannot honour
    ├── DeadlineExceeded                   the call's `timeout` ran out (credentials,
    │                                      retries, backoff, connect, headers or body)
    └── UpstreamError                      the upstream API answered with an error
        └── StreamError                    a stream broke: dropped, stalled, malformed,
            │                              ended without a final event, or failed in-band
            └── ResponseTooLarge           a line, event or body above the size limit
                                           (never retried)

:func:`to_litellm` maps them (status codes as the upstream gave them)::

    CredentialsError / 401            -> litellm.AuthenticationError
    NoAccessError / 403               -> litellm.PermissionDeniedError
    StoreUnavailableError             -> litellm.ServiceUnavailableError (503)
    400 context too long              -> litellm.ContextWindowExceededError
    400 / 422 / ConfigurationError    -> litellm.BadRequestError
    404 unknown model                 -> litellm.NotFoundError
    400 "model is not supported"      -> litellm.NotFoundError
    usage_not_included (plan lacks it) -> litellm.PermissionDeniedError (not retryable)
    content-policy refusal            -> litellm.ContentPolicyViolationError (a BadRequestError)
    402 quota / 429                   -> litellm.RateLimitError (reset time in the message)
    408 / idle stream / timeouts      -> litellm.Timeout
    DeadlineExceeded                  -> litellm.Timeout
    ResponseTooLarge                  -> litellm.APIConnectionError (not retried by us)
    500, other 5xx                    -> litellm.InternalServerError
    502 / 503 / 504                   -> litellm.ServiceUnavailableError
    StreamError (no status)           -> litellm.APIConnectionError

Messages never contain secrets: every message built here goes through :func:`redact`.
This module imports LiteLLM lazily, inside :func:`to_litellm`, so the CLI stays fast.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from litellm_codex.provider_names import cli_name

__all__ = [
    "ConfigurationError",
    "CredentialsError",
    "DeadlineExceeded",
    "LiteLLMCodexError",
    "LoginError",
    "LoginExpiredError",
    "NoAccessError",
    "NotLoggedInError",
    "ResponseTooLarge",
    "StoreError",
    "StoreUnavailableError",
    "StreamError",
    "UpstreamError",
    "cli_name",
    "is_model_unavailable",
    "login_command",
    "parse_error_body",
    "redact",
    "to_litellm",
]


def login_command(provider: str, user: str | None = None) -> str:
    """The command a user runs to log in to ``provider`` (as LiteLLM user ``user``)."""
    if user is None:
        return f"litellm-codex login {cli_name(provider)}"
    import shlex

    return f"litellm-codex login {cli_name(provider)} --user {shlex.quote(user)}"


# Bearer tokens, JWTs, GitHub tokens (gho_/ghu_/ghp_/github_pat_), OpenAI keys and Copilot
# tokens (tid=...;exp=...). Anything that looks like one is cut out of messages.
_SECRET_PATTERNS = [
    # "Bearer <token>" / "token <token>": only values that look like tokens (16+ characters
    # with a digit, "_" or "."), so prose such as "token exchange failed" survives.
    re.compile(r"(?i)\b((?:bearer|token)\s+)(?=[A-Za-z0-9._~+/=-]*[0-9_.])[A-Za-z0-9._~+/=-]{16,}"),
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    re.compile(r"\b(gh[opusr]_|github_pat_)[A-Za-z0-9_]{8,}"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"),
    re.compile(r"\btid=[^\s\"',]{8,}"),
    re.compile(
        r"(?i)(\"?(?:access_token|refresh_token|id_token|api_key|code_verifier|device_code)\"?"
        r"\s*[:=]\s*\"?)[^\s\"',&]{4,}"
    ),
]


def redact(text: str) -> str:
    """Replace anything that looks like a credential in ``text`` with ``[redacted]``."""
    for pattern in _SECRET_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
        else:
            text = pattern.sub("[redacted]", text)
    return text


class LiteLLMCodexError(Exception):
    """Base class of every error litellm-codex raises itself."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))

    @property
    def message(self) -> str:
        """The (redacted) message."""
        return str(self.args[0]) if self.args else ""


class CredentialsError(LiteLLMCodexError):
    """No usable credentials: the user has to log in (again) or fix the store."""

    def __init__(self, message: str, *, provider: str) -> None:
        super().__init__(message)
        #: Provider name (``openai-codex`` or ``github_copilot``).
        self.provider = provider


class NotLoggedInError(CredentialsError):
    """Nothing is stored for the provider."""

    def __init__(self, provider: str, detail: str = "", *, user: str | None = None) -> None:
        hint = f"run `{login_command(provider, user)}`"
        whose = f" as LiteLLM user {user!r}" if user is not None else ""
        text = f"not logged in to {cli_name(provider)}{whose}: {hint}"
        super().__init__(f"{text} ({detail})" if detail else text, provider=provider)
        #: The LiteLLM user id whose login is missing (per-user mode), else ``None``.
        self.user = user


class LoginExpiredError(CredentialsError):
    """The stored login can no longer be refreshed (refresh token expired, reused or revoked)."""

    def __init__(self, provider: str, reason: str, *, user: str | None = None) -> None:
        whose = f" of LiteLLM user {user!r}" if user is not None else ""
        super().__init__(
            f"the stored {cli_name(provider)} login{whose} cannot be refreshed "
            f"({reason}); log in again: run `{login_command(provider, user)}`",
            provider=provider,
        )
        #: Why the login is gone, e.g. ``refresh_token_reused``.
        self.reason = reason
        #: The LiteLLM user id of the login (per-user mode), else ``None``.
        self.user = user


class NoAccessError(CredentialsError):
    """Logged in, but the account has no access (e.g. no Copilot seat, Codex not enabled)."""


class StoreError(CredentialsError):
    """The credential store cannot be used (no keyring when forced, unreadable file)."""


class StoreUnavailableError(StoreError):
    """A networked store (Redis) did not answer in time: an outage, not a missing login."""


class LoginError(LiteLLMCodexError):
    """An interactive login did not complete (denied, code expired, timed out, state mismatch)."""


class ConfigurationError(LiteLLMCodexError):
    """A parameter or setting that cannot be honoured; the message names it."""


class DeadlineExceeded(LiteLLMCodexError):
    """The call's deadline (LiteLLM's ``timeout``) passed; ``stage`` says where."""

    def __init__(self, timeout: float, stage: str) -> None:
        super().__init__(
            f"request timed out after {timeout:g}s (the call's `timeout`) while {stage}"
        )
        self.timeout = timeout
        self.stage = stage


class UpstreamError(LiteLLMCodexError):
    """The upstream API answered with an error.

    ``status`` is the HTTP status (``None`` for failures reported inside a stream),
    ``code`` the machine-readable code when the body had one (``usage_limit_reached``,
    ``context_length_exceeded``, ``model_not_supported``...), ``headers`` the response
    headers worth passing on (rate-limit and quota headers, ``retry-after``).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers: dict[str, str] = dict(headers or {})
        #: Seconds until a retry makes sense, when the upstream said so.
        self.retry_after = retry_after


class StreamError(UpstreamError):
    """A stream broke: dropped connection, idle timeout, malformed event, no final event,
    or a failure reported inside the stream (``response.failed`` / ``error``)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        timed_out: bool = False,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, status=status, code=code, headers=headers, retry_after=retry_after
        )
        #: True when the stream was ended by the idle timeout.
        self.timed_out = timed_out


class ResponseTooLarge(StreamError):
    """The upstream sent a line, event or body larger than the configured limit.

    Not retried: the same request would most likely get the same answer. ``setting`` is the
    environment variable that raises the limit.
    """

    def __init__(self, what: str, limit: int, setting: str) -> None:
        super().__init__(
            f"upstream sent {what} larger than {limit:,} bytes; stopped reading "
            f"(raise the limit with {setting})",
            code="response_too_large",
        )
        self.limit = limit
        self.setting = setting


# --------------------------------------------------------------------------------------
# Parsing error bodies (pure)

_CONTEXT_CODES = {"context_length_exceeded", "string_above_max_length"}
_CONTEXT_TEXT = re.compile(
    r"(?i)context[ _](length|window)|maximum context|too many tokens|prompt is too long"
)
#: The plan does not include the service at all: waiting cannot help (not a rate limit).
_NOT_INCLUDED_CODES = {"usage_not_included"}
#: Refusals on content grounds: the request must change (LiteLLM's ContentPolicyViolation).
_POLICY_CODES = {"content_policy_violation", "content_filter", "cyber_policy", "safety_violation"}
_POLICY_TEXT = re.compile(r"(?i)content polic|usage polic|flagged as potentially violating")
#: "The 'gpt-x' model is not supported when using Codex with a ChatGPT account" (400) and
#: "Model not found" (404) (protocols/reference-clients-2026-11.md §1.1).
_MODEL_TEXT = re.compile(r"(?i)model is not supported|model not found|model .* does not exist")
_QUOTA_CODES = {
    "usage_limit_reached",
    "insufficient_quota",
    "quota_exceeded",
    "rate_limit_exceeded",
}
_MODEL_CODES = {"model_not_supported", "model_not_found", "unsupported_model"}
_OVERLOAD_CODES = {"server_is_overloaded", "slow_down", "overloaded"}
#: In-stream codes that mean the request itself is wrong (retrying cannot help).
_BAD_REQUEST_CODES = {
    "invalid_prompt",
    "invalid_request_error",
    "invalid_image",
    "invalid_value",
    "unsupported_value",
    "unsupported_parameter",
}


def parse_error_body(body: bytes | str | Mapping[str, Any] | None) -> tuple[str | None, str]:
    """Return ``(code, message)`` from any of the error body shapes the upstreams use.

    Shapes seen: ``{"detail": "..."}`` and ``{"detail": {"code": ...}}`` (ChatGPT backend
    gates), ``{"error": {"message", "type", "code"}}`` (OpenAI / Copilot),
    ``{"error": "code", "error_description": "..."}`` (OAuth), ``{"message": ...}``
    (GitHub), and plain text.
    """
    data: Any = body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            data = json.loads(body)
        except ValueError:
            text = body.strip()
            return None, text[:500] or "(empty body)"
    if not isinstance(data, Mapping):
        return None, str(data)[:500]

    code: str | None = None
    message = ""
    err = data.get("error")
    if isinstance(err, Mapping):
        code = _first_str(err.get("code"), err.get("type"))
        message = _first_str(err.get("message"), err.get("error_description")) or ""
        # Codex 429 bodies carry `type: usage_limit_reached` and a separate `code`; the type
        # is the more specific of the two.
        if isinstance(err.get("type"), str) and err["type"] in _QUOTA_CODES:
            code = err["type"]
    elif isinstance(err, str):
        code = err
        message = _first_str(data.get("error_description"), data.get("message")) or ""
    detail = data.get("detail")
    if isinstance(detail, str):
        message = message or detail
    elif isinstance(detail, Mapping):
        code = code or _first_str(detail.get("code"))
        message = message or _first_str(detail.get("message")) or ""
    code = code or _first_str(data.get("code"))
    message = message or _first_str(data.get("message")) or (code or json.dumps(data)[:500])
    return code, message


#: "The 'gpt-5.3-codex' model is not supported when using Codex with a ChatGPT account."
#: (codex-chatgpt-backend.md §6), "The requested model is not supported." (github-copilot.md
#: §errors). Not: "Unsupported value: 'low' is not supported with the 'x' model." (a bad
#: parameter value, where a list of models would be beside the point).
_MODEL_UNAVAILABLE = re.compile(
    r"(?i)\bmodel\s+(?:'[^']*'\s+|\"[^\"]*\"\s+)?(?:is\s+)?not\s+(?:supported|available|found)"
    r"|\bmodel\b[^.]{0,40}\bdoes\s+not\s+exist"
)


def is_model_unavailable(err: UpstreamError) -> bool:
    """Whether ``err`` says the *model* is unknown or not available to the account.

    Only then does a hint about available models belong in the message.
    """
    if err.code in _MODEL_CODES:
        return True
    return err.status in (400, 404, None) and bool(_MODEL_UNAVAILABLE.search(err.message))


def _first_str(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value:
            return value
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = lowered.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue
    return None


def upstream_error(
    status: int | None,
    headers: Mapping[str, str] | None,
    body: bytes | str | Mapping[str, Any] | None,
    *,
    prefix: str = "",
) -> UpstreamError:
    """Build an :class:`UpstreamError` from an HTTP error response (pure)."""
    code, message = parse_error_body(body)
    headers = dict(headers or {})
    text = f"{prefix}{message}" if prefix else message
    if status is not None:
        text = f"{text} (HTTP {status}" + (f", {code})" if code else ")")
    retry_after = _retry_after(headers)
    reset = _reset_seconds(body)
    if reset is not None:
        # Codex quota answers say when the window resets (`resets_in_seconds` / `resets_at`,
        # codex-chatgpt-backend.md §4.1); that is the useful retry time.
        retry_after = reset if retry_after is None else retry_after
        text = f"{text}; the limit resets in {_human_seconds(reset)}"
    return UpstreamError(text, status=status, code=code, headers=headers, retry_after=retry_after)


def _reset_seconds(
    body: bytes | str | Mapping[str, Any] | None, now: float | None = None
) -> float | None:
    """Seconds until a quota window resets, from ``resets_in_seconds`` or ``resets_at``."""
    data: Any = body
    if isinstance(data, (bytes, str)):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if not isinstance(data, Mapping):
        return None
    for where in (data.get("error"), data.get("detail"), data):
        if not isinstance(where, Mapping):
            continue
        seconds = where.get("resets_in_seconds")
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            return max(0.0, float(seconds))
        at = where.get("resets_at")
        if isinstance(at, (int, float)) and not isinstance(at, bool):
            import time

            return max(0.0, float(at) - (time.time() if now is None else now))
    return None


def _human_seconds(seconds: float) -> str:
    whole = round(seconds)
    if whole < 120:
        return f"{whole}s"
    minutes, _ = divmod(whole, 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


# --------------------------------------------------------------------------------------
# The one conversion into LiteLLM exception classes


def to_litellm(
    exc: BaseException,
    *,
    provider: str,
    model: str,
    hint: str | None = None,
    caller: bool = False,
) -> Exception:
    """Return the LiteLLM exception that stands for ``exc``.

    LiteLLM exceptions pass through unchanged. ``hint`` is appended to the message (for
    example the list of available models on a 404). ``caller``: the call used the calling
    user's own login (per-user mode, or an error that names a user), so 401s and quota
    errors concern that user alone: they become LiteLLM's caller-credential classes, for
    which the Router does not cool the shared deployment down for everybody.
    """
    import httpx
    import litellm

    if isinstance(exc, tuple(litellm.LITELLM_EXCEPTION_TYPES)):
        return exc  # type: ignore[return-value]
    kw: dict[str, Any] = {"llm_provider": provider, "model": model}
    auth_error: Any = litellm.AuthenticationError
    rate_limit_error: Any = litellm.RateLimitError
    if caller or getattr(exc, "user", None) is not None:
        # LiteLLM >= 1.108 (litellm/exceptions.py); older versions: the plain classes.
        auth_error = getattr(litellm, "CallerCredentialAuthenticationError", auth_error)
        rate_limit_error = getattr(litellm, "CallerCredentialRateLimitError", rate_limit_error)

    def msg(text: str) -> str:
        return redact(f"{text} {hint}" if hint else text)

    if isinstance(exc, NoAccessError):
        return litellm.PermissionDeniedError(
            message=msg(exc.message),
            response=httpx.Response(403, request=_fake_request()),
            **kw,
        )
    if isinstance(exc, StoreUnavailableError):
        return litellm.ServiceUnavailableError(
            message=msg(exc.message),
            response=httpx.Response(503, request=_fake_request()),
            **kw,
        )
    if isinstance(exc, CredentialsError):
        return auth_error(message=msg(exc.message), **kw)  # type: ignore[no-any-return]
    if isinstance(exc, ConfigurationError):
        return litellm.BadRequestError(message=msg(exc.message), **kw)
    if isinstance(exc, (httpx.TimeoutException, TimeoutError, DeadlineExceeded)):
        if isinstance(exc, DeadlineExceeded):
            return litellm.Timeout(message=msg(exc.message), **kw)
        return litellm.Timeout(message=msg(f"request timed out: {exc}"), **kw)
    if isinstance(exc, httpx.TransportError):
        return litellm.APIConnectionError(message=msg(f"connection failed: {exc!r}"), **kw)
    if not isinstance(exc, UpstreamError):
        return litellm.APIConnectionError(message=msg(f"{type(exc).__name__}: {exc}"), **kw)

    status, code, text = exc.status, exc.code, exc.message
    headers = dict(exc.headers)
    if exc.retry_after is not None and not any(k.lower() == "retry-after" for k in headers):
        # Callers (and the Router's cooldown) read the delay from the response headers.
        headers["retry-after"] = str(max(1, round(exc.retry_after)))

    def response(default: int) -> Any:
        # In-stream failures have no HTTP status; give each class its natural one, since
        # LiteLLM decides from the status whether a stream error may fall back.
        return httpx.Response(status or default, headers=headers, request=_fake_request())

    if isinstance(exc, StreamError) and exc.timed_out:
        return litellm.Timeout(message=msg(text), **kw)
    if isinstance(exc, ResponseTooLarge):
        return litellm.APIConnectionError(message=msg(text), **kw)
    if code in _CONTEXT_CODES or (status in (400, 413, None) and _CONTEXT_TEXT.search(text)):
        return litellm.ContextWindowExceededError(message=msg(text), response=response(400), **kw)
    if code in _NOT_INCLUDED_CODES:
        return litellm.PermissionDeniedError(message=msg(text), response=response(403), **kw)
    if code in _POLICY_CODES or (status in (400, None) and _POLICY_TEXT.search(text)):
        return litellm.ContentPolicyViolationError(message=msg(text), **kw)
    if status in (402, 429) or code in _QUOTA_CODES:
        if exc.retry_after is not None and "retry" not in text.lower() and "resets" not in text:
            text = f"{text}; retry after {exc.retry_after:g}s"
        return rate_limit_error(message=msg(text), response=response(429), **kw)  # type: ignore[no-any-return]
    if status == 401:
        return auth_error(message=msg(text), response=response(401), **kw)  # type: ignore[no-any-return]
    if status == 403:
        return litellm.PermissionDeniedError(message=msg(text), response=response(403), **kw)
    if status == 404 or code in _MODEL_CODES or (status == 400 and _MODEL_TEXT.search(text)):
        return litellm.NotFoundError(message=msg(text), response=response(404), **kw)
    if status == 408:
        return litellm.Timeout(message=msg(text), **kw)
    if status is not None and 400 <= status < 500:
        return litellm.BadRequestError(message=msg(text), response=response(400), **kw)
    if status in (502, 503, 504) or code in _OVERLOAD_CODES:
        return litellm.ServiceUnavailableError(message=msg(text), response=response(503), **kw)
    if status is not None and status >= 500:
        return litellm.InternalServerError(message=msg(text), response=response(500), **kw)
    if status is None and code in _BAD_REQUEST_CODES:
        return litellm.BadRequestError(message=msg(text), response=response(400), **kw)
    if code is not None and status is None:
        # A failure the upstream reported inside the stream with a code we do not know:
        # a server-side problem, retryable like a 500 (Codex treats these as retryable).
        return litellm.InternalServerError(message=msg(text), response=response(500), **kw)
    # A stream that broke without a status: dropped connection, no final event, garbage.
    return litellm.APIConnectionError(message=msg(text), **kw)


def _fake_request() -> Any:
    import httpx

    # LiteLLM exception classes want an httpx.Response with a request attached.
    return httpx.Request("POST", "https://litellm-codex.invalid/")
