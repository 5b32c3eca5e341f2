"""The error tree: parsing upstream error bodies, redaction, and the LiteLLM mapping table."""

from __future__ import annotations

from typing import Any

import httpx
import litellm
import pytest

from litellm_codex.errors import (
    ConfigurationError,
    LoginExpiredError,
    NoAccessError,
    NotLoggedInError,
    StreamError,
    UpstreamError,
    login_command,
    parse_error_body,
    redact,
    to_litellm,
    upstream_error,
)

JWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            b'{"detail": "Stream must be set to true"}',
            (None, "Stream must be set to true"),
            id="detail-str",
        ),
        pytest.param(
            {"detail": {"code": "deactivated_workspace"}},
            ("deactivated_workspace", "deactivated_workspace"),
            id="detail-code",
        ),
        pytest.param(
            {
                "error": {
                    "message": "too long",
                    "type": "invalid_request_error",
                    "code": "context_length_exceeded",
                }
            },
            ("context_length_exceeded", "too long"),
            id="openai",
        ),
        pytest.param(
            {"error": {"type": "usage_limit_reached", "code": "x", "message": "limit"}},
            ("usage_limit_reached", "limit"),
            id="codex-429-type-wins",
        ),
        pytest.param(
            {"error": "invalid_grant", "error_description": "bad code"},
            ("invalid_grant", "bad code"),
            id="oauth",
        ),
        pytest.param({"message": "Bad credentials"}, (None, "Bad credentials"), id="github"),
        pytest.param("upstream exploded", (None, "upstream exploded"), id="text"),
        pytest.param(b"", (None, "(empty body)"), id="empty"),
        pytest.param("[1, 2]", (None, "[1, 2]"), id="json-not-object"),
        pytest.param({"code": "weird"}, ("weird", "weird"), id="top-level-code"),
    ],
)
def test_parse_error_body(body: Any, expected: tuple[str | None, str]) -> None:
    assert parse_error_body(body) == expected


@pytest.mark.parametrize(
    "secret",
    [
        f"Bearer {JWT}",
        "token gho_16C7e42F292c6912E7710c838347Ae178B4a",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "sk-proj-abcdefghijklmnopqrstuvwx",
        "tid=0123456789abcdef;exp=1700000000;sku=x",
        '"refresh_token": "rt_abcdefghijklmnop"',
        "access_token=abcdefghijklmnop&x=1",
    ],
)
def test_redact_removes_secrets(secret: str) -> None:
    text = redact(f"failed with {secret} today")
    assert "[redacted]" in text
    for part in ("abcdefghijklmnop", "16C7e42F", "0123456789abcdef", JWT, "rt_abcdefghijklmnop"):
        assert part not in text


def test_redact_keeps_prose() -> None:
    assert (
        redact("token exchange failed; bearer auth needed")
        == "token exchange failed; bearer auth needed"
    )


def test_our_errors_are_redacted_and_say_what_to_do() -> None:
    err = NotLoggedInError("github_copilot")
    assert "litellm-codex login github-copilot" in str(err)
    assert login_command("openai_codex") == "litellm-codex login openai-codex"
    expired = LoginExpiredError("openai-codex", "refresh_token_reused")
    assert "log in again" in str(expired) and expired.reason == "refresh_token_reused"
    leaky = UpstreamError(f"boom Bearer {JWT}")
    assert JWT not in str(leaky) and JWT not in repr(leaky)


def test_upstream_error_reads_status_code_and_reset() -> None:
    body = {
        "error": {
            "type": "usage_limit_reached",
            "message": "The usage limit has been reached",
            "resets_in_seconds": 7200,
        }
    }
    err = upstream_error(429, {"x-codex-primary-used-percent": "100"}, body)
    assert err.status == 429 and err.code == "usage_limit_reached"
    assert err.retry_after == 7200
    assert "resets in 2 h 0 min" in err.message
    assert err.headers["x-codex-primary-used-percent"] == "100"


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"error": {"resets_in_seconds": 45}}, "resets in 45s"),
        ({"error": {"resets_in_seconds": 600}}, "resets in 10 min"),
        ({"detail": {"resets_at": 10**10}}, "resets in"),
        (b'{"resets_in_seconds": 5}', "resets in 5s"),
        (b"not json", None),
        ({"error": {"resets_in_seconds": True}}, None),
    ],
)
def test_reset_time_shapes(body: Any, text: str | None) -> None:
    err = upstream_error(429, {}, body)
    message = err.message
    if text is None:
        assert "limit resets" not in message
        assert err.retry_after is None
    else:
        assert text in message


def test_upstream_error_retry_after_header() -> None:
    assert upstream_error(429, {"Retry-After": "30"}, b"{}").retry_after == 30
    assert upstream_error(429, {"retry-after-ms": "1500"}, b"{}").retry_after == 1.5
    assert upstream_error(429, {"retry-after": "soon"}, b"{}").retry_after is None


