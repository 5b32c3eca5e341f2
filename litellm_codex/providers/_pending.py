"""A credential source for a provider whose login is not available."""

from __future__ import annotations

from litellm_codex.auth._types import Access
from litellm_codex.errors import NotLoggedInError


class NotLoggedIn:
    """Raises :class:`NotLoggedInError` on every use."""

    def __init__(self, provider: str) -> None:
        self.provider = provider

    def get(self) -> Access:
        raise NotLoggedInError(self.provider)

    async def aget(self) -> Access:
        raise NotLoggedInError(self.provider)

    def after_unauthorized(self, stale: Access) -> Access:
        raise NotLoggedInError(self.provider)

    async def aafter_unauthorized(self, stale: Access) -> Access:
        raise NotLoggedInError(self.provider)
