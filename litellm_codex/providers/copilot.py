"""The ``github_copilot/`` handler: GitHub Copilot chat models."""

from __future__ import annotations

from typing import ClassVar

from litellm_codex.auth._types import Access, CredentialSource
from litellm_codex.providers._base import BaseProvider, CallContext, UpstreamCall
from litellm_codex.providers._pending import NotLoggedIn

__all__ = ["CopilotProvider"]


class CopilotProvider(BaseProvider):
    """Handler for ``github_copilot/<model>`` (and the alias ``github-copilot/``)."""

    provider_name: ClassVar[str] = "github_copilot"
    exposed_header_prefixes: ClassVar[tuple[str, ...]] = (
        "x-quota-snapshot-", "x-ratelimit-", "retry-after", "x-request-id", "x-github-request-id",
    )

    def credentials(self) -> CredentialSource:
        return NotLoggedIn(self.provider_name)

    def build_call(self, ctx: CallContext, access: Access) -> UpstreamCall:
        raise NotImplementedError
