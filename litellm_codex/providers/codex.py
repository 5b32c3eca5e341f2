"""The ``openai-codex/`` handler: ChatGPT subscription models over the Codex backend."""

from __future__ import annotations

from typing import ClassVar

from litellm_codex.auth._types import Access, CredentialSource
from litellm_codex.providers._base import BaseProvider, CallContext, UpstreamCall
from litellm_codex.providers._pending import NotLoggedIn

__all__ = ["CodexProvider"]


class CodexProvider(BaseProvider):
    """Handler for ``openai-codex/<model>``."""

    provider_name: ClassVar[str] = "openai-codex"
    exposed_header_prefixes: ClassVar[tuple[str, ...]] = (
        "x-codex-", "x-ratelimit-", "retry-after", "x-request-id", "x-oai-request-id",
    )

    def credentials(self) -> CredentialSource:
        return NotLoggedIn(self.provider_name)

    def build_call(self, ctx: CallContext, access: Access) -> UpstreamCall:
        raise NotImplementedError
