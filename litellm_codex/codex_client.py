"""Who we say we are to the ChatGPT Codex backend: one place for the client identity.

Everything the backend (and OpenAI's OAuth server) sees of our identity lives here, with
its source, so a new Codex CLI release means editing this module only
(``protocols/reference-clients-2026-11.md`` §1, captured from Codex CLI 0.171.0):

- the **client version**, sent identically as the ``version`` header, the
  ``client_version`` query of ``/models`` and in the User-Agent (§1.1). The backend hides
  models above the caller's version from ``/models`` and refuses requests for them, so the
  version rule (SPEC §3 "Codex specifics") is: ``OPENAI_CODEX_CLIENT_VERSION`` if set, else
  the newer of :data:`BUILTIN_CLIENT_VERSION` and the Codex CLI installed on this machine
  (``codex --version`` on ``PATH``, asked lazily, once per process, never at import), and
  never below the requested model's ``minimal_client_version`` (:func:`version_for`);
- ``originator`` and the User-Agent shape, the OAuth client id, URLs and header names.
"""

from __future__ import annotations

import functools
import logging
import platform
import re
import threading
from collections.abc import Mapping

from litellm_codex import __version__, settings

__all__ = [
    "API_BASE_ENV",
    "AUTH_BASE",
    "AUTH_BASE_ENV",
    "BUILTIN_CLIENT_VERSION",
    "CLIENT_ID",
    "DEFAULT_API_BASE",
    "DEFAULT_ORIGINATOR",
    "HEADER_CLIENT_REQUEST_ID",
    "HEADER_LITE",
    "HEADER_SESSION_ID",
    "HEADER_THREAD_ID",
    "HEADER_VERSION",
    "VERSION_ENV",
    "auth_base_from_env",
    "client_version",
    "installed_codex_version",
    "newer",
    "originator",
    "parse_version",
    "reset_client_version",
    "user_agent",
    "version_for",
]

log = logging.getLogger("litellm_codex")

#: The newest Codex CLI release this package was checked against (§0: captured 2026-11-30).
#: Raise it whenever the golden requests are re-captured from a newer release.
BUILTIN_CLIENT_VERSION = "0.171.0"
#: Overrides the whole version rule (SPEC §3).
VERSION_ENV = "OPENAI_CODEX_CLIENT_VERSION"
#: ``originator`` header; ``OPENAI_CODEX_ORIGINATOR`` overrides. The Codex CLI sends
#: ``codex_cli_rs`` from its TUI and login, ``codex_exec`` from ``codex exec`` (§1.1).
DEFAULT_ORIGINATOR = "codex_cli_rs"
ORIGINATOR_ENV = "OPENAI_CODEX_ORIGINATOR"

DEFAULT_API_BASE = "https://chatgpt.com/backend-api/codex"
#: ``OPENAI_CODEX_API_BASE`` overrides :data:`DEFAULT_API_BASE` (SPEC §3).
API_BASE_ENV = "OPENAI_CODEX_API_BASE"
#: The OAuth issuer (login, refresh, revoke); ``OPENAI_CODEX_AUTH_BASE`` overrides it.
AUTH_BASE = "https://auth.openai.com"
AUTH_BASE_ENV = "OPENAI_CODEX_AUTH_BASE"
#: The Codex CLI's OAuth client (§1.5).
CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"

# Request header names, spelled as the reference sends them (§1.3: hyphens, lower case).
HEADER_VERSION = "version"
HEADER_SESSION_ID = "session-id"
HEADER_THREAD_ID = "thread-id"
HEADER_CLIENT_REQUEST_ID = "x-client-request-id"
HEADER_LITE = "x-openai-internal-codex-responses-lite"
HEADER_ROUTING_HINT = "x-codex-routing-hint"

_VERSION_RE = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_lock = threading.Lock()
_resolved: str | None = None


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """``"codex-cli 0.171.0"`` -> ``(0, 171, 0)``; ``None`` when there is no x.y.z in it."""
    match = _VERSION_RE.search(text or "")
    if match is None:
        return None
    return (int(match.group(1)), int(match.group(2)), int(match.group(3)))


def newer(a: str, b: str | None) -> str:
    """The newer of two versions (``a`` when ``b`` is missing or unparsable)."""
    pa, pb = parse_version(a), parse_version(b)
    if pb is None or b is None:
        return a
    if pa is None or pb > pa:
        return "{}.{}.{}".format(*pb)
    return a


def installed_codex_version(timeout: float = 5.0) -> str | None:
    """The version of the ``codex`` on ``PATH`` (``codex --version``), or ``None``.

    Blocking (a subprocess): call it off the event loop; :func:`client_version` runs it once.
    """
    import shutil  # here, not at import: records and the CLI import this module
    import subprocess

    exe = shutil.which("codex")
    if exe is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603  (a fixed argv, no shell)
            [exe, "--version"], capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("could not ask %s for its version: %s", exe, exc)
        return None
    parsed = parse_version(done.stdout)
    return "{}.{}.{}".format(*parsed) if parsed is not None else None


def client_version() -> str:
    """The client version to present (without a model's floor; see :func:`version_for`).

    ``OPENAI_CODEX_CLIENT_VERSION`` when set; else the newer of the built-in floor and the
    installed Codex CLI, asked once per process (blocking on that first call only).
    """
    override = settings.current().codex_client_version
    if override:
        return override
    global _resolved
    with _lock:
        if _resolved is None:
            _resolved = newer(BUILTIN_CLIENT_VERSION, installed_codex_version())
        return _resolved


def client_version_resolved() -> bool:
    """Whether :func:`client_version` answers without blocking."""
    return settings.current().codex_client_version is not None or _resolved is not None


def reset_client_version() -> None:
    """Forget the installed CLI's version (tests; after installing a new Codex CLI)."""
    global _resolved
    with _lock:
        _resolved = None


def version_for(minimal_client_version: str | None) -> str:
    """The version to send for a model: never below its ``minimal_client_version``.

    An explicit ``OPENAI_CODEX_CLIENT_VERSION`` is the user's word and is sent as is.
    """
    base = client_version()
    if settings.current().codex_client_version is not None:
        return base
    return newer(base, minimal_client_version)


def auth_base_from_env(env: Mapping[str, str] | None = None) -> str | None:
    """``OPENAI_CODEX_AUTH_BASE`` without a trailing ``/``, or ``None`` when unset."""
    found = settings.current() if env is None else settings.Settings.from_env(env)
    return found.codex_auth_base


def originator() -> str:
    """The ``originator`` header value."""
    return settings.current().codex_originator or DEFAULT_ORIGINATOR


def user_agent(version: str, origin: str | None = None) -> str:
    """Codex's shape, ``{originator}/{version} ({os} {release}; {arch}) {terminal}`` (§1.1),
    with our own name where Codex names the terminal."""
    return _user_agent(origin or originator(), version)


@functools.lru_cache(maxsize=16)
def _user_agent(origin: str, version: str) -> str:
    system = f"{platform.system()} {platform.release()}".strip()
    return f"{origin}/{version} ({system}; {platform.machine()}) litellm-codex/{__version__}"
