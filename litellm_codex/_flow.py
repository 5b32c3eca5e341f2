"""The retry / re-authorisation / re-plan policy of one upstream call, without any I/O.

httpx's ``Auth.auth_flow`` is the model: :func:`call_flow` is a generator that *yields
actions* (get credentials, plan the request, send it, sleep, ...) and *receives their
results*; it never touches a socket, a clock or a lock itself. A thin sync loop and a thin
async loop in :mod:`litellm_codex.providers._base` perform the actions, so both halves
follow exactly the same policy, and unit tests drive the flow by hand::

    flow = call_flow(policy, deadline)
    action = next(flow)                 # GetAccess()
    action = flow.send(access)          # Plan(access)
    action = flow.send(call)            # Send(call, access, timeout)
    action = flow.send(Outcome(error=upstream_error(503, ...)))   # Sleep(0.25)
    ...
    flow.send(Outcome(value=answer))    # StopIteration(answer)

The policy, in order, for an attempt that failed with ``error``:

1. a 401, the first time: hand the stale access back (refresh / re-exchange), plan again;
2. a retryable failure (5xx, a connection failure, a stream that broke before anything
   reached the caller) while retries remain and the backoff fits in the deadline: sleep,
   send again;
3. the provider may re-plan once (Copilot reroutes ``unsupported_api_for_model``);
4. otherwise the error is raised.

Every action carries the time left on the call's one :class:`Deadline`; before each one
the flow raises :class:`~litellm_codex.errors.DeadlineExceeded` when nothing is left.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import httpx

from litellm_codex.auth.access import Access
from litellm_codex.errors import DeadlineExceeded, ResponseTooLarge, StreamError, UpstreamError

__all__ = [
    "Deadline",
    "GetAccess",
    "Outcome",
    "Plan",
    "Policy",
    "Reauthorize",
    "Replan",
    "Send",
    "Sleep",
    "call_flow",
    "retryable",
]


@dataclass
class Deadline:
    """The one deadline of a call: ``timeout`` seconds from its start."""

    timeout: float
    clock: Callable[[], float] = time.monotonic
    start: float = field(default=-1.0)

    def __post_init__(self) -> None:
        if self.start < 0:
            self.start = self.clock()

    @property
    def at(self) -> float:
        """The monotonic time the call must be over by."""
        return self.start + self.timeout

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.at - self.clock())

    def expired(self) -> bool:
        """Whether no time is left."""
        return self.clock() >= self.at

    def check(self, stage: str) -> None:
        """Raise :class:`DeadlineExceeded` (naming ``stage``) when no time is left."""
        if self.expired():
            raise DeadlineExceeded(self.timeout, stage)

    def exceeded(self, stage: str) -> DeadlineExceeded:
        """The error to raise when ``stage`` ran out of time."""
        return DeadlineExceeded(self.timeout, stage)


@dataclass(frozen=True)
class Policy:
    """Retry settings (from the environment, see ``BaseProvider``)."""

    max_retries: int = 2
    base_delay: float = 0.25
    max_delay: float = 30.0
    jitter: Callable[[], float] = field(
        default=lambda: random.uniform(0.9, 1.1)  # noqa: S311  (jitter, not security)
    )

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Delay before retry number ``attempt + 1``: the upstream's ``retry-after`` when
        given, else exponential from ``base_delay`` with ±10% jitter."""
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        delay: float = self.base_delay * (2**attempt) * self.jitter()
        return min(delay, self.max_delay)


# -- actions (yielded by the flow) -------------------------------------------------------


@dataclass(frozen=True)
class GetAccess:
    """Get the current access (may refresh). Result: :class:`Access`."""

    deadline: Deadline


@dataclass(frozen=True)
class Reauthorize:
    """After a 401 with ``stale``: adopt or refresh once. Result: :class:`Access`."""

    stale: Access
    deadline: Deadline


@dataclass(frozen=True)
class Plan:
    """Plan the request for ``access``. Result: the provider's call object."""

    access: Access
    deadline: Deadline


@dataclass(frozen=True)
class Send:
    """Send ``call`` with ``access`` and receive the answer. Result: :class:`Outcome`."""

    call: Any
    access: Access
    attempt: int
    deadline: Deadline


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` (always within the deadline). Result: ignored."""

    seconds: float


@dataclass(frozen=True)
class Replan:
    """Ask the provider for another plan after ``error``. Result: a call or ``None``."""

    error: UpstreamError
    call: Any


Action = GetAccess | Reauthorize | Plan | Send | Sleep | Replan


@dataclass(frozen=True)
class Outcome:
    """What a :class:`Send` produced: a ``value`` or the ``error`` that ended it."""

    value: Any = None
    error: BaseException | None = None


def retryable(error: BaseException) -> bool:
    """Whether sending again may help: a 5xx, a connection failure, a stream that broke at
    the connection level. Not: a stall or deadline (the time is spent), a body too large,
    a failure the upstream reported in the stream, a client error."""
    if isinstance(error, (ResponseTooLarge, DeadlineExceeded)):
        return False
    if isinstance(error, StreamError):
        return error.status is None and error.code is None and not error.timed_out
    if isinstance(error, UpstreamError):
        return error.status is not None and error.status >= 500
    if isinstance(error, httpx.UnsupportedProtocol):
        return False
    return isinstance(error, httpx.TransportError)


def call_flow(policy: Policy, deadline: Deadline) -> Generator[Action, Any, Any]:
    """The decision flow of one call; returns the value of the successful :class:`Send`."""
    deadline.check("getting credentials")
    access: Access = yield GetAccess(deadline)
    deadline.check("planning the request")
    call = yield Plan(access, deadline)
    attempt = 0
    reauthed = replanned = False
    while True:
        deadline.check("connecting" if attempt == 0 else f"retrying (attempt {attempt + 1})")
        outcome: Outcome = yield Send(call, access, attempt, deadline)
        error = outcome.error
        if error is None:
            return outcome.value
        if isinstance(error, UpstreamError) and error.status == 401 and not reauthed:
            reauthed = True
            deadline.check("refreshing credentials after a 401")
            access = yield Reauthorize(access, deadline)
            call = yield Plan(access, deadline)
            continue
        if retryable(error) and attempt < policy.max_retries:
            retry_after = error.retry_after if isinstance(error, UpstreamError) else None
            delay = policy.backoff(attempt, retry_after)
            if delay < deadline.remaining():
                yield Sleep(delay)
                attempt += 1
                continue
            # No time left for another attempt: the failure itself is the answer, unless
            # it was a timeout, which the deadline explains better.
            if isinstance(error, httpx.TimeoutException):
                raise deadline.exceeded("waiting for the upstream") from error
            raise error
        if not replanned and isinstance(error, UpstreamError):
            new_call = yield Replan(error, call)
            if new_call is not None:
                replanned = True
                call = new_call
                continue
        raise error
