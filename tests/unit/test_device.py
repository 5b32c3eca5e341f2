"""Pure device-flow steps (GitHub RFC 8628 and the OpenAI variant) and the polling loop."""

from __future__ import annotations

import time
from typing import Any

import pytest

from litellm_codex.auth import device
from litellm_codex.auth.device import OpenAIDeviceCode, OpenAIDeviceGrant, Pending
from litellm_codex.errors import LoginError

# --------------------------------------------------------------------------------------
# GitHub: device code

GH_CODE = {
    "device_code": "3584d83530557fdd1f46af8289938c8ef79f9dc5",
    "user_code": "WDJB-MJHT",
    "verification_uri": "https://github.com/login/device",
    "expires_in": 900,
    "interval": 5,
}


def test_github_device_code_request() -> None:
    assert device.build_github_device_code_request("cid") == {
        "client_id": "cid",
        "scope": "read:user",
    }
    assert device.build_github_device_code_request("cid", "a b")["scope"] == "a b"


def test_parse_github_device_code_json() -> None:
    code = device.parse_github_device_code(200, GH_CODE)
    assert code.device_code == GH_CODE["device_code"]
    assert code.user_code == "WDJB-MJHT"
    assert code.verification_uri == "https://github.com/login/device"
    assert code.expires_in == 900
    assert code.interval == 5
    assert code.verification_uri_complete is None
    assert GH_CODE["device_code"] not in repr(code)


def test_parse_github_device_code_form_encoded() -> None:
    # What GitHub sends when the client forgets `Accept: application/json` (GHD).
    body = (
        b"device_code=dc&expires_in=899&interval=7&user_code=ABCD-EFGH"
        b"&verification_uri=https%3A%2F%2Fgithub.com%2Flogin%2Fdevice"
    )
    code = device.parse_github_device_code(200, body)
    assert (code.device_code, code.user_code, code.expires_in, code.interval) == (
        "dc",
        "ABCD-EFGH",
        899,
        7,
    )
    assert code.verification_uri == "https://github.com/login/device"


@pytest.mark.parametrize(
    ("extra", "expires_in", "interval"),
    [
        ({"expires_in": None, "interval": None}, 900, 5),
        ({"interval": 0}, 900, 1),  # clamped: never poll faster than once a second
        ({"interval": "3"}, 900, 3),
        ({"interval": "soon", "expires_in": True}, 900, 5),
        ({"interval": [1]}, 900, 5),
    ],
)
def test_parse_github_device_code_defaults(
    extra: dict[str, Any], expires_in: float, interval: float
) -> None:
    data = {**GH_CODE, **extra}
    data = {k: v for k, v in data.items() if v is not None}
    code = device.parse_github_device_code(200, data)
    assert (code.expires_in, code.interval) == (expires_in, interval)


def test_parse_github_device_code_complete_uri() -> None:
    code = device.parse_github_device_code(
        200, {**GH_CODE, "verification_uri_complete": "https://x/?c=1"}
    )
    assert code.verification_uri_complete == "https://x/?c=1"


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, b"Not Found", r"HTTP 404\): Not Found"),
        (400, {"error": "device_flow_disabled"}, "device flow is disabled"),
        (200, {"error": "unauthorized_client", "error_description": "nope"}, "nope"),
        (200, "<html>down</html>", "could not start"),
        (200, {**GH_CODE, "user_code": ""}, "incomplete"),
        (200, {**GH_CODE, "verification_uri": None}, "incomplete"),
        (200, {**GH_CODE, "device_code": ""}, "incomplete"),
        (500, GH_CODE, r"HTTP 500"),
        (200, None, r"HTTP 200"),
    ],
)
def test_parse_github_device_code_errors(status: int, body: Any, message: str) -> None:
    with pytest.raises(LoginError, match=message):
        device.parse_github_device_code(status, body)


def test_parse_github_device_code_accepts_verification_url_spelling() -> None:
    data = {k: v for k, v in GH_CODE.items() if k != "verification_uri"}
    data["verification_url"] = "https://example/device"
    assert device.parse_github_device_code(200, data).verification_uri == "https://example/device"


# --------------------------------------------------------------------------------------
# GitHub: polling


def test_github_token_poll_body() -> None:
    assert device.build_github_token_poll("cid", "dc") == {
        "client_id": "cid",
        "device_code": "dc",
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
    }


