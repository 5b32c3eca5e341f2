"""Pure token logic: JWT claims, expiry, refresh timing, refresh-failure classification.

Nothing here does I/O or reads a clock; callers pass ``now``. The credential managers in
:mod:`litellm_codex.auth.codex_refresh` and :mod:`litellm_codex.auth.copilot_exchange` are
thin drivers around these functions, so the decisions can be tested table by table.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, Literal

__all__ = [
    "AUTH_CLAIM",
    "PROFILE_CLAIM",
    "REFRESH_INTERVAL",
    "REFRESH_WINDOW",
    "RefreshFailure",
    "classify_refresh_failure",
    "codex_identity",
    "copilot_token_due",
    "decode_jwt_claims",
    "jwt_expiry",
    "needs_refresh",
    "refresh_error_code",
]

#: Claim object holding the ChatGPT account id and plan (protocols/codex-chatgpt-backend.md §1.6).
AUTH_CLAIM = "https://api.openai.com/auth"
#: Claim object holding the e-mail when it is not a root claim (same section).
PROFILE_CLAIM = "https://api.openai.com/profile"

#: Refresh when the access token expires within this many seconds: the newest Codex CLI
#: uses a 5-minute window (protocols/codex-chatgpt-backend.md §1.7, "When to refresh").
REFRESH_WINDOW = 300.0
#: Without an ``exp`` claim, refresh when the last refresh is older than 8 days (the old
#: Codex rule, ``TOKEN_REFRESH_INTERVAL``; same section).
REFRESH_INTERVAL = 8 * 24 * 3600.0

RefreshFailure = Literal["permanent", "transient"]

#: Refresh error codes that mean the refresh token is gone for good
#: (``classify_refresh_token_failure``; §1.7 "Failure classification"). ``invalid_grant`` is
#: the RFC 6749 spelling of the same thing; Codex does not list it (our inference).
_PERMANENT_CODES = frozenset(
    {
        "refresh_token_expired",
        "refresh_token_reused",
        "refresh_token_invalidated",
        "invalid_grant",
    }
)


def decode_jwt_claims(token: object) -> dict[str, Any]:
    """The claims (payload) of a JWT, without checking the signature.

    Codex requires three non-empty segments and a base64url payload without padding
    (§1.6); we accept padding too. Raises :class:`ValueError` on anything malformed. The
    message never contains the token.
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or not all(parts):
        raise ValueError("not a JWT: expected three non-empty segments")
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not a JWT: payload is not base64url JSON") from exc
    if not isinstance(claims, dict):
        raise ValueError("not a JWT: payload is not a JSON object")
    return claims


def _claims_or_empty(token: str | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return decode_jwt_claims(token)
    except ValueError:
        return {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _sub(claims: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = claims.get(key)
    return value if isinstance(value, Mapping) else {}


def codex_identity(
    id_token: str | None, access_token: str | None
) -> tuple[str | None, str | None, str | None]:
    """``(account_id, email, plan)`` from a ChatGPT login's tokens (§1.6).

    - account id: ``https://api.openai.com/auth``.``chatgpt_account_id``, id token first;
    - e-mail: root ``email``, else ``https://api.openai.com/profile``.``email``, id token first;
    - plan: ``chatgpt_plan_type``, access token first (Codex's login page reads the plan
      from the access token, §1.2 / ``compose_success_url``).

    Malformed tokens contribute nothing; missing values are ``None``.
    """
    id_claims = _claims_or_empty(id_token)
    access_claims = _claims_or_empty(access_token)

    account_id = None
    email = None
    for claims in (id_claims, access_claims):
        account_id = account_id or _str(_sub(claims, AUTH_CLAIM).get("chatgpt_account_id"))
        email = email or _str(claims.get("email")) or _str(_sub(claims, PROFILE_CLAIM).get("email"))
    plan = None
    for claims in (access_claims, id_claims):
        plan = plan or _str(_sub(claims, AUTH_CLAIM).get("chatgpt_plan_type"))
    return account_id, email, plan


def jwt_expiry(token: str | None) -> float | None:
    """The ``exp`` claim (Unix seconds) of a JWT, or ``None`` if absent or malformed."""
    exp = _claims_or_empty(token).get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    return float(exp)


def needs_refresh(
    expires_at: float | None,
    last_refresh: float | None,
    now: float,
    window: float = REFRESH_WINDOW,
) -> bool:
    """Whether a ChatGPT access token should be refreshed before use.

    With a known expiry: refresh iff ``expires_at <= now + window``, and the expiry wins
    over the age (an ``exp`` one hour ahead with a 9-day-old ``last_refresh`` is *not*
    refreshed; Codex's ``auth_refresh.rs`` tests, §1.7). Without one: refresh when the last
    refresh is more than 8 days old, or unknown.
    """
    if expires_at is not None:
        return expires_at <= now + window
    if last_refresh is not None:
        return now - last_refresh > REFRESH_INTERVAL
    return True


def refresh_error_code(body: bytes | str | Mapping[str, Any] | None) -> str | None:
    """The error code of a token-endpoint error body: ``error.code``, the ``error`` string,
    or a top-level ``code`` (the places Codex looks, §1.7)."""
    data: Any = body
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if not isinstance(data, Mapping):
        return None
    error = data.get("error")
    if isinstance(error, Mapping):
        code = _str(error.get("code"))
        if code:
            return code
    elif _str(error):
        return str(error)
    return _str(data.get("code"))


def classify_refresh_failure(
    status: int, body: bytes | str | Mapping[str, Any] | None
) -> tuple[RefreshFailure, str]:
    """Classify a failed refresh: ``("permanent" | "transient", reason)``.

    Permanent (log in again; never resend this refresh token): HTTP 401, or one of the
    codes ``refresh_token_expired`` / ``refresh_token_reused`` / ``refresh_token_invalidated``
    (or OAuth's ``invalid_grant``) at any status. Everything else, e.g. a 500 with
    ``{"error": "temporary-failure"}``, is transient. ``reason`` is the error code when the
    body has one, else ``http_<status>``.
    """
    code = refresh_error_code(body)
    reason = code or f"http_{status}"
    if status == 401 or code in _PERMANENT_CODES:
        return "permanent", reason
    return "transient", reason


def copilot_token_due(
    expires_at: float | None,
    refresh_in: float | None,
    obtained_at: float,
    now: float,
    margin: float = 60.0,
) -> bool:
    """Whether a cached Copilot token should be exchanged again before use.

    Due ``margin`` seconds before the server's ``refresh_in`` elapses (counted from when we
    got the token on our clock, so server clock skew does not matter: VS Code does the
    same, protocols/github-copilot.md §2.3), or ``margin`` seconds before ``expires_at``,
    whichever comes first. For very short lifetimes the margin shrinks to half the
    lifetime, so a token is never due the moment it arrives.
    """
    deadlines = []
    if refresh_in is not None:
        deadlines.append(obtained_at + refresh_in - min(margin, refresh_in / 2))
    if expires_at is not None:
        lifetime = max(expires_at - obtained_at, 0.0)
        deadlines.append(expires_at - min(margin, lifetime / 2))
    if not deadlines:
        return False
    return now >= min(deadlines)
