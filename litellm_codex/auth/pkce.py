"""The pure steps of the ChatGPT browser login: PKCE (RFC 7636), state, URLs, form bodies.

No sockets here: :mod:`litellm_codex.auth.login_openai` runs the loopback server and sends
the requests; this module builds and interprets them, so every rule is unit-tested.

The flow copies the Codex CLI's (protocols/codex-chatgpt-backend.md §1.2-1.3, with the
authorize URL as Codex CLI 0.171.0 builds it, reference-clients-2026-11.md §1.5):

1. :func:`new_verifier` / :func:`challenge_s256` / :func:`new_state`;
2. send the user to :func:`build_authorize_url`;
3. the browser comes back to ``http://127.0.0.1:{port}/auth/callback?code=..&state=..``;
   :func:`parse_callback` checks the state and returns the code;
4. POST :func:`build_token_request` form-encoded to ``{issuer}/oauth/token``;
   :func:`parse_token_response` returns the three tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from litellm_codex import codex_client
from litellm_codex.errors import LoginError, parse_error_body

__all__ = [
    "CALLBACK_PATH",
    "DEFAULT_PORT",
    "DEFAULT_SCOPE",
    "FALLBACK_PORT",
    "CallbackStateError",
    "build_authorize_url",
    "build_token_request",
    "challenge_s256",
    "new_state",
    "new_verifier",
    "parse_callback",
    "parse_token_response",
    "redirect_uri_for",
]

DEFAULT_PORT = 1455
FALLBACK_PORT = 1457
CALLBACK_PATH = "/auth/callback"
#: The scope Codex CLI 0.171.0 asks for (reference-clients-2026-11.md §1.5). Pass
#: ``scope=`` to :func:`build_authorize_url` to ask for less.
DEFAULT_SCOPE = "openid profile email offline_access api.connectors.read api.connectors.invoke"


class CallbackStateError(LoginError):
    """The callback's ``state`` is missing or not ours: a stray or forged request.

    The loopback server answers it with 400 and keeps waiting for the real callback,
    as the Codex CLI does ("State mismatch").
    """


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_verifier() -> str:
    """A PKCE ``code_verifier``: 64 random bytes, base64url without padding (86 chars)."""
    return _b64url(secrets.token_bytes(64))


def challenge_s256(verifier: str) -> str:
    """The ``S256`` ``code_challenge`` of ``verifier`` (RFC 7636 §4.2)."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_state() -> str:
    """An OAuth ``state``: 32 random bytes, base64url without padding."""
    return _b64url(secrets.token_bytes(32))


def redirect_uri_for(port: int) -> str:
    """The loopback redirect URI for ``port``: ``http://127.0.0.1:{port}/auth/callback``,
    the spelling Codex CLI 0.171.0 sends (reference-clients-2026-11.md §1.5; older
    releases sent ``localhost``). The server binds 127.0.0.1 as well.
    """
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


def build_authorize_url(
    issuer: str,
    client_id: str,
    redirect_uri: str,
    challenge: str,
    state: str,
    *,
    scope: str = DEFAULT_SCOPE,
    originator: str = codex_client.DEFAULT_ORIGINATOR,
    allowed_workspace_id: str | None = None,
) -> str:
    """``{issuer}/oauth/authorize?...`` with Codex CLI 0.171.0's parameters, in its order
    (reference-clients-2026-11.md §1.5), form-encoded (spaces as ``+``) as it sends them.
    """
    params: list[tuple[str, str]] = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("state", state),
        ("scope", scope),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("originator", originator),
    ]
    if allowed_workspace_id:
        params.append(("allowed_workspace_id", allowed_workspace_id))
    return f"{issuer.rstrip('/')}/oauth/authorize?{urlencode(params)}"


def _first(query: Mapping[str, Any], key: str) -> str | None:
    """One query value, whether the mapping holds strings or lists (``parse_qs``)."""
    value = query.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence) and value and isinstance(value[0], str):
        return value[0]
    return None


def parse_callback(query: Mapping[str, Any], expected_state: str) -> str:
    """Check a callback's query and return the authorization ``code``.

    Raises :class:`CallbackStateError` when the state is missing or wrong (checked first:
    an ``error`` from a request that does not carry our state proves nothing), and
    :class:`~litellm_codex.errors.LoginError` for an ``error`` parameter or a missing code.
    """
    state = _first(query, "state")
    if state is None or not hmac.compare_digest(state.encode(), expected_state.encode()):
        raise CallbackStateError("login callback rejected: state mismatch")
    error = _first(query, "error")
    if error:
        description = _first(query, "error_description") or ""
        # Codex turns this one into a sentence a user can act on (§1.2, server.rs).
        if error == "access_denied" and "missing_codex_entitlement" in description:
            raise LoginError(
                "Codex is not enabled for your workspace; ask your ChatGPT workspace admin "
                "to enable Codex"
            )
        if error == "access_denied":
            raise LoginError("login was denied" + (f": {description}" if description else ""))
        raise LoginError(f"login failed: {error}" + (f": {description}" if description else ""))
    code = _first(query, "code")
    if not code:
        raise LoginError("login failed: the callback carried no authorization code")
    return code


def build_token_request(
    *, code: str, redirect_uri: str, client_id: str, code_verifier: str
) -> dict[str, str]:
    """Form fields of the ``authorization_code`` grant (§1.3), in Codex's order.

    ``redirect_uri`` must be byte-for-byte the one sent to ``/oauth/authorize``.
    """
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "code_verifier": code_verifier,
    }


def parse_token_response(status: int, body: bytes | str | Mapping[str, Any]) -> dict[str, str]:
    """Interpret the token endpoint's answer to a code exchange.

    Returns ``{"id_token", "access_token", "refresh_token"}``; all three are required
    (Codex's ``TokenResponse``). Anything else raises :class:`LoginError` with the
    endpoint's ``error`` / ``error_description`` (never the body's tokens).
    """
    if not 200 <= status < 300:
        code, message = parse_error_body(body)
        detail = f"{message} ({code})" if code and code != message else message
        raise LoginError(f"code exchange failed (HTTP {status}): {detail}")
    data: Any = body
    if isinstance(body, (bytes, str)):
        try:
            data = json.loads(body)
        except ValueError:
            raise LoginError("code exchange failed: the answer is not JSON") from None
    if not isinstance(data, Mapping):
        raise LoginError("code exchange failed: the answer is not a JSON object")
    missing = [
        key
        for key in ("id_token", "access_token", "refresh_token")
        if not isinstance(data.get(key), str) or not data.get(key)
    ]
    if missing:
        raise LoginError(f"code exchange failed: the answer lacks {', '.join(missing)}")
    return {key: str(data[key]) for key in ("id_token", "access_token", "refresh_token")}
