"""The stored login of one provider, read once per process (shared by both managers)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from litellm_codex.errors import NotLoggedInError

__all__ = ["NOT_LOGGED_IN_RECHECK", "ProcessWide", "StoredLogin"]

L = TypeVar("L")
M = TypeVar("M", bound="_Closable")

#: While nothing is stored, look again at most this often (seconds), so a `login` run in
#: another terminal is picked up without restarting a long-lived process (the proxy).
NOT_LOGGED_IN_RECHECK = 10.0


class StoredLogin(Generic[L]):
    """Holds the login in memory; the store is read on first use, not per request.

    ``value`` may be replaced by the manager (after a refresh, or when it adopts a login
    another process stored).
    """

    def __init__(
        self, provider: str, load: Callable[[], L | None], clock: Callable[[], float]
    ) -> None:
        self._provider = provider
        self._load = load
        self._clock = clock
        self._lock = threading.Lock()
        self._loaded = False
        self._checked_at = 0.0
        #: The login in memory, or ``None`` before the first read / when nothing is stored.
        self.value: L | None = None

    def current(self) -> L:
        """The login; reads the store the first time (and, while absent, every 10 s)."""
        login = self.value
        if login is not None:
            return login
        with self._lock:
            now = self._clock()
            if self.value is None and (
                not self._loaded or now - self._checked_at >= NOT_LOGGED_IN_RECHECK
            ):
                self._checked_at = now
                self.value = self._load()
                self._loaded = True
            if self.value is None:
                raise NotLoggedInError(self._provider)
            return self.value


class _Closable(Protocol):
    def close(self) -> None: ...


class ProcessWide(Generic[M]):
    """One lazily created instance per process (a credential manager), resettable."""

    def __init__(self, factory: Callable[[], M]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._instance: M | None = None

    def get(self) -> M:
        """The instance; created on first use (creating it does no I/O)."""
        with self._lock:
            if self._instance is None:
                self._instance = self._factory()
            return self._instance

    def reset(self) -> None:
        """Forget (and close) the instance; the next :meth:`get` makes a new one."""
        with self._lock:
            old, self._instance = self._instance, None
        if old is not None:
            old.close()