@pytest.mark.parametrize("status", [200, 400])
def test_github_poll_pending_on_any_status(status: int) -> None:
    body = {"error": "authorization_pending", "error_description": "pending"}
    assert device.interpret_github_poll(status, body, 5) == Pending(5)


@pytest.mark.parametrize(
    ("body", "interval"),
    [
        ({"error": "slow_down", "interval": 10}, 10),
        ({"error": "slow_down", "interval": "12"}, 12),
        ({"error": "slow_down"}, 10),  # no interval in the body: +5
        (b"error=slow_down&interval=15", 15),  # form-encoded
    ],
)
def test_github_poll_slow_down(body: Any, interval: float) -> None:
    assert device.interpret_github_poll(200, body, 5) == Pending(interval, slowed=True)


def test_github_poll_success() -> None:
    body = {"access_token": "ghu_abc", "token_type": "bearer", "scope": "read:user"}
    assert device.interpret_github_poll(200, body, 5) == "ghu_abc"
    assert device.interpret_github_poll(200, b'{"access_token": "ghu_x"}', 5) == "ghu_x"


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, {"error": "expired_token"}, "code expired"),
        (400, {"error": "token_expired"}, "code expired"),
        (200, {"error": "access_denied"}, "cancelled"),
        (200, {"error": "incorrect_device_code"}, r"device code is not valid \(incorrect"),
        (200, {"error": "unsupported_grant_type"}, "unsupported grant type"),
        (200, {"error": "incorrect_client_credentials"}, "client id is not accepted"),
        (200, {"error": "device_flow_disabled"}, "device flow is disabled"),
        (200, {"error": "weird", "error_description": "Weird thing"}, r"Weird thing \(weird\)"),
        (200, {"error": "weird"}, r"weird \(weird\)"),
        (404, b"Not Found", r"HTTP 404"),
        (200, {"token_type": "bearer"}, r"HTTP 200"),
        # A token in a non-2xx answer is not trusted.
        (400, {"access_token": "ghu_x"}, r"HTTP 400"),
    ],
)
def test_github_poll_failures(status: int, body: Any, message: str) -> None:
    with pytest.raises(LoginError, match=message):
        device.interpret_github_poll(status, body, 5)


@pytest.mark.parametrize(("status", "body"), [(502, b"<html>Bad gateway</html>"), (429, b"")])
def test_github_poll_transient_failures_keep_polling(status: int, body: bytes) -> None:
    assert device.interpret_github_poll(status, body, 7) == Pending(7)


# --------------------------------------------------------------------------------------
# OpenAI


def test_openai_urls() -> None:
    assert device.openai_verification_url("https://auth.openai.com/") == (
        "https://auth.openai.com/codex/device"
    )
    assert device.openai_device_redirect_uri("https://auth.openai.com") == (
        "https://auth.openai.com/deviceauth/callback"
    )
    assert device.build_openai_usercode_request("cid") == {"client_id": "cid"}


@pytest.mark.parametrize(
    ("body", "user_code", "interval"),
    [
        ({"device_auth_id": "d", "user_code": "AB-12", "interval": "5"}, "AB-12", 5),
        ({"device_auth_id": "d", "usercode": "CD-34", "interval": "8"}, "CD-34", 8),
        (b'{"device_auth_id": "d", "user_code": "X", "interval": 3}', "X", 3),
        ({"device_auth_id": "d", "user_code": "X"}, "X", 5),
        ({"device_auth_id": "d", "user_code": "X", "interval": "0"}, "X", 1),
    ],
)
def test_parse_openai_usercode(body: Any, user_code: str, interval: float) -> None:
    code = device.parse_openai_usercode(200, body)
    assert (code.device_auth_id, code.user_code, code.interval) == ("d", user_code, interval)
    assert device.build_openai_token_poll(code) == {"device_auth_id": "d", "user_code": user_code}
    assert "device_auth_id='d'" not in repr(code)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, b"", "not enabled"),
        (500, {"error": {"message": "boom"}}, r"HTTP 500\): boom"),
        (200, b"<html>", r"HTTP 200"),
        (200, {"device_auth_id": "d"}, "incomplete"),
        (200, {"user_code": "X"}, "incomplete"),
    ],
)
def test_parse_openai_usercode_errors(status: int, body: Any, message: str) -> None:
    with pytest.raises(LoginError, match=message):
        device.parse_openai_usercode(status, body)


