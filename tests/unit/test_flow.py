"""The I/O-free call flow (litellm_codex._flow), driven by hand like httpx's auth flows."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import httpx
import pytest

from litellm_codex._flow import (
    Deadline,
    GetAccess,
    Outcome,
    Plan,
    Policy,
    Reauthorize,
    Replan,
    Send,
    Sleep,
    call_flow,
    retryable,
)
from litellm_codex.auth.access import Access
from litellm_codex.errors import DeadlineExceeded, ResponseTooLarge, StreamError, UpstreamError

ACCESS = Access(token="t1", headers={"Authorization": "Bearer t1"})
FRESH = Access(token="t2", headers={"Authorization": "Bearer t2"})


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def start(timeout: float = 10.0, retries: int = 2) -> tuple[Generator[Any, Any, Any], Clock]:
    clock = Clock()
    flow = call_flow(
        Policy(max_retries=retries, base_delay=1.0, jitter=lambda: 1.0),
        Deadline(timeout, clock=clock),
    )
    assert isinstance(next(flow), GetAccess)
    assert flow.send(ACCESS) == Plan(ACCESS, flow.gi_frame.f_locals["deadline"])
    return flow, clock


def test_success_returns_the_value() -> None:
    flow, _ = start()
    send = flow.send("call-1")
    assert isinstance(send, Send) and send.call == "call-1" and send.attempt == 0
    with pytest.raises(StopIteration) as stop:
        flow.send(Outcome(value="answer"))
    assert stop.value.value == "answer"


def test_401_reauthorizes_once_then_plans_again() -> None:
    flow, _ = start()
    flow.send("call-1")
    action = flow.send(Outcome(error=UpstreamError("no", status=401)))
    assert isinstance(action, Reauthorize) and action.stale is ACCESS
    assert isinstance(flow.send(FRESH), Plan)
    send = flow.send("call-2")
    assert isinstance(send, Send) and send.access is FRESH
    # The second 401 is the answer (after the provider declined to re-plan).
    assert isinstance(flow.send(Outcome(error=UpstreamError("no again", status=401))), Replan)
    with pytest.raises(UpstreamError, match="no again"):
        flow.send(None)


def test_5xx_backs_off_exponentially_then_fails() -> None:
    flow, clock = start(timeout=100)
    flow.send("call")
    delays = []
    for _ in range(2):
        action = flow.send(Outcome(error=UpstreamError("busy", status=503)))
        assert isinstance(action, Sleep)
        delays.append(action.seconds)
        clock.now += action.seconds
        assert isinstance(flow.send(None), Send)
    assert delays == [1.0, 2.0]
    assert isinstance(flow.send(Outcome(error=UpstreamError("busy", status=503))), Replan)
    with pytest.raises(UpstreamError, match="busy"):
        flow.send(None)


def test_retry_after_is_honoured() -> None:
    flow, _ = start(timeout=100)
    flow.send("call")
    action = flow.send(Outcome(error=UpstreamError("busy", status=503, retry_after=7)))
    assert action == Sleep(7)


def test_backoff_that_does_not_fit_the_deadline_is_not_slept() -> None:
    flow, clock = start(timeout=3)
    flow.send("call")
    clock.now += 2.5
    with pytest.raises(UpstreamError, match="busy"):
        flow.send(Outcome(error=UpstreamError("busy", status=503)))


def test_timeout_without_time_left_is_a_deadline_error() -> None:
    flow, clock = start(timeout=3)
    flow.send("call")
    clock.now += 3
    with pytest.raises(DeadlineExceeded):
        flow.send(Outcome(error=httpx.ReadTimeout("slow")))


def test_no_send_after_the_deadline() -> None:
    flow, clock = start(timeout=3)
    flow.send("call")
    action = flow.send(Outcome(error=httpx.ConnectError("refused")))
    assert isinstance(action, Sleep)
    clock.now += 5
    with pytest.raises(DeadlineExceeded, match="after 3s"):
        flow.send(None)


def test_replan_once() -> None:
    flow, _ = start()
    flow.send("chat")
    err = UpstreamError("use responses", status=400, code="unsupported_api_for_model")
    action = flow.send(Outcome(error=err))
    assert isinstance(action, Replan) and action.error is err and action.call == "chat"
    send = flow.send("responses")
    assert isinstance(send, Send) and send.call == "responses"
    with pytest.raises(UpstreamError):
        flow.send(Outcome(error=err))


def test_no_replan_means_the_error() -> None:
    flow, _ = start()
    flow.send("call")
    assert isinstance(flow.send(Outcome(error=UpstreamError("bad", status=400))), Replan)
    with pytest.raises(UpstreamError, match="bad"):
        flow.send(None)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (UpstreamError("x", status=500), True),
        (UpstreamError("x", status=429), False),
        (StreamError("dropped"), True),
        (StreamError("stalled", timed_out=True), False),
        (StreamError("failed", code="server_error"), False),
        (ResponseTooLarge("a line", 10, "X"), False),
        (DeadlineExceeded(1, "x"), False),
        (httpx.ConnectError("refused"), True),
        (httpx.UnsupportedProtocol("ftp"), False),
        (ValueError("bug"), False),
    ],
)
def test_retryable(error: BaseException, expected: bool) -> None:
    assert retryable(error) is expected


def test_credentials_are_not_fetched_after_the_deadline() -> None:
    clock = Clock()
    deadline = Deadline(1, clock=clock)
    clock.now += 2
    with pytest.raises(DeadlineExceeded, match="getting credentials"):
        next(call_flow(Policy(), deadline))


def test_sync_single_flight_with_a_step_that_is_already_done() -> None:
    # A step that finishes before its done-callback is attached ran that callback in the
    # thread still holding the lock: a deadlock before the lock was made reentrant.
    from litellm_codex.auth._flight import SyncSingleFlight

    flight = SyncSingleFlight()
    for i in range(200):
        assert flight.submit(("k", i), lambda i=i: i).result(timeout=5) == i