def _convert(exc: BaseException) -> Exception:
    return to_litellm(exc, provider="openai-codex", model="gpt-5.1-codex")


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        pytest.param(
            NotLoggedInError("openai-codex"), litellm.AuthenticationError, id="not-logged-in"
        ),
        pytest.param(
            NoAccessError("no seat", provider="github_copilot"),
            litellm.PermissionDeniedError,
            id="no-access",
        ),
        pytest.param(ConfigurationError("n=2"), litellm.BadRequestError, id="config"),
        pytest.param(httpx.ReadTimeout("slow"), litellm.Timeout, id="httpx-timeout"),
        pytest.param(httpx.ConnectError("refused"), litellm.APIConnectionError, id="connect"),
        pytest.param(ValueError("bug"), litellm.APIConnectionError, id="other"),
        pytest.param(StreamError("stalled", timed_out=True), litellm.Timeout, id="stall"),
        pytest.param(
            StreamError("x", code="context_length_exceeded"),
            litellm.ContextWindowExceededError,
            id="ctx-code",
        ),
        pytest.param(
            UpstreamError("Your input exceeds the context window", status=400),
            litellm.ContextWindowExceededError,
            id="ctx-text",
        ),
        pytest.param(
            UpstreamError("quota", status=402, code="quota_exceeded"),
            litellm.RateLimitError,
            id="402",
        ),
        pytest.param(UpstreamError("slow down", status=429), litellm.RateLimitError, id="429"),
        pytest.param(
            StreamError("limit", code="rate_limit_exceeded", retry_after=11.0),
            litellm.RateLimitError,
            id="stream-429",
        ),
        pytest.param(UpstreamError("no", status=401), litellm.AuthenticationError, id="401"),
        pytest.param(UpstreamError("no", status=403), litellm.PermissionDeniedError, id="403"),
        pytest.param(UpstreamError("gone", status=404), litellm.NotFoundError, id="404"),
        pytest.param(
            UpstreamError("m", status=400, code="model_not_supported"),
            litellm.NotFoundError,
            id="model",
        ),
        pytest.param(UpstreamError("late", status=408), litellm.Timeout, id="408"),
        pytest.param(
            UpstreamError(
                "The 'gpt-5.1-codex' model is not supported when using Codex with a ChatGPT "
                "account.",
                status=400,
            ),
            litellm.NotFoundError,
            id="model-not-supported-400",
        ),
        pytest.param(
            UpstreamError(
                "Codex is not included in your plan", status=429, code="usage_not_included"
            ),
            litellm.PermissionDeniedError,
            id="usage-not-included",
        ),
        pytest.param(
            StreamError("flagged", code="usage_not_included"),
            litellm.PermissionDeniedError,
            id="usage-not-included-in-stream",
        ),
        pytest.param(
            UpstreamError("refused", status=400, code="content_policy_violation"),
            litellm.ContentPolicyViolationError,  # a BadRequestError
            id="content-policy-code",
        ),
        pytest.param(
            StreamError("Your request was flagged as potentially violating our usage policy"),
            litellm.ContentPolicyViolationError,
            id="content-policy-in-stream",
        ),
        pytest.param(UpstreamError("bad", status=422), litellm.BadRequestError, id="422"),
        pytest.param(UpstreamError("down", status=503), litellm.ServiceUnavailableError, id="503"),
        pytest.param(UpstreamError("boom", status=500), litellm.InternalServerError, id="500"),
        pytest.param(
            StreamError("busy", code="server_is_overloaded"),
            litellm.ServiceUnavailableError,
            id="overloaded",
        ),
        pytest.param(
            StreamError("odd", code="invalid_prompt"), litellm.BadRequestError, id="invalid-prompt"
        ),
        pytest.param(
            StreamError("odd", code="server_error"), litellm.InternalServerError, id="unknown-code"
        ),
        pytest.param(StreamError("dropped"), litellm.APIConnectionError, id="dropped"),
    ],
)
def test_to_litellm_mapping(exc: BaseException, cls: type[Exception]) -> None:
    converted = _convert(exc)
    assert type(converted) is cls


def test_litellm_errors_pass_through() -> None:
    original = litellm.RateLimitError(message="x", llm_provider="p", model="m")
    assert _convert(original) is original


def test_in_stream_errors_get_their_natural_status() -> None:
    # LiteLLM lets 4xx stream errors through unwrapped, judged by status.
    assert _convert(StreamError("x", code="context_length_exceeded")).status_code == 400
    limited = _convert(StreamError("limit", code="rate_limit_exceeded", retry_after=11.4))
    assert limited.status_code == 429
    assert limited.response.headers["retry-after"] == "11"
    assert "retry after 11.4s" in str(limited)


def test_hint_is_appended() -> None:
    converted = to_litellm(
        UpstreamError("unknown model", status=404), provider="p", model="m", hint="Try gpt-5."
    )
    assert str(converted).endswith("Try gpt-5.")


def test_content_policy_refusal_is_a_bad_request_and_not_retried() -> None:
    converted = _convert(StreamError("flagged as potentially violating", code="cyber_policy"))
    assert isinstance(converted, litellm.BadRequestError)