@pytest.mark.parametrize("status", [403, 404])
def test_openai_poll_pending(status: int) -> None:
    assert device.interpret_openai_poll(status, b"", 5) == Pending(5)


def test_openai_poll_success() -> None:
    grant = device.interpret_openai_poll(
        200,
        {"authorization_code": "ac", "code_verifier": "cv", "code_challenge": "cc"},
        5,
    )
    assert grant == OpenAIDeviceGrant("ac", "cv", "cc")
    assert "ac" not in repr(grant).replace("OpenAIDeviceGrant", "")
    grant2 = device.interpret_openai_poll(200, b'{"authorization_code":"a","code_verifier":"v"}', 5)
    assert grant2 == OpenAIDeviceGrant("a", "v", None)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, {"error": "temporary"}, r"HTTP 500\): temporary"),
        (401, b"nope", r"HTTP 401\): nope"),
        (200, b"garbage", "not JSON"),
        (200, {"authorization_code": "a"}, "lacks the authorization code"),
        (200, {"code_verifier": "v"}, "lacks the authorization code"),
    ],
)
def test_openai_poll_failures(status: int, body: Any, message: str) -> None:
    with pytest.raises(LoginError, match=message):
        device.interpret_openai_poll(status, body, 5)


# --------------------------------------------------------------------------------------
# The waiting loop


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_poll_until_success_follows_intervals() -> None:
    fake = FakeTime()
    answers: list[Pending | str] = [Pending(5), Pending(10, slowed=True), Pending(10), "tok"]
    seen_intervals: list[float] = []
    waits: list[Pending] = []

    def attempt(interval: float) -> Pending | str:
        seen_intervals.append(interval)
        return answers.pop(0)

    result = device.poll(
        attempt,
        interval=5,
        expires_in=900,
        sleep=fake.sleep,
        clock=fake.clock,
        on_wait=waits.append,
    )
    assert result == "tok"
    # The first poll waits too; slow_down raises every later wait.
    assert fake.sleeps == [5, 5, 10, 10]
    assert seen_intervals == [5, 5, 10, 10]
    assert waits == [Pending(5), Pending(10, slowed=True), Pending(10)]


def test_poll_gives_up_at_the_deadline_after_a_last_poll() -> None:
    fake = FakeTime()
    calls: list[float] = []

    def attempt(interval: float) -> Pending | str:
        calls.append(fake.now)
        return Pending(interval)

    with pytest.raises(LoginError, match="expired, sorry"):
        device.poll(
            attempt,
            interval=4,
            expires_in=10,
            sleep=fake.sleep,
            clock=fake.clock,
            expired_message="expired, sorry",
        )
    # 4, 8, then a last poll right at the deadline (10), then give up.
    assert fake.sleeps == [4, 4, 2]
    assert calls == [1004, 1008, 1010]


def test_poll_with_zero_lifetime_fails_at_once() -> None:
    fake = FakeTime()
    with pytest.raises(LoginError, match="run the login again"):
        device.poll(lambda _i: "x", interval=1, expires_in=0, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == []


def test_poll_propagates_login_errors() -> None:
    fake = FakeTime()

    def attempt(interval: float) -> Pending | str:
        raise LoginError("denied")

    with pytest.raises(LoginError, match="denied"):
        device.poll(attempt, interval=1, expires_in=60, sleep=fake.sleep, clock=fake.clock)


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_sleeper_testing_fast_caps_waits(value: str) -> None:
    sleep = device.sleeper({device.TESTING_FAST_ENV: value})
    start = time.monotonic()
    sleep(30)
    sleep(-1)
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize("env", [{}, {device.TESTING_FAST_ENV: "0"}, {device.TESTING_FAST_ENV: ""}])
def test_sleeper_default_is_time_sleep(env: dict[str, str]) -> None:
    assert device.sleeper(env) is time.sleep


def test_sleeper_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(device.TESTING_FAST_ENV, "1")
    assert device.sleeper() is not time.sleep
    monkeypatch.delenv(device.TESTING_FAST_ENV)
    assert device.sleeper() is time.sleep


def test_openai_device_code_repr_hides_id() -> None:
    code = OpenAIDeviceCode("secret-id", "AB", 5)
    assert "secret-id" not in repr(code)
