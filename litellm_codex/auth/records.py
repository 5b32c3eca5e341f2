"""What a login stores, one record per provider (pydantic models; ``repr`` hides secrets).

Records are serialised to compact JSON by the store (keyring entry or file). Field names
are part of the on-disk format: add fields with defaults, never rename.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from litellm_codex.codex_client import AUTH_BASE
from litellm_codex.copilot_identity import GITHUB_API_URL, GITHUB_URL

__all__ = ["CodexCliLink", "CodexLogin", "CopilotLogin"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CodexCliLink(_Record):
    """Where an imported Codex CLI login lives, so refreshes are written back there."""

    #: ``file``: ``$CODEX_HOME/auth.json``; ``keyring``: service "Codex Auth".
    kind: Literal["file", "keyring"]
    #: The auth.json path (``file``) or the keyring account ``cli|<sha16>`` (``keyring``).
    location: str
    #: The Codex CLI's ``CODEX_HOME`` (where its ``auth.lock`` lives); ``None`` in links
    #: stored before it was recorded (then derived from ``location`` or ``$CODEX_HOME``).
    home: str | None = None


class CodexLogin(_Record):
    """A ChatGPT (Codex) OAuth login."""

    access_token: str = Field(repr=False)
    refresh_token: str = Field(repr=False)
    id_token: str | None = Field(default=None, repr=False)
    account_id: str | None = None
    email: str | None = None
    plan: str | None = None
    #: Access-token expiry (Unix seconds) from its JWT ``exp``.
    expires_at: float | None = None
    #: When the tokens were last obtained or refreshed (Unix seconds).
    last_refresh: float | None = None
    #: The OAuth issuer the tokens came from (for refresh and revoke).
    auth_base: str = AUTH_BASE
    #: Set when the login was imported from the Codex CLI and is kept in sync with it.
    codex_cli: CodexCliLink | None = None


class CopilotLogin(_Record):
    """A GitHub login used for Copilot."""

    github_token: str = Field(repr=False)
    #: GitHub user login (``octocat``), for status output.
    login: str | None = None
    #: Web base of the device flow (``https://github.com`` or ``https://<enterprise>``).
    github_url: str = GITHUB_URL
    #: REST API base of the token exchange.
    github_api_url: str = GITHUB_API_URL
    #: Copilot API base overriding the token's ``endpoints.api`` (enterprise), if any.
    api_base: str | None = None
    #: The ``--enterprise`` domain, if any.
    enterprise: str | None = None
    #: How the token was obtained: ``device``, ``env``, ``editor`` or ``litellm``.
    source: str = "device"
    #: How the token reaches Copilot: ``exchange`` (swapped for short-lived Copilot tokens
    #: at ``copilot_internal/v2/token``), ``direct`` (sent as the bearer itself, as the
    #: Copilot CLI does, for tokens the exchange refuses), or ``None`` (older records:
    #: exchange first, direct if refused).
    mode: Literal["exchange", "direct"] | None = None
