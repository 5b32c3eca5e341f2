"""The one GitHub Copilot client identity: who we say we are to GitHub and to the Copilot API.

Every Copilot request (the token exchange, the login checks, ``copilot_internal/user``,
``/models``, ``/chat/completions``, ``/responses``, ``/v1/messages``, ``/embeddings``) takes
its identity headers from here, so they cannot drift apart again. The values are those of the
newest reference client, the GitHub Copilot CLI 1.0.102, captured 2026-11-30
(``protocols/reference-clients-2026-11.md`` §2):

- ``Editor-Version: copilot/1.0.102`` and no ``Editor-Plugin-Version``;
- ``Copilot-Integration-Id: copilot-developer-cli``;
- ``X-GitHub-Api-Version: 2026-08-01``;
- ``Copilot-Harness-Id: copilot-sdk``;
- ``Openai-Intent: conversation-agent`` (on ``/models``, ``/chat/completions`` and
  ``/responses``, not on ``/v1/messages``, which carries ``anthropic-version`` instead);
- a ``User-Agent`` that starts like the CLI's (``copilot/<version> (...)``) and names us;
- the correlation ids, with the lifetimes the capture shows (the golden requests in
  ``tests/conformance/golden/copilot``): ``X-Client-Machine-Id`` one per machine
  (:func:`machine_id`), ``X-Client-Session-Id`` one per session (:data:`SESSION_ID`; on
  ``/models`` the reference sends that value as ``X-Interaction-Id`` and no session header),
  ``X-Interaction-Id`` and ``X-Agent-Task-Id`` one per user turn, the same on the turn's
  first request and on every tool follow-up (:func:`turn_ids`), all uuid-shaped. The
  reference sends no per-request id (no ``X-Request-Id``).

GitHub retires old API versions (HTTP 466) and refuses new models to old editor versions
("model ... is not supported in this ... version, please update"), so each value can be
changed without a release: ``GITHUB_COPILOT_EDITOR_VERSION``,
``GITHUB_COPILOT_INTEGRATION_ID``, ``GITHUB_COPILOT_API_VERSION`` (:mod:`litellm_codex.settings`).
:func:`too_old_hint` turns such answers into a sentence that names the variable to set.

Nothing here imports LiteLLM; the only I/O is one small read of the machine id (:func:`machine_id`;
:func:`amachine_id` does it off the event loop).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import platform
import re
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from litellm_codex import settings

__all__ = [
    "ANTHROPIC_VERSION",
    "API_VERSION",
    "API_VERSION_ENV",
    "EDITOR_APP_CLIENT_ID",
    "EDITOR_VERSION",
    "EDITOR_VERSION_ENV",
    "HARNESS_ID",
    "INTEGRATION_ID",
    "INTEGRATION_ID_ENV",
    "OAUTH_CLIENT_ID",
    "OAUTH_SCOPE",
    "OPENAI_INTENT",
    "SESSION_ID",
    "CopilotIdentity",
    "amachine_id",
    "current",
    "machine_id",
    "too_old_hint",
    "turn_ids",
]

# -- the reference values (reference-clients-2026-11.md §2, Copilot CLI 1.0.102) --------
#: The Copilot CLI's OAuth app, used by ``litellm-codex login github-copilot``. Its tokens
#: are not accepted by the ``copilot_internal/v2/token`` exchange: they are used directly as
#: the bearer (direct-token mode, as the CLI does).
OAUTH_CLIENT_ID = "Ov23ctDVkRmgkPke0Mmm"
#: Scope of the device-flow login: ``read:user`` only, a deliberate difference from the CLI
#: (least privilege). The CLI asks for
#: ``read:user,read:org,repo,gist,codespace,write:plugin_gateway_connections``
#: (reference-clients-2026-11.md §2) because it is also a coding agent: ``repo`` / ``gist`` /
#: ``codespace`` serve its GitHub tools (pull requests, gists, codespaces),
#: ``write:plugin_gateway_connections`` its plugin / MCP gateway, and ``read:org`` its
#: organisation features (``copilot_internal/managed_settings`` / ``team_customizations``,
#: fetched by the CLI before its first turn and never by us). What a model client calls,
#: ``copilot_internal/user`` and the model API with the GitHub token as the bearer, is what
#: every other client does with ``read:user`` alone: LiteLLM, copilot-api and zed on the
#: editor app, and opencode on its own OAuth app in the same direct-bearer mode
#: (github-copilot.md §1.1, "every client requests scope read:user"). Copilot access comes
#: from the user's seat, not from an OAuth scope; a token with ``repo`` would let anyone who
#: obtains it read and write every repository of the user, for no gain here.
OAUTH_SCOPE = "read:user"
#: The app of the Copilot editor plugins (VS Code, JetBrains, Vim): their stored logins
#: (``--from-editor``) and LiteLLM's built-in device flow use it, with the token exchange.
EDITOR_APP_CLIENT_ID = "Iv1.b507a08c87ecfe98"
EDITOR_VERSION = "copilot/1.0.102"
INTEGRATION_ID = "copilot-developer-cli"
API_VERSION = "2026-08-01"
HARNESS_ID = "copilot-sdk"
OPENAI_INTENT = "conversation-agent"
#: Sent on ``/v1/messages`` (the Anthropic Messages API version the reference sends).
ANTHROPIC_VERSION = "2023-06-01"

EDITOR_VERSION_ENV = "GITHUB_COPILOT_EDITOR_VERSION"
INTEGRATION_ID_ENV = "GITHUB_COPILOT_INTEGRATION_ID"
API_VERSION_ENV = "GITHUB_COPILOT_API_VERSION"

#: ``X-Client-Session-Id``: one per process, as the reference sends one per session.
SESSION_ID = str(uuid.uuid4())
#: Per-process key of :func:`turn_ids` (so turn ids say nothing about the conversation).
_TURN_KEY = os.urandom(32)
_TURN_NAMESPACE = b"litellm-codex github-copilot turn"

#: Where a Linux machine keeps its random, install-time machine id (systemd, D-Bus).
_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")
#: The application key of :func:`machine_id`'s keyed hash.
_MACHINE_ID_APP = b"litellm-codex github-copilot X-Client-Machine-Id v1"


def _machine_secret() -> bytes | None:
    """The operating system's own machine id (a secret we hash, never send), if any."""
    for path in _MACHINE_ID_FILES:
        try:
            with open(path, "rb") as handle:
                value = handle.read(256).strip()
        except OSError:
            continue
        if value:
            return value
    if sys.platform == "win32":  # pragma: no cover - Windows only
        try:
            import winreg

            with winreg.OpenKey(
                winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography"
            ) as key:
                value, _ = winreg.QueryValueEx(key, "MachineGuid")
            if isinstance(value, str) and value:
                return value.encode()
        except OSError:
            pass
    node = uuid.getnode()
    if not (node >> 40) & 1:  # a real hardware address (a random one has the multicast bit)
        return node.to_bytes(6, "big")
    return None


