"""One fault API for every simulator: scripted misbehaviour, queued, used once each.

A :class:`Fault` is one of two kinds:

- an **answer** fault replaces the simulator's answer with its own: an HTTP status with a
  body (:meth:`Fault.status`), or any response a builder makes (:meth:`Fault.respond`,
  which the simulators use for their own named faults, e.g. Codex's
  ``Fault.usage_limit()`` or Copilot's ``Fault.quota_exceeded()``);
- a **break** fault lets the normal answer start and breaks it after ``after`` stream
  frames (events): :meth:`Fault.drop` cuts the connection, :meth:`Fault.stall` goes quiet,
  :meth:`Fault.malformed` sends a frame that is not JSON. On a whole (non-streamed) body,
  ``drop`` sends half of it, ``stall`` delays it and ``malformed`` garbles it.

Each simulator subclasses :class:`Fault` for its own named faults and keeps the queued
faults in a :class:`FaultQueue`; tests spell the same thing the same way on both::

    sim.queue(Fault.status(500), Fault.drop(after=3), Fault.stall(5, after=1))

Where in a request's handling a simulator consults its queue is part of what it
simulates and is documented on it: the Codex backend applies every fault after the auth
and body checks (so the call is recorded); the Copilot API answers status faults before
authentication (like a proxy in front of it) and breaks only successful answers.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from litellm_codex.testing._server import DROP, Response, Stall

__all__ = ["MALFORMED_FRAME", "Fault", "FaultQueue"]

#: The frame :meth:`Fault.malformed` inserts: an SSE ``data:`` line that is not JSON.
MALFORMED_FRAME = b"data: {not json\n\n"

F = TypeVar("F", bound="Fault")

#: What an answer fault is given: the simulator's context for the request (Codex: its
#: ``Turn``; Copilot: ``None``).
Builder = Callable[[Any], Response]


@dataclass(frozen=True)
class Fault:
    """A scripted misbehaviour for one request (see the module docstring)."""

    #: Shown in reprs and recorded by the simulators (e.g. ``"status:500"``, ``"drop"``).
    name: str
    #: Answer faults: builds the whole answer from the simulator's request context.
    builder: Builder | None = None
    #: Break faults: ``"drop"``, ``"stall"`` or ``"malformed"``.
    breaks: str | None = None
    #: Break faults: how many frames of the normal answer go out first.
    after: int = 0
    #: ``stall``: how long to go quiet.
    seconds: float = 0.0
    #: ``malformed``: the frame inserted.
    frame: bytes = MALFORMED_FRAME

    def __repr__(self) -> str:
        return f"Fault({self.name})"

    @property
    def answers(self) -> bool:
        """True for an answer fault, False for a break fault."""
        return self.builder is not None

    # -- answer faults --------------------------------------------------------------------

    @classmethod
    def respond(cls: type[F], name: str, builder: Builder) -> F:
        """Answer with ``builder(context)`` instead of the normal answer."""
        return cls(name, builder=builder)

    @classmethod
    def default_status_body(cls, code: int) -> Any:
        """The body :meth:`status` sends when none is given (simulators override it)."""
        return {"error": {"message": f"HTTP {code}"}}

    @classmethod
    def response_headers(cls) -> dict[str, str]:
        """Headers every answer fault of this simulator carries (e.g. request ids), made
        fresh for each answer."""
        return {}

    @classmethod
    def status(
        cls: type[F], code: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> F:
        """Answer ``code`` with ``body``: JSON unless bytes or str (sent as text), the
        simulator's default error body when ``None``; plus ``headers``."""
        hdrs = dict(headers or {})
        raw: bytes
        if isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw = body.encode()
            hdrs.setdefault("content-type", "text/plain; charset=utf-8")
        else:
            payload = cls.default_status_body(code) if body is None else body
            raw = json.dumps(payload).encode()
            hdrs.setdefault("content-type", "application/json")

        def build(_: Any) -> Response:
            return Response(code, {**cls.response_headers(), **hdrs}, raw)

        return cls(f"status:{code}", builder=build)

    def answer(self, context: Any) -> Response:
        """The answer of an answer fault for ``context``."""
        if self.builder is None:
            raise TypeError(f"{self!r} breaks an answer; it does not make one")
        return self.builder(context)

    # -- break faults ---------------------------------------------------------------------

    @classmethod
    def drop(cls: type[F], after: int = 0) -> F:
        """Close the connection after ``after`` frames, without ending the body."""
        return cls(f"drop:{after}", breaks="drop", after=after)

    @classmethod
    def stall(cls: type[F], seconds: float, after: int = 0) -> F:
        """Go quiet for ``seconds`` after ``after`` frames, then go on (the stall ends early
        when the server stops)."""
        return cls(f"stall:{seconds:g}", breaks="stall", after=after, seconds=seconds)

    @classmethod
    def malformed(cls: type[F], after: int = 1, frame: bytes = MALFORMED_FRAME) -> F:
        """Insert ``frame`` (not JSON) after ``after`` frames."""
        return cls("malformed", breaks="malformed", after=after, frame=frame)

    def apply(self, response: Response) -> Response:
        """Break ``response`` (the normal answer) as this fault says."""
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        if response.stream is None:
            body = response.body
            whole: dict[str, list[Any]] = {
                "drop": [body[: len(body) // 2], DROP],
                "stall": [Stall(self.seconds), body],
                "malformed": [self.frame if self.frame != MALFORMED_FRAME else b"{not json"],
            }
            return Response(response.status, headers, stream=whole[str(self.breaks)])
        frames = list(response.stream)
        head, tail = frames[: self.after], frames[self.after :]
        if self.breaks == "drop":
            frames = [*head, DROP]
        elif self.breaks == "stall":
            frames = [*head, Stall(self.seconds), *tail]
        elif self.breaks == "malformed":
            frames = [*head, self.frame, *tail]
        else:
            raise TypeError(f"{self!r} makes an answer; it does not break one")
        return Response(response.status, headers, stream=frames)


class FaultQueue:
    """Queued faults, each for one endpoint (``None``: any), used once, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: deque[tuple[str | None, Fault]] = deque()

    def put(self, *faults: Fault, endpoint: str | None = None) -> None:
        """Queue ``faults`` for the next requests to ``endpoint``."""
        with self._lock:
            self._faults.extend((endpoint, fault) for fault in faults)

    def take(self, endpoint: str, *, answers: bool | None = None) -> Fault | None:
        """The next fault for ``endpoint``, removed from the queue. With ``answers``
        given, only when that next fault is of that kind (it stays queued otherwise, so
        the order holds)."""
        with self._lock:
            for entry in self._faults:
                if entry[0] is None or entry[0] == endpoint:
                    if answers is not None and entry[1].answers != answers:
                        return None
                    self._faults.remove(entry)
                    return entry[1]
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)

    def clear(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._faults.clear()
