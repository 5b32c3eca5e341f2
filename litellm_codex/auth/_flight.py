"""Async single-flight: concurrent tasks share one run of a blocking operation.

The credential managers do their refreshes and exchanges synchronously, under a
threading lock (and, for Codex, an inter-process file lock). Async callers must not block
the event loop on those, so they run them in a worker thread; and 32 tasks that all find
the token expired should wait for *one* worker, not queue 32 threads on the lock. A
:class:`SingleFlight` keys in-flight runs per event loop, so the first task starts the
worker and the others await the same future.

The workers are :class:`DaemonPool` threads, not the event loop's default executor: a
caller whose deadline passed stops waiting, but a refresh that has already spent its
refresh token must finish and store the new one; and neither ``asyncio.run`` nor the
interpreter's exit may wait for it (they join executor threads, which would stretch a
5 s ``timeout`` to the refresh's own 30 s).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

__all__ = ["DaemonPool", "SingleFlight", "SyncSingleFlight", "credential_workers", "sync_flight"]

T = TypeVar("T")


def _consume(future: asyncio.Future[Any]) -> None:
    # Retrieve the outcome so a failure nobody awaited (every waiter was cancelled) is not
    # logged as "exception was never retrieved".
    if not future.cancelled():
        future.exception()


class DaemonPool:
    """A few daemon worker threads (started on demand) that run blocking steps."""

    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._name = name
        self._queue: queue.SimpleQueue[tuple[concurrent.futures.Future[Any], Callable[[], Any]]]
        self._queue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``fn`` in a worker; its future."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._lock:
            self._queue.put((future, fn))
            if self._idle > 0:
                self._idle -= 1  # an idle worker takes it
            elif self._threads < self._size:
                self._threads += 1
                threading.Thread(
                    target=self._work, name=f"{self._name}-{self._threads}", daemon=True
                ).start()
            # else: queued until a worker is free
        return future

    def _work(self) -> None:
        while True:
            future, fn = self._queue.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as exc:  # handed to the waiter
                    future.set_exception(exc)
            with self._lock:
                self._idle += 1


#: The workers of credential steps (refresh, exchange, store reads), sync and async. A
#: step stuck on a silent token endpoint holds its worker until its own HTTP timeout, so
#: the pool grows (steps are single-flighted, so it stays small in practice).
credential_workers = DaemonPool(64, "litellm-codex-credentials")


class SyncSingleFlight:
    """Concurrent sync callers of the same step share one run in a worker thread."""

    def __init__(self) -> None:
        # Reentrant: a step that is already done runs its done-callback at once, in the
        # thread that is still holding the lock in `submit`.
        self._lock = threading.RLock()
        self._inflight: dict[Hashable, concurrent.futures.Future[Any]] = {}

    def submit(self, key: Hashable, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """The in-flight run for ``key``, or a new one of ``fn``."""
        with self._lock:
            future = self._inflight.get(key)
            if future is None:
                future = credential_workers.submit(fn)
                self._inflight[key] = future

                def _done(done: concurrent.futures.Future[Any], key: Hashable = key) -> None:
                    with self._lock:
                        if self._inflight.get(key) is done:
                            del self._inflight[key]

                future.add_done_callback(_done)
        return future


sync_flight = SyncSingleFlight()


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
                future = asyncio.wrap_future(credential_workers.submit(fn))
                per_loop[key] = future

                def _done(done: asyncio.Future[T], key: Hashable = key) -> None:
                    with self._lock:
                        if per_loop.get(key) is done:
                            del per_loop[key]
                    _consume(done)

                future.add_done_callback(_done)
        # shield: one waiter being cancelled must not cancel the shared run
        return await asyncio.shield(future)
