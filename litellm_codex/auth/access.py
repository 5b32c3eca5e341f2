"""What the provider layer needs from the credentials layer, and nothing more.

A provider holds one :class:`CredentialSource` per upstream. Before a request it asks for
an :class:`Access` (cached in memory; refreshed proactively when close to expiry); after a
401 it hands the stale access back to :meth:`CredentialSource.after_unauthorized`, which
adopts a token another process stored or refreshes / re-exchanges exactly once, and
returns the new access (or raises :class:`~litellm_codex.errors.CredentialsError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Access", "CredentialSource"]


@dataclass(frozen=True)
class Access:
    """Everything a request needs to authenticate. ``repr`` never shows the token."""

    token: str = field(repr=False)
    #: Headers to send (``Authorization``, ``ChatGPT-Account-ID``...). Not in ``repr``.
    headers: Mapping[str, str] = field(repr=False)
    #: API base the credentials dictate (Copilot ``endpoints.api``), else ``None``.
    api_base: str | None = None
    #: A non-secret label for logs and status: account id, email or GitHub login.
    label: str = ""
    #: Unix time the token expires, when known.
    expires_at: float | None = None


class CredentialSource(Protocol):
    """The credentials of one provider, sync and async."""

    def get(self) -> Access:
        """Current access; refreshes first when it is expired or about to expire."""
        ...

    async def aget(self) -> Access:
        """Async :meth:`get`."""
        ...

    def peek(self) -> Access | None:
        """The current access if it can be had without I/O or waiting, else ``None``
        (lets a caller skip handing :meth:`get` to a worker thread)."""
        ...

    def after_unauthorized(self, stale: Access) -> Access:
        """Called once after a 401 with the access that failed; returns a fresh one."""
        ...

    async def aafter_unauthorized(self, stale: Access) -> Access:
        """Async :meth:`after_unauthorized`."""
        ...
