"""Table-driven tests of the pure token logic (litellm_codex.auth.tokens)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from litellm_codex.auth.tokens import (
    REFRESH_INTERVAL,
    classify_refresh_failure,
    codex_identity,
    copilot_token_due,
    decode_jwt_claims,
    jwt_expiry,
    needs_refresh,
    refresh_error_code,
)
from litellm_codex.testing._tokens import OpenAIAuthority, make_jwt


def _seg(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt_raw(payload: bytes) -> str:
    return f"{_seg(b'{}')}.{_seg(payload)}.sig"


AUTH = "https://api.openai.com/auth"
PROFILE = "https://api.openai.com/profile"


# --------------------------------------------------------------------------- decode


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (make_jwt({"a": 1}), {"a": 1}),
        (make_jwt({}), {}),
        # padding is tolerated although Codex writes none
        (_seg(b"{}") + "." + base64.urlsafe_b64encode(b'{"x":true}').decode() + ".s", {"x": True}),
        (_jwt_raw('{"e":"é"}'.encode()), {"e": "é"}),
    ],
)
def test_decode_jwt_claims_ok(token: str, expected: dict[str, Any]) -> None:
    assert decode_jwt_claims(token) == expected


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        ".x.y",  # empty header
        "x..y",  # empty payload
        "x.y.",  # empty signature
        "x.!!!!.y",  # not base64
        "x.a.y",  # a single base64 character is invalid
        _jwt_raw(b"not json"),
        _jwt_raw(b"[1,2]"),  # not an object
        _jwt_raw(b"\xff\xfe"),  # not UTF-8
        None,  # not a string at all
    ],
)
def test_decode_jwt_claims_malformed(token: Any) -> None:
    with pytest.raises(ValueError, match="not a JWT") as info:
        decode_jwt_claims(token)
    if isinstance(token, str) and token:
        assert token not in str(info.value)


# --------------------------------------------------------------------------- identity


@pytest.mark.parametrize(
    ("id_claims", "access_claims", "expected"),
    [
        # the usual shape: everything in both tokens, id token wins for account/email
        (
            {"email": "id@x", AUTH: {"chatgpt_account_id": "acc-id", "chatgpt_plan_type": "pro"}},
            {
                PROFILE: {"email": "at@x"},
                AUTH: {"chatgpt_account_id": "acc-at", "chatgpt_plan_type": "plus"},
            },
            ("acc-id", "id@x", "plus"),  # plan comes from the access token first
        ),
        # e-mail only in the profile claim of the id token
        ({PROFILE: {"email": "p@x"}}, {}, (None, "p@x", None)),
        # nothing in the id token: fall back to the access token
        (
            {},
            {"email": "a@x", AUTH: {"chatgpt_account_id": "acc", "chatgpt_plan_type": "team"}},
            ("acc", "a@x", "team"),
        ),
        # plan only in the id token
        ({AUTH: {"chatgpt_plan_type": "free"}}, {AUTH: {}}, (None, None, "free")),
        # wrong types are ignored
        (
            {"email": 5, AUTH: "nope", PROFILE: ["x"]},
            {AUTH: {"chatgpt_account_id": ""}},
            (None, None, None),
        ),
    ],
)
def test_codex_identity(
    id_claims: dict[str, Any], access_claims: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    assert codex_identity(make_jwt(id_claims), make_jwt(access_claims)) == expected


@pytest.mark.parametrize(
    ("id_token", "access_token"),
    [(None, None), ("", ""), ("garbage", "also.garbage"), (None, "x.y.z")],
)
def test_codex_identity_missing_or_malformed(id_token: Any, access_token: Any) -> None:
    assert codex_identity(id_token, access_token) == (None, None, None)


def test_codex_identity_of_authority_tokens() -> None:
    tokens = OpenAIAuthority().issue()
    assert codex_identity(tokens["id_token"], tokens["access_token"]) == (
        "acct-sim-0001",
        "dev@example.com",
        "plus",
    )


# --------------------------------------------------------------------------- expiry


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (make_jwt({"exp": 1700000000}), 1700000000.0),
        (make_jwt({"exp": 1700000000.5}), 1700000000.5),
        (make_jwt({}), None),
        (make_jwt({"exp": "1700000000"}), None),
        (make_jwt({"exp": True}), None),
        (make_jwt({"exp": None}), None),
        ("not-a-jwt", None),
        (None, None),
        ("", None),
    ],
)
def test_jwt_expiry(token: Any, expected: float | None) -> None:
    assert jwt_expiry(token) == expected


NOW = 1_000_000.0
DAY = 24 * 3600.0


@pytest.mark.parametrize(
    ("expires_at", "last_refresh", "window", "expected"),
    [
        (NOW - 1, None, 300, True),  # expired
        (NOW + 4 * 60, None, 300, True),  # inside the 5-minute window (Codex test: 4 min)
        (NOW + 6 * 60, None, 300, False),  # outside (Codex test: 6 min)
        (NOW + 300, None, 300, True),  # boundary: exp <= now + window
        (NOW + 301, None, 300, False),
        (NOW + 3600, NOW - 9 * DAY, 300, False),  # "exp wins" over a 9-day-old refresh
        (NOW + 10, None, 0, False),  # window 0: only when expired
        (None, NOW - 9 * DAY, 300, True),  # no exp: 8-day rule
        (None, NOW - 7 * DAY, 300, False),
        (None, NOW - REFRESH_INTERVAL, 300, False),  # boundary: strictly older
        (None, None, 300, True),  # nothing known: refresh
    ],
)
def test_needs_refresh(
    expires_at: float | None, last_refresh: float | None, window: float, expected: bool
) -> None:
    assert needs_refresh(expires_at, last_refresh, NOW, window) is expected


def test_needs_refresh_default_window() -> None:
    assert needs_refresh(NOW + 299, None, NOW) is True
    assert needs_refresh(NOW + 301, None, NOW) is False


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"error": {"code": "refresh_token_reused"}}, "refresh_token_reused"),
        ({"error": {"message": "x"}, "code": "top"}, "top"),
        ({"error": {"code": ""}, "code": "top"}, "top"),
        ({"error": "invalid_grant", "error_description": "bad"}, "invalid_grant"),
        ({"error": ""}, None),
        ({"code": "refresh_token_expired"}, "refresh_token_expired"),
        ({"detail": "x"}, None),
        ('{"error":{"code":"refresh_token_invalidated"}}', "refresh_token_invalidated"),
        (b'{"error":"temporary-failure"}', "temporary-failure"),
        (b"<html>bad gateway</html>", None),
        ("[1]", None),
        (None, None),
        ({"error": 5}, None),
    ],
)
def test_refresh_error_code(body: Any, code: str | None) -> None:
    assert refresh_error_code(body) == code


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # the Codex test cases (auth_refresh.rs): 401 reused is permanent, 500 transient
        (401, {"error": {"code": "refresh_token_reused"}}, ("permanent", "refresh_token_reused")),
        (500, {"error": "temporary-failure"}, ("transient", "temporary-failure")),
        (400, {"error": {"code": "refresh_token_expired"}}, ("permanent", "refresh_token_expired")),
        (400, {"code": "refresh_token_invalidated"}, ("permanent", "refresh_token_invalidated")),
        (400, {"error": "invalid_grant"}, ("permanent", "invalid_grant")),
        (401, b"", ("permanent", "http_401")),
        (401, {"error": "unauthorized_client"}, ("permanent", "unauthorized_client")),
        (400, {"error": "invalid_request"}, ("transient", "invalid_request")),
        (503, b"<html>", ("transient", "http_503")),
        (429, None, ("transient", "http_429")),
    ],
)
def test_classify_refresh_failure(status: int, body: Any, expected: tuple[str, str]) -> None:
    assert classify_refresh_failure(status, body) == expected


# --------------------------------------------------------------------------- copilot


T0 = 10_000.0


@pytest.mark.parametrize(
    ("expires_at", "refresh_in", "now", "expected"),
    [
        # the usual envelope: refresh_in 1500, expires_at ~ +1500 (github-copilot.md §2.3)
        (T0 + 1500, 1500, T0, False),
        (T0 + 1500, 1500, T0 + 1439, False),
        (T0 + 1500, 1500, T0 + 1440, True),  # 60 s before
        (T0 + 1500, 1500, T0 + 2000, True),  # past expiry
        # refresh_in earlier than expiry: refresh_in decides
        (T0 + 3600, 600, T0 + 539, False),
        (T0 + 3600, 600, T0 + 540, True),
        # server clock behind ours: expires_at decides
        (T0 + 300, 1500, T0 + 239, False),
        (T0 + 300, 1500, T0 + 240, True),
        # only one of the two known
        (None, 1500, T0 + 1440, True),
        (None, 1500, T0 + 1000, False),
        (T0 + 1500, None, T0 + 1440, True),
        (T0 + 1500, None, T0 + 1000, False),
        # nothing known: never proactively due (a 401 still re-exchanges)
        (None, None, T0 + 10**6, False),
        # very short lifetimes: the margin shrinks to half the lifetime
        (T0 + 20, 20, T0, False),
        (T0 + 20, 20, T0 + 9, False),
        (T0 + 20, 20, T0 + 10, True),
        # already expired when obtained (server clock ahead of ours): due at once
        (T0 - 5, 1500, T0, True),
    ],
)
def test_copilot_token_due(
    expires_at: float | None, refresh_in: float | None, now: float, expected: bool
) -> None:
    assert copilot_token_due(expires_at, refresh_in, T0, now) is expected


def test_copilot_token_due_custom_margin() -> None:
    assert copilot_token_due(T0 + 1500, 1500, T0, T0 + 1200, margin=300) is True
    assert copilot_token_due(T0 + 1500, 1500, T0, T0 + 1199, margin=300) is False


def test_claims_are_json_roundtrip() -> None:
    claims = {"exp": 1, AUTH: {"chatgpt_account_id": "a"}, "list": [1, 2]}
    assert decode_jwt_claims(make_jwt(claims)) == json.loads(json.dumps(claims))
