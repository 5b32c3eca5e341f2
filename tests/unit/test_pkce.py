"""Pure PKCE / authorize-URL / callback / token-exchange steps of the ChatGPT login."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from litellm_codex import codex_client
from litellm_codex.auth import pkce
from litellm_codex.errors import LoginError

B64URL = re.compile(r"^[A-Za-z0-9_-]+$")


def test_verifier_is_64_random_bytes_b64url_without_padding() -> None:
    verifiers = {pkce.new_verifier() for _ in range(20)}
    assert len(verifiers) == 20
    for verifier in verifiers:
        assert B64URL.match(verifier)
        assert len(verifier) == 86  # ceil(64 * 4 / 3), no '='
        assert len(base64.urlsafe_b64decode(verifier + "==")) == 64
        # RFC 7636 §4.1: 43..128 characters.
        assert 43 <= len(verifier) <= 128


def test_state_is_32_random_bytes() -> None:
    state = pkce.new_state()
    assert B64URL.match(state)
    assert len(state) == 43
    assert state != pkce.new_state()


def test_challenge_matches_rfc7636_appendix_b() -> None:
    # The worked example of RFC 7636 Appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.challenge_s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_challenge_of_random_verifier() -> None:
    verifier = pkce.new_verifier()
    digest = hashlib.sha256(verifier.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert pkce.challenge_s256(verifier) == expected


def test_redirect_uri_uses_the_loopback_address() -> None:
    assert pkce.redirect_uri_for(1455) == "http://127.0.0.1:1455/auth/callback"
    assert pkce.redirect_uri_for(1457) == "http://127.0.0.1:1457/auth/callback"


def test_authorize_url_params_in_codex_order() -> None:
    url = pkce.build_authorize_url(
        "https://auth.openai.com/",
        codex_client.CLIENT_ID,
        "http://127.0.0.1:1455/auth/callback",
        "CHALLENGE",
        "STATE",
    )
    split = urlsplit(url)
    assert (
        f"{split.scheme}://{split.netloc}{split.path}" == "https://auth.openai.com/oauth/authorize"
    )
    # Codex CLI 0.171.0's order and values (reference-clients-2026-11.md §1.5).
    assert parse_qsl(split.query) == [
        ("response_type", "code"),
        ("client_id", "app_EMoamEEZ73f0CkXaXp7hrann"),
        ("redirect_uri", "http://127.0.0.1:1455/auth/callback"),
        ("code_challenge", "CHALLENGE"),
        ("code_challenge_method", "S256"),
        ("state", "STATE"),
        ("scope", "openid profile email offline_access api.connectors.read api.connectors.invoke"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("originator", "codex_cli_rs"),
    ]
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback" in url
    assert (
        "scope=openid+profile+email+offline_access+api.connectors.read+api.connectors.invoke" in url
    )


def test_authorize_url_options() -> None:
    url = pkce.build_authorize_url(
        "http://127.0.0.1:9",
        "cid",
        "http://127.0.0.1:1/auth/callback",
        "c",
        "s",
        scope="openid",
        originator="other",
        allowed_workspace_id="ws-1,ws-2",
    )
    params = parse_qsl(urlsplit(url).query)
    assert ("scope", "openid") in params
    assert ("originator", "other") in params
    assert params[-1] == ("allowed_workspace_id", "ws-1,ws-2")
    assert "allowed_workspace_id=ws-1%2Cws-2" in url


@pytest.mark.parametrize(
    "query",
    [
        {"code": "abc", "state": "S"},
        {"code": ["abc"], "state": ["S"]},
        {"code": "abc", "state": "S", "scope": "x"},
    ],
)
def test_parse_callback_returns_code(query: dict[str, object]) -> None:
    assert pkce.parse_callback(query, "S") == "abc"


@pytest.mark.parametrize(
    "query",
    [
        {"code": "abc"},
        {"code": "abc", "state": "T"},
        {"code": "abc", "state": ""},
        {"code": "abc", "state": []},
        {"code": "abc", "state": [1]},
        {"code": "abc", "state": 5},
        # An error without our state proves nothing: still a state failure.
        {"error": "access_denied"},
    ],
)
def test_parse_callback_state_mismatch(query: dict[str, object]) -> None:
    with pytest.raises(pkce.CallbackStateError, match="state mismatch"):
        pkce.parse_callback(query, "S")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {
                "state": "S",
                "error": "access_denied",
                "error_description": "missing_codex_entitlement for org",
            },
            "Codex is not enabled for your workspace",
        ),
        ({"state": "S", "error": "access_denied"}, r"^login was denied$"),
        (
            {"state": "S", "error": "access_denied", "error_description": "user said no"},
            "login was denied: user said no",
        ),
        ({"state": "S", "error": "server_error"}, r"^login failed: server_error$"),
        (
            {"state": "S", "error": "invalid_scope", "error_description": "bad"},
            "login failed: invalid_scope: bad",
        ),
        ({"state": "S"}, "no authorization code"),
        ({"state": "S", "code": ""}, "no authorization code"),
    ],
)
def test_parse_callback_errors(query: dict[str, object], message: str) -> None:
    with pytest.raises(LoginError, match=message) as info:
        pkce.parse_callback(query, "S")
    assert not isinstance(info.value, pkce.CallbackStateError)


def test_build_token_request() -> None:
    form = pkce.build_token_request(
        code="C",
        redirect_uri="http://localhost:1455/auth/callback",
        client_id="id",
        code_verifier="V",
    )
    assert list(form.items()) == [
        ("grant_type", "authorization_code"),
        ("code", "C"),
        ("redirect_uri", "http://localhost:1455/auth/callback"),
        ("client_id", "id"),
        ("code_verifier", "V"),
    ]


TOKENS = {"id_token": "i", "access_token": "a", "refresh_token": "r"}


@pytest.mark.parametrize("body", [TOKENS, json.dumps(TOKENS), json.dumps(TOKENS).encode()])
def test_parse_token_response_ok(body: object) -> None:
    assert pkce.parse_token_response(200, body) == TOKENS  # type: ignore[arg-type]


def test_parse_token_response_ignores_extra_fields() -> None:
    assert pkce.parse_token_response(200, {**TOKENS, "expires_in": 5}) == TOKENS


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            400,
            {"error": "invalid_grant", "error_description": "code already used"},
            r"HTTP 400\): code already used \(invalid_grant\)",
        ),
        (400, {"error": "invalid_grant"}, r"HTTP 400\): invalid_grant$"),
        (500, "oops", r"HTTP 500\): oops"),
        (200, "not json", "not JSON"),
        (200, b"[1]", "not a JSON object"),
        (200, {"access_token": "a"}, "lacks id_token, refresh_token"),
        (200, {**TOKENS, "refresh_token": ""}, "lacks refresh_token"),
        (200, {**TOKENS, "id_token": 5}, "lacks id_token"),
    ],
)
def test_parse_token_response_errors(status: int, body: object, message: str) -> None:
    with pytest.raises(LoginError, match=message):
        pkce.parse_token_response(status, body)  # type: ignore[arg-type]


def test_token_error_messages_are_redacted() -> None:
    with pytest.raises(LoginError) as info:
        pkce.parse_token_response(
            400, {"error": "x", "error_description": "bad refresh_token=rt_supersecret1"}
        )
    assert "rt_supersecret1" not in str(info.value)