@functools.cache
def machine_id() -> str:
    """``X-Client-Machine-Id``: stable for this machine, uuid-shaped, and no identity in it.

    The reference sends a uuid that stays the same across its sessions. Ours is an
    HMAC-SHA256 of the operating system's machine id (``/etc/machine-id``, Windows'
    ``MachineGuid``; else the hardware address) keyed for this use only, the derivation
    systemd prescribes for application ids (``sd_id128_get_machine_app_specific``): the
    same on every run, without writing anything, and neither the machine id nor a
    hardware address or host name can be recovered from it. With none of those, a random id
    for the process. Computed once (a small file read), on the first request: in a worker
    thread for async calls (:func:`amachine_id`).
    """
    secret = _machine_secret()
    if secret is None:
        return str(uuid.uuid4())
    digest = hmac.new(secret, _MACHINE_ID_APP, hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


async def amachine_id() -> str:
    """:func:`machine_id` for async callers: its first computation (a file read, and without
    a machine id file :func:`uuid.getnode`, which may run a subprocess) runs in a worker
    thread, so no request builds it on the event loop. The Copilot provider awaits this
    before building an async call's headers."""
    if machine_id.cache_info().currsize:
        return machine_id()
    import asyncio  # not at import time: the sync paths never need it

    return await asyncio.to_thread(machine_id)


def turn_ids(turn: str) -> tuple[str, str]:
    """``(X-Interaction-Id, X-Agent-Task-Id)`` of the user turn that ``turn`` names.

    The reference keeps both for a whole user turn: the same on the turn's first request
    and on each tool follow-up, a new pair for the next prompt. A LiteLLM call carries no
    turn, so ``turn`` is the conversation up to its latest user prompt (serialised by the
    caller), the same on every request of that turn; the ids are keyed hashes of it under a
    per-process key, so equal conversations map to equal ids within a session and nothing
    of the conversation can be read from them.
    """
    digest = hmac.new(_TURN_KEY, _TURN_NAMESPACE + turn.encode(), hashlib.sha256).digest()
    interaction = uuid.UUID(bytes=digest[:16], version=4)
    task = uuid.UUID(bytes=digest[16:], version=4)
    return str(interaction), str(task)


def _package_version() -> str:
    from litellm_codex import __version__

    return __version__


@dataclass(frozen=True)
class CopilotIdentity:
    """The identity values in force (reference values, or the environment's)."""

    editor_version: str = EDITOR_VERSION
    integration_id: str = INTEGRATION_ID
    api_version: str = API_VERSION

    @functools.cached_property
    def user_agent(self) -> str:
        """``copilot/1.0.102 (Linux x86_64) litellm-codex/<version> client/github/cli``.

        Starts with the editor version like the reference's
        (``copilot/1.0.102 (linux v24.20.0) term/unknown client/github/cli``), so an
        override of the editor version changes both.
        """
        system = f"{platform.system()} {platform.machine()}".strip() or "unknown"
        return (
            f"{self.editor_version} ({system}) litellm-codex/{_package_version()} client/github/cli"
        )

    def github_headers(self) -> dict[str, str]:
        """Identity headers for GitHub's own API (token exchange, ``copilot_internal/user``)."""
        return {
            "Editor-Version": self.editor_version,
            "Copilot-Integration-Id": self.integration_id,
            "User-Agent": self.user_agent,
            "X-GitHub-Api-Version": self.api_version,
        }

    def api_headers(
        self, *, intent: str | None = OPENAI_INTENT, turn: str | None = None
    ) -> dict[str, str]:
        """Identity headers for a Copilot model call (``intent=None``: no ``Openai-Intent``).

        ``turn`` names the user turn (see :func:`turn_ids`) for ``X-Interaction-Id`` and
        ``X-Agent-Task-Id``.
        """
        interaction, task = turn_ids(turn or "")
        headers = {
            "Copilot-Integration-Id": self.integration_id,
            "Editor-Version": self.editor_version,
            "X-GitHub-Api-Version": self.api_version,
            "Copilot-Harness-Id": HARNESS_ID,
            "User-Agent": self.user_agent,
            "X-Client-Session-Id": SESSION_ID,
            "X-Client-Machine-Id": machine_id(),
            "X-Interaction-Id": interaction,
            "X-Agent-Task-Id": task,
        }
        if intent:
            headers["Openai-Intent"] = intent
        return headers

    def models_headers(self) -> dict[str, str]:
        """Headers of ``GET /models``, as the reference sends them: ``X-Initiator: user``,
        the session id as ``X-Interaction-Id``, no session / task / interaction-type header."""
        return {
            "Copilot-Integration-Id": self.integration_id,
            "Editor-Version": self.editor_version,
            "X-GitHub-Api-Version": self.api_version,
            "Copilot-Harness-Id": HARNESS_ID,
            "User-Agent": self.user_agent,
            "Openai-Intent": OPENAI_INTENT,
            "X-Initiator": "user",
            "X-Interaction-Id": SESSION_ID,
            "X-Client-Machine-Id": machine_id(),
            "Accept": "application/json",
            "Content-Type": "application/json",
        }


#: The identity built from the settings object it was built from (one per settings read).
_built: tuple[settings.Settings, CopilotIdentity] | None = None


def current(env: Mapping[str, str] | None = None) -> CopilotIdentity:
    """The identity for the next request: the reference values, each overridable by env.

    Built once per settings read (:func:`litellm_codex.settings.reload` makes the next
    call build it again), not once per request."""
    global _built
    if env is not None:
        return _identity(settings.Settings.from_env(env))
    found = settings.current()
    built = _built
    if built is not None and built[0] is found:
        return built[1]
    identity = _identity(found)
    _built = (found, identity)
    return identity


def _identity(found: settings.Settings) -> CopilotIdentity:
    return CopilotIdentity(
        editor_version=found.copilot_editor_version or EDITOR_VERSION,
        integration_id=found.copilot_integration_id or INTEGRATION_ID,
        api_version=found.copilot_api_version or API_VERSION,
    )


# "model X is not supported in this VS Code version, please update" (third-party reports,
# reference-clients-2026-11.md §2); any "... not supported in this <client> version".
_OLD_EDITOR = re.compile(r"(?i)not supported in this\b.{0,40}\bversion")
_OLD_API = re.compile(r"(?i)api[ -]?version")


def too_old_hint(status: int | None, message: str) -> str | None:
    """What to set when GitHub says this client is too old, else ``None``.

    HTTP 466 is GitHub's answer to a retired ``X-GitHub-Api-Version`` (or client); a
    "not supported in this ... version" message is the refusal of a new model to an old
    ``Editor-Version``.
    """
    ident = current()
    if _OLD_EDITOR.search(message) and not (status == 466 and _OLD_API.search(message)):
        return (
            f"GitHub Copilot says this client version is too old for the request "
            f"(Editor-Version {ident.editor_version}): set {EDITOR_VERSION_ENV} to a newer "
            f"editor version, e.g. the one of the current GitHub Copilot CLI "
            f"(`copilot --version`, sent as copilot/<version>)."
        )
    if status == 466:
        return (
            f"GitHub Copilot no longer accepts this client (HTTP 466; X-GitHub-Api-Version "
            f"{ident.api_version}, Editor-Version {ident.editor_version}): set "
            f"{API_VERSION_ENV} to a current API version (and {EDITOR_VERSION_ENV} if "
            "GitHub names the editor), or upgrade litellm-codex."
        )
    return None


# -- endpoints (SPEC §3 "GitHub Copilot"; protocols/github-copilot.md §2) ---------------
#: The device flow's web base, the token exchange's REST API base, and the Copilot model API
#: used when neither the environment, the login nor the token names one.
GITHUB_URL = "https://github.com"
GITHUB_API_URL = "https://api.github.com"
API_BASE = "https://api.githubcopilot.com"
GITHUB_URL_ENV = "GITHUB_COPILOT_GITHUB_URL"
GITHUB_API_URL_ENV = "GITHUB_COPILOT_GITHUB_API_URL"
API_BASE_ENV = "GITHUB_COPILOT_API_BASE"


def enterprise_urls(domain: str | None) -> tuple[str, str, str | None]:
    """``(github_url, github_api_url, api_base)`` of github.com or of a GHE.com domain
    (``https://{domain}``, ``https://api.{domain}``, ``https://copilot-api.{domain}``)."""
    if not domain:
        return GITHUB_URL, GITHUB_API_URL, None
    return f"https://{domain}", f"https://api.{domain}", f"https://copilot-api.{domain}"


def api_base(*choices: str | None) -> str:
    """The Copilot API base: the first of ``choices`` that is set, else :data:`API_BASE`.

    Callers pass them in precedence order: a per-call ``api_base``,
    ``GITHUB_COPILOT_API_BASE``, the login's (enterprise), the token's ``endpoints.api``.
    """
    return settings.first(*choices) or API_BASE


def exchange_headers(github_token: str) -> dict[str, str]:
    """Headers of GitHub's own API with a GitHub token (``copilot_internal/v2/token``,
    ``/user``): the identity plus ``Authorization: token ...``."""
    return {"Authorization": f"token {github_token}", "Accept": "application/json"} | (
        current().github_headers()
    )


def user_headers(github_token: str) -> dict[str, str]:
    """Headers of ``GET /copilot_internal/user`` (direct-token mode: the token is the bearer)."""
    return {"Authorization": f"Bearer {github_token}", "Accept": "application/json"} | (
        current().github_headers()
    )
