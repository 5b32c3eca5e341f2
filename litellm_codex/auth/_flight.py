"""Async single-flight: concurrent tasks share one run of a blocking operation.

The credential managers do their refreshes and exchanges synchronously, under a
threading lock (and, for Codex, an inter-process file lock). Async callers must not block
the event loop on those, so they run them in a worker thread; and 32 tasks that all find
the token expired should wait for *one* worker, not queue 32 threads on the lock. A
:class:`SingleFlight` keys in-flight runs per event loop, so the first task starts the
worker and the others await the same future.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

__all__ = ["SingleFlight"]

T = TypeVar("T")


def _consume(future: asyncio.Future[Any]) -> None:
    # Retrieve the outcome so a failure nobody awaited (every waiter was cancelled) is not
    # logged as "exception was never retrieved".
    if not future.cancelled():
        future.exception()


class SingleFlight(Generic[T]):
    """Run ``fn`` in a worker thread once per ``key`` at a time, per event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inflight: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[Hashable, asyncio.Future[T]]
        ] = weakref.WeakKeyDictionary()

    async def run(self, key: Hashable, fn: Callable[[], T]) -> T:
        """Await the in-flight run for ``key`` or start one with ``fn``."""
        loop = asyncio.get_running_loop()
        with self._lock:
            per_loop = self._inflight.setdefault(loop, {})
            future = per_loop.get(key)
            if future is None:
                future = asyncio.ensure_future(asyncio.to_thread(fn))
                per_loop[key] = future

                def _done(done: asyncio.Future[T], key: Hashable = key) -> None:
                    with self._lock:
                        if per_loop.get(key) is done:
                            del per_loop[key]
                    _consume(done)

                future.add_done_callback(_done)
        # shield: one waiter being cancelled must not cancel the shared run
        return await asyncio.shield(future)
