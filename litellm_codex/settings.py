"""Every setting litellm-codex reads from the environment, read once, in one place.

Precedence, wherever a value can come from several places: a **call argument** (a per-call
``api_base``, a constructor argument) > the **environment** (this module) > the **stored
login** (``--enterprise`` endpoints, the issuer a login came from) > the **default** (the
upstream facts in :mod:`litellm_codex.codex_client` and :mod:`litellm_codex.copilot_identity`).
:func:`first` spells that rule; the modules that know the call and the login apply it.

The environment is read on first use (never at import: importing this module reads
nothing and imports only :mod:`os`), then kept: requests read :func:`current`, an attribute
lookup. A process that changes its own environment afterwards calls :func:`reload`: the CLI
does at start, the bundled simulators' ``env()`` marks the settings stale (so
``os.environ.update(sim.env())`` takes effect), and this project's tests reload after each
``monkeypatch.setenv``. Variables of other tools (``GITHUB_TOKEN``, ``BROWSER``,
``XDG_CONFIG_HOME``...) are read where they are used, not here.

:data:`VARIABLES` lists each variable with its default and meaning; README's "Settings"
table is that list (a unit test keeps them equal).

Test mode (``LITELLM_CODEX_TESTING_FAST=1``, like stamina's testing mode): every wait the
package does on its own, device-flow polling and retry back-off, is capped at
:data:`TESTING_FAST_CAP` seconds, so simulators can demand realistic intervals and tests
still finish at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

__all__ = [
    "TESTING_FAST_CAP",
    "VARIABLES",
    "Settings",
    "Variable",
    "current",
    "first",
    "invalidate",
    "reload",
]

#: Longest wait in test mode (seconds).
TESTING_FAST_CAP = 0.05
DEFAULT_MAX_EVENT_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class Variable(NamedTuple):
    """One environment variable: its name, default (as README shows it) and meaning."""

    name: str
    default: str
    meaning: str


#: Every variable :class:`Settings` reads, in README's order.
VARIABLES: tuple[Variable, ...] = (
    Variable(
        "OPENAI_CODEX_API_BASE",
        "`https://chatgpt.com/backend-api/codex`",
        "Codex backend base URL (a per-call `api_base` wins)",
    ),
    Variable("OPENAI_CODEX_AUTH_BASE", "`https://auth.openai.com`", "OpenAI OAuth issuer"),
    Variable("GITHUB_COPILOT_GITHUB_URL", "`https://github.com`", "GitHub web base (device flow)"),
    Variable(
        "GITHUB_COPILOT_GITHUB_API_URL",
        "`https://api.github.com`",
        "GitHub API base (token exchange)",
    ),
    Variable(
        "GITHUB_COPILOT_API_BASE",
        "from the token",
        "Copilot API base (overrides the token's `endpoints.api`)",
    ),
    Variable(
        "GITHUB_COPILOT_EDITOR_VERSION",
        "`copilot/1.0.102`",
        "`Editor-Version` sent to GitHub and Copilot (raise it when a model is "
        '"not supported in this version")',
    ),
    Variable(
        "GITHUB_COPILOT_INTEGRATION_ID", "`copilot-developer-cli`", "`Copilot-Integration-Id`"
    ),
    Variable(
        "GITHUB_COPILOT_API_VERSION",
        "`2026-08-01`",
        "`X-GitHub-Api-Version` (raise it on HTTP 466)",
    ),
    Variable(
        "LITELLM_CODEX_STORE",
        "keyring, file if none usable",
        '`keyring`, `file` or `redis` (see "Running the proxy for a team")',
    ),
    Variable(
        "LITELLM_CODEX_SECRET_KEY",
        "none: required for `redis`",
        "encryption secret of the Redis store (else `LITELLM_SALT_KEY`)",
    ),
    Variable("LITELLM_CODEX_REDIS_TIMEOUT", "`5`", "seconds a Redis call may take"),
    Variable(
        "LITELLM_CODEX_CREDENTIALS",
        "`shared`",
        "`per-user`: each proxy request uses its LiteLLM user's login",
    ),
    Variable(
        "LITELLM_CODEX_HOME",
        "`~/.config/litellm-codex`",
        "where the file store, lock files and cached Copilot model lists live",
    ),
    Variable(
        "LITELLM_CODEX_STREAM_IDLE_TIMEOUT",
        "`300`",
        "seconds without a byte before a stream fails (long reasoning can be silent for minutes)",
    ),
    Variable(
        "LITELLM_CODEX_MAX_RETRIES",
        "`2`",
        "retries of 5xx / connection errors before the first byte",
    ),
    Variable(
        "LITELLM_CODEX_RETRY_BASE_DELAY",
        "`0.25`",
        "first backoff delay in seconds (doubles, ±10% jitter)",
    ),
    Variable(
        "LITELLM_CODEX_MAX_EVENT_BYTES",
        "`33554432` (32 MiB)",
        "largest SSE line or event buffered",
    ),
    Variable("LITELLM_CODEX_MAX_BODY_BYTES", "`67108864` (64 MiB)", "largest non-stream body read"),
    Variable(
        "OPENAI_CODEX_ORIGINATOR", "`codex_cli_rs`", "`originator` header sent to the Codex backend"
    ),
    Variable(
        "OPENAI_CODEX_CLIENT_VERSION",
        "newer of `0.171.0` and `codex --version`",
        "Codex client version presented to the backend",
    ),
    Variable("LITELLM_CODEX_ZSTD", "`1`", "`0`: send Codex request bodies uncompressed"),
    Variable(
        "LITELLM_CODEX_CATALOG_REFRESH",
        "`1`",
        "`0`: never fetch `/models` in the background (Copilot: revalidated before a call)",
    ),
    Variable("CODEX_HOME", "`~/.codex`", "where `--from-codex-cli` finds the Codex CLI login"),
    Variable(
        "LITELLM_CODEX_TESTING_FAST",
        "unset",
        "`1`: test mode, every wait of the package (device-flow polling, retry back-off) "
        "is capped at 50 ms",
    ),
    Variable(
        "LITELLM_CODEX_DEBUG",
        "unset",
        "`1`: the CLI shows the traceback of an unexpected error",
    ),
)


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = (env.get(name) or "").strip()
    return value or None


def _url(env: Mapping[str, str], name: str) -> str | None:
    value = _text(env, name)
    return (value.rstrip("/") or None) if value else None


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = (env.get(name) or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return default


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        return float(env.get(name) or default)
    except ValueError:
        return default


class Settings(NamedTuple):
    """The settings in force. ``None``: the variable is unset (the default applies where
    the caller also knows the call and the login)."""

    # -- Codex
    codex_api_base: str | None
    codex_auth_base: str | None
    codex_client_version: str | None
    codex_originator: str | None
    codex_home: str | None
    zstd: bool
    catalog_refresh: bool
    # -- GitHub Copilot
    copilot_github_url: str | None
    copilot_github_api_url: str | None
    copilot_api_base: str | None
    copilot_editor_version: str | None
    copilot_integration_id: str | None
    copilot_api_version: str | None
    # -- logins: where they are stored, whose they are
    store: str
    home: str | None
    credentials: str
    secret_key: str | None
    redis_timeout: float
    # LiteLLM's own Redis settings (the proxy's), read the way LiteLLM reads them
    redis_url: str | None
    redis_host: str | None
    redis_port: str
    redis_password: str | None
    redis_username: str | None
    redis_ssl: bool
    # -- every call
    max_retries: int
    retry_base_delay: float
    stream_idle_timeout: float
    max_event_bytes: int
    max_body_bytes: int
    # standard TLS variables (httpx reads them too; one shared SSL context per value)
    ssl_cert_file: str | None
    ssl_cert_dir: str | None
    # -- CLI and tests
    debug: bool
    testing_fast: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Parse ``env`` (unparsable numbers fall back to their defaults; values that need
        a clear error, such as ``LITELLM_CODEX_STORE``, are checked where they are used)."""
        return cls(
            codex_api_base=_url(env, "OPENAI_CODEX_API_BASE"),
            codex_auth_base=_url(env, "OPENAI_CODEX_AUTH_BASE"),
            codex_client_version=_text(env, "OPENAI_CODEX_CLIENT_VERSION"),
            codex_originator=_text(env, "OPENAI_CODEX_ORIGINATOR"),
            codex_home=env.get("CODEX_HOME") or None,
            zstd=_flag(env, "LITELLM_CODEX_ZSTD", True),
            catalog_refresh=_flag(env, "LITELLM_CODEX_CATALOG_REFRESH", True),
            copilot_github_url=_url(env, "GITHUB_COPILOT_GITHUB_URL"),
            copilot_github_api_url=_url(env, "GITHUB_COPILOT_GITHUB_API_URL"),
            copilot_api_base=_url(env, "GITHUB_COPILOT_API_BASE"),
            copilot_editor_version=_text(env, "GITHUB_COPILOT_EDITOR_VERSION"),
            copilot_integration_id=_text(env, "GITHUB_COPILOT_INTEGRATION_ID"),
            copilot_api_version=_text(env, "GITHUB_COPILOT_API_VERSION"),
            store=(env.get("LITELLM_CODEX_STORE") or "").strip().lower(),
            home=env.get("LITELLM_CODEX_HOME") or None,
            credentials=(env.get("LITELLM_CODEX_CREDENTIALS") or "").strip().lower(),
            secret_key=_text(env, "LITELLM_CODEX_SECRET_KEY") or _text(env, "LITELLM_SALT_KEY"),
            redis_timeout=max(0.1, _number(env, "LITELLM_CODEX_REDIS_TIMEOUT", 5.0)),
            redis_url=_text(env, "REDIS_URL"),
            redis_host=_text(env, "REDIS_HOST"),
            redis_port=_text(env, "REDIS_PORT") or "6379",
            redis_password=env.get("REDIS_PASSWORD") or None,
            redis_username=env.get("REDIS_USERNAME") or None,
            redis_ssl=(env.get("REDIS_SSL") or "").strip().lower() == "true",
            max_retries=int(_number(env, "LITELLM_CODEX_MAX_RETRIES", 2)),
            retry_base_delay=_number(env, "LITELLM_CODEX_RETRY_BASE_DELAY", 0.25),
            stream_idle_timeout=_number(env, "LITELLM_CODEX_STREAM_IDLE_TIMEOUT", 300.0),
            max_event_bytes=int(
                _number(env, "LITELLM_CODEX_MAX_EVENT_BYTES", DEFAULT_MAX_EVENT_BYTES)
            ),
            max_body_bytes=int(
                _number(env, "LITELLM_CODEX_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)
            ),
            ssl_cert_file=env.get("SSL_CERT_FILE") or None,
            ssl_cert_dir=env.get("SSL_CERT_DIR") or None,
            debug=bool(env.get("LITELLM_CODEX_DEBUG")),
            testing_fast=_flag(env, "LITELLM_CODEX_TESTING_FAST", False),
        )

    def url_setting(self, variable: str) -> str | None:
        """The value of one of the URL variables, by its name (for error messages that
        name the variable)."""
        field = _URL_FIELDS.get(variable)
        return getattr(self, field) if field is not None else None

    def wait(self, seconds: float) -> float:
        """How long to really wait for ``seconds`` (capped in test mode)."""
        seconds = max(seconds, 0.0)
        return min(seconds, TESTING_FAST_CAP) if self.testing_fast else seconds


_URL_FIELDS = {
    "OPENAI_CODEX_API_BASE": "codex_api_base",
    "OPENAI_CODEX_AUTH_BASE": "codex_auth_base",
    "GITHUB_COPILOT_GITHUB_URL": "copilot_github_url",
    "GITHUB_COPILOT_GITHUB_API_URL": "copilot_github_api_url",
    "GITHUB_COPILOT_API_BASE": "copilot_api_base",
}

_current: Settings | None = None


def current() -> Settings:
    """The settings in force: the environment as read on first use (or the last reload)."""
    settings = _current
    if settings is None:
        settings = reload()
    return settings


def reload(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment (or ``env``) again; returns the new settings."""
    global _current
    settings = Settings.from_env(os.environ if env is None else env)
    _current = settings
    return settings


def invalidate() -> None:
    """Read the environment again on the next :func:`current` (no read now)."""
    global _current
    _current = None


def first(*choices: str | None) -> str | None:
    """The first choice that is set, in precedence order (call > environment > login >
    default), without a trailing ``/``."""
    for choice in choices:
        if choice and choice.strip():
            return choice.strip().rstrip("/")
    return None
