"""The skeleton both credential managers share: Codex refresh and Copilot exchange.

A :class:`CredentialManager` is a :class:`~litellm_codex.auth.access.CredentialSource`.
Its subclass says three things:

- :meth:`~CredentialManager.peek`: the access in memory when it needs no renewal (no I/O);
- :meth:`~CredentialManager._stale_token`: the token in memory (``None`` before the
  first), which keys the single flight of asyncio tasks;
- :meth:`~CredentialManager._renew`: renew under the subclass's locks (Codex: spend the
  refresh token after a guarded store reload; Copilot: exchange the GitHub token),
  ``force=True`` after a 401.

The base owns the rest, once: the stored login read once per process
(:class:`~litellm_codex.auth.stored_login.StoredLogin`), ``get``/``aget``/``after_unauthorized``
and their async twins (tasks share one worker thread per event loop through
:class:`~litellm_codex.auth._flight.SingleFlight`), the back-off after a failed proactive
renewal while the current token still works, the lazily made HTTP client (every request
checked by :func:`~litellm_codex._trust.check_trusted`) and ``close``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

import httpx

from litellm_codex._tls import shared_ssl_context
from litellm_codex._trust import check_trusted
from litellm_codex.auth._flight import SingleFlight
from litellm_codex.auth.access import Access
from litellm_codex.auth.store import TokenStore, default_store
from litellm_codex.auth.stored_login import StoredLogin

__all__ = ["RETRY_DELAY", "CredentialManager"]

L = TypeVar("L")

#: After a failed proactive renewal while the current token still works, wait this long
#: (seconds) before trying again, instead of hitting the token endpoint on every request.
RETRY_DELAY = 30.0


class CredentialManager(Generic[L]):
    """The credentials of one provider for this process (or one proxy user)."""

    #: Canonical provider name (:mod:`litellm_codex.provider_names`).
    provider: ClassVar[str]
    #: Timeout of the HTTP client this object makes for its renewals.
    http_timeout: ClassVar[float] = 30.0

    def __init__(
        self,
        store: TokenStore | None,
        load: Callable[[TokenStore], L | None],
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._http = http
        self._owns_http = http is None
        self._clock = clock
        self._stored: StoredLogin[L] = StoredLogin(self.provider, lambda: load(self.store), clock)
        self._retry_at = 0.0
        self._flight: SingleFlight[Access] = SingleFlight()

    # -- configuration ---------------------------------------------------------------

    @property
    def store(self) -> TokenStore:
        """The token store (the default store, chosen on first use)."""
        if self._store is None:
            self._store = default_store()
        return self._store

    @property
    def login(self) -> L | None:
        """The login held in memory (``None`` before the first use)."""
        return self._stored.value

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                timeout=self.http_timeout,
                verify=shared_ssl_context(),
                event_hooks={"request": [check_trusted]},
            )
        return self._http

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None

    # -- what a subclass says --------------------------------------------------------

    def peek(self) -> Access | None:
        """The access in memory when it needs no renewal (no I/O, no waiting), else ``None``."""
        raise NotImplementedError

    def _stale_token(self) -> str | None:
        """The token in memory, if any (renewals are keyed by it)."""
        raise NotImplementedError

    def _renew(self, stale: str | None, *, force: bool) -> Access:
        """Renew the access whose token is ``stale`` (``force``: after a 401)."""
        raise NotImplementedError

    # -- CredentialSource ------------------------------------------------------------

    def get(self) -> Access:
        """The current access; renewed first when it is due."""
        self._current()
        access = self.peek()
        if access is not None:
            return access
        return self._renew(self._stale_token(), force=False)

    async def aget(self) -> Access:
        """Async :meth:`get`: store reads and renewals run in a worker thread, one per
        event loop however many tasks wait."""
        access = self.peek()
        if access is not None:
            return access
        return await self._flight.run(("get", self._stale_token()), self.get)

    def after_unauthorized(self, stale: Access) -> Access:
        """After a 401 with ``stale``: adopt a newer stored token, else renew once."""
        self._current()
        return self._renew(stale.token, force=True)

    async def aafter_unauthorized(self, stale: Access) -> Access:
        """Async :meth:`after_unauthorized`."""
        return await self._flight.run(("401", stale.token), lambda: self.after_unauthorized(stale))

    # -- helpers for subclasses ------------------------------------------------------

    def _current(self) -> L:
        """The login; reads the store the first time (raises ``NotLoggedInError``)."""
        return self._stored.current()

    def _renewal_due(self, due: bool, expires_at: float | None) -> bool:
        """Whether to renew a token that is ``due`` by its own rule: not while backing off
        after a failed proactive renewal and the token still works."""
        if not due:
            return False
        now = self._clock()
        still_valid = expires_at is not None and expires_at > now
        return not (still_valid and now < self._retry_at)

    def _keep_current(self, expires_at: float | None, *, force: bool) -> bool:
        """After a failed renewal: whether the current token (expiring at ``expires_at``)
        still serves; if so, back off for :data:`RETRY_DELAY` before trying again.
        Never after a 401 (``force``): that token is known to be refused."""
        now = self._clock()
        if force or expires_at is None or expires_at <= now:
            return False
        self._retry_at = now + RETRY_DELAY
        return True

    def _renewed(self) -> None:
        """A renewal succeeded: stop backing off."""
        self._retry_at = 0.0
