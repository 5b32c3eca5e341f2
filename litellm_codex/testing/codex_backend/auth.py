"""Who may call the Codex backend: the bearer token and the ``ChatGPT-Account-ID`` checks,
with the ChatGPT backend's 401 / 403 bodies."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

from litellm_codex.testing._tokens import Account, OpenAIAuthority
from litellm_codex.testing.codex_backend.events import JSON
from litellm_codex.testing.codex_backend.validation import Problem

__all__ = ["TOKEN_EXPIRED", "UNAUTHORIZED", "authenticate"]

#: The ChatGPT backend's expired-token answer (acheong08/ChatGPT#29,
#: rawandahmad698/PyChatGPT#85): ``{"detail": {...code: token_expired}}``.
TOKEN_EXPIRED: JSON = {
    "detail": {
        "message": "Your authentication token has expired. Please try signing in again.",
        "type": "invalid_request_error",
        "param": None,
        "code": "token_expired",
    }
}
#: An unknown token: the Codex backend answers a bare ``{"detail": "Unauthorized"}``
#: (openai/codex#41973).
UNAUTHORIZED: JSON = {"detail": "Unauthorized"}


def _jwt_claims(token: str) -> JSON | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def authenticate(
    authority: OpenAIAuthority,
    headers: Mapping[str, str],
    *,
    require_account_header: bool = True,
) -> tuple[Account | None, Problem | None]:
    """Check the auth headers: ``(account, None)`` or ``(None, (status, body))``.

    - no/garbled ``Authorization: Bearer`` or a token the authority never issued: 401
      ``{"detail": "Unauthorized"}`` (openai/codex#41973);
    - an issued token that expired or was revoked: 401 ``{"detail": {... "code":
      "token_expired"}}`` (the ChatGPT backend's shape);
    - ``ChatGPT-Account-ID`` missing (when ``require_account_header``) or not the token's
      account: 403 ``{"detail": {"code": "account_mismatch", ...}}`` (simulator decision:
      the real answer is not documented).

    ``originator``, ``User-Agent`` and ``session-id`` are not required (the real service
    tolerates their absence, §2.1) but are recorded with every request.
    """
    auth = headers.get("authorization") or ""
    scheme, _, token = auth.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None, (401, UNAUTHORIZED)
    account = authority.check_access(token)
    if account is None:
        claims = _jwt_claims(token)
        if claims is not None and claims.get("iss") == authority.issuer:
            return None, (401, TOKEN_EXPIRED)
        return None, (401, UNAUTHORIZED)
    account_header = headers.get("chatgpt-account-id")
    if (account_header is None and require_account_header) or (
        account_header is not None and account_header != account.account_id
    ):
        return None, (
            403,
            {
                "detail": {
                    "code": "account_mismatch",
                    "message": "The ChatGPT-Account-ID header does not match the signed-in "
                    "account.",
                }
            },
        )
    return account, None
