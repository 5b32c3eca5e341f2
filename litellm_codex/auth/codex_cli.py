"""The Codex CLI's own login: read it, keep it in sync both ways.

The Codex CLI keeps its ChatGPT login in ``$CODEX_HOME/auth.json`` (default ``~/.codex``)
or, in keyring mode, in the OS keyring under service ``"Codex Auth"`` and account
``"cli|" + sha256(canonical CODEX_HOME)[:16]`` (protocols/codex-chatgpt-backend.md §1.5,
§1.8). Refresh tokens are single-use, so a login shared with the Codex CLI must be shared
for real: our refreshes are written back in Codex's format (:func:`write_back`), and a
refresh the Codex CLI made is adopted (:func:`read_back`) before we refresh or after a 401.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import logging
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from litellm_codex.auth.records import CodexCliLink, CodexLogin
from litellm_codex.auth.store import atomic_write
from litellm_codex.auth.tokens import codex_identity, jwt_expiry
from litellm_codex.errors import LoginError, StoreError

__all__ = [
    "KEYRING_SERVICE",
    "CodexCliApiKeyMode",
    "codex_home",
    "keyring_account",
    "load_codex_cli",
    "read_back",
    "resolve_codex_home",
    "write_back",
]

log = logging.getLogger(__name__)

#: The Codex CLI's keyring service (``KEYRING_SERVICE`` in codex-rs/login/src/auth/storage.rs).
KEYRING_SERVICE = "Codex Auth"


class CodexCliApiKeyMode(LoginError):
    """The Codex CLI is logged in with an API key, not a ChatGPT account.

    ``api_key`` holds the key when auth.json has one (never shown in ``str``/``repr``), so
    the CLI can offer to use it against the public Responses API instead.
    """

    def __init__(self, location: str, api_key: str | None) -> None:
        super().__init__(
            f"the Codex CLI login in {location} uses an API key (OPENAI_API_KEY), not a "
            "ChatGPT account; use that key with the public Responses API "
            "(https://api.openai.com/v1), or run `codex login` with ChatGPT first"
        )
        self.location = location
        self.api_key = api_key

    def __repr__(self) -> str:
        return f"CodexCliApiKeyMode(location={self.location!r})"


def resolve_codex_home(codex_home: str | os.PathLike[str] | None = None) -> Path:
    """``codex_home``, else ``$CODEX_HOME`` when set and non-empty, else ``~/.codex``
    (``find_codex_home``, §1.5)."""
    if codex_home is not None:
        return Path(codex_home).expanduser()
    env = os.environ.get("CODEX_HOME")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".codex"


#: Alias of :func:`resolve_codex_home`.
codex_home = resolve_codex_home


def keyring_account(home: str | os.PathLike[str]) -> str:
    """The Codex CLI's keyring account for ``home``: ``cli|`` + the first 16 hex digits of
    sha256 of the canonical path (``compute_store_key``, §1.8)."""
    try:
        canonical = str(Path(home).resolve(strict=True))
    except OSError:
        canonical = str(Path(home).absolute())
    return "cli|" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


# ----------------------------------------------------------------------------- reading


def _read_keyring(account: str) -> str | None:
    """The Codex CLI's keyring entry, or ``None`` (also when there is no usable keyring)."""
    try:
        import keyring

        from litellm_codex.auth.store import keyring_usable

        backend = keyring.get_keyring()
        if not keyring_usable(backend):
            return None
        value = backend.get_password(KEYRING_SERVICE, account)
    except Exception:  # no backend, locked collection, D-Bus trouble: not an import source
        log.debug("could not read the Codex CLI keyring entry", exc_info=False)
        return None
    return value if isinstance(value, str) else None


def _read_file(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LoginError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None


def _parse_json(text: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise LoginError(f"the Codex CLI login in {where} is not valid JSON") from None
    if not isinstance(data, dict):
        raise LoginError(f"the Codex CLI login in {where} is not a JSON object")
    return data


def parse_rfc3339(value: Any) -> float | None:
    """Unix seconds from an RFC 3339 timestamp (chrono writes up to nanoseconds and ``Z``)."""
    if not isinstance(value, str):
        return None
    match = re.fullmatch(
        r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
        r"(Z|z|[+-]\d{2}:\d{2})",
        value.strip(),
    )
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = float("0." + match.group(7)) if match.group(7) else 0.0
    zone = match.group(8)
    try:
        seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return seconds + fraction


def format_rfc3339(seconds: float) -> str:
    """RFC 3339 UTC with microseconds and ``Z``, as chrono's ``DateTime<Utc>`` reads it."""
    text = datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="microseconds")
    return text.replace("+00:00", "Z")


def login_from_auth_json(data: dict[str, Any], link: CodexCliLink) -> CodexLogin:
    """A :class:`CodexLogin` from the Codex CLI's ``AuthDotJson`` (incl. Python-era files).

    Raises :class:`CodexCliApiKeyMode` when Codex uses an API key: an explicit
    ``auth_mode: "apikey"``, or an ``OPENAI_API_KEY`` without ChatGPT tokens. Otherwise the
    key is ignored and the tokens are used (§1.5: old files carry both).
    """
    where = link.location
    mode = data.get("auth_mode")
    api_key = data.get("OPENAI_API_KEY")
    api_key = api_key if isinstance(api_key, str) and api_key else None
    tokens = data.get("tokens")
    tokens = tokens if isinstance(tokens, dict) else {}
    access = tokens.get("access_token")
    refresh = tokens.get("refresh_token")
    has_tokens = isinstance(access, str) and access and isinstance(refresh, str) and refresh
    if (isinstance(mode, str) and mode.lower() == "apikey") or (api_key and not has_tokens):
        raise CodexCliApiKeyMode(where, api_key)
    if not has_tokens:
        raise LoginError(f"the Codex CLI login in {where} has no ChatGPT tokens")
    assert isinstance(access, str)
    assert isinstance(refresh, str)
    id_token = tokens.get("id_token")
    id_token = id_token if isinstance(id_token, str) and id_token else None
    account_id, email, plan = codex_identity(id_token, access)
    stored_account = tokens.get("account_id")
    if isinstance(stored_account, str) and stored_account:
        account_id = stored_account
    return CodexLogin(
        access_token=access,
        refresh_token=refresh,
        id_token=id_token,
        account_id=account_id,
        email=email,
        plan=plan,
        expires_at=jwt_expiry(access),
        last_refresh=parse_rfc3339(data.get("last_refresh")),
        codex_cli=link,
    )


def _load_link(link: CodexCliLink) -> dict[str, Any] | None:
    if link.kind == "keyring":
        text = _read_keyring(link.location)
        where = f'the keyring entry "{KEYRING_SERVICE}" / {link.location}'
    else:
        text = _read_file(Path(link.location))
        where = link.location
    if text is None or not text.strip():
        return None
    return _parse_json(text, where)


def load_codex_cli(
    codex_home: str | os.PathLike[str] | None = None,
) -> tuple[CodexLogin, CodexCliLink] | None:
    """The Codex CLI's ChatGPT login and where it lives, or ``None`` if it has none.

    Looks in the keyring entry first, then ``auth.json`` (Codex's ``auto`` order, §1.8).
    Raises :class:`CodexCliApiKeyMode` for an API-key login and :class:`LoginError` for a
    file that cannot be read or parsed.
    """
    home = resolve_codex_home(codex_home)
    candidates = [
        CodexCliLink(kind="keyring", location=keyring_account(home)),
        CodexCliLink(kind="file", location=str(home / "auth.json")),
    ]
    for link in candidates:
        data = _load_link(link)
        if data is None:
            continue
        return login_from_auth_json(data, link), link
    return None


def read_back(link: CodexCliLink) -> CodexLogin | None:
    """The Codex CLI's current login at ``link`` (to adopt a refresh it made), or ``None``
    when it is gone, unreadable, or no longer a ChatGPT login. Never raises."""
    try:
        data = _load_link(link)
        return None if data is None else login_from_auth_json(data, link)
    except LoginError as exc:
        log.debug("ignoring the Codex CLI login at %s: %s", link.location, exc)
        return None


# ----------------------------------------------------------------------------- writing


def _updated(data: dict[str, Any], login: CodexLogin) -> dict[str, Any]:
    """``data`` with the login's tokens and ``last_refresh``; unknown fields kept."""
    out = dict(data)
    tokens = dict(out.get("tokens") or {}) if isinstance(out.get("tokens"), dict) else {}
    tokens["access_token"] = login.access_token
    tokens["refresh_token"] = login.refresh_token
    if login.id_token is not None:
        tokens["id_token"] = login.id_token
    if login.account_id is not None:
        tokens["account_id"] = login.account_id
    out["tokens"] = tokens
    out.setdefault("OPENAI_API_KEY", None)  # Codex always serialises it (may be null)
    if "auth_mode" in out:
        out["auth_mode"] = "chatgpt"
    out["last_refresh"] = format_rfc3339(login.last_refresh or time.time())
    return out


def write_back(link: CodexCliLink, login: CodexLogin) -> None:
    """Write refreshed tokens back to the Codex CLI's store, in its own format.

    ``auth.json``: pretty JSON (as ``serde_json::to_string_pretty``), unknown fields kept,
    mode 0600, atomic. Keyring: the same document as compact JSON. Nothing is written when
    the Codex CLI's store has meanwhile been removed or now holds another account (the user
    logged out or switched accounts there). Raises :class:`StoreError` on write failures.
    """
    if link.kind == "keyring":
        _write_back_keyring(link, login)
        return
    path = Path(link.location)
    # No lock of our own here: our writers are already serialised by the refresh lock, and
    # the Codex CLI takes none; the atomic rename keeps every reader safe.
    try:
        data = _load_link(link)
    except LoginError:
        data = None
    if data is None:
        log.info("the Codex CLI login at %s is gone; not writing it back", path)
        return
    if not _same_account(data, login):
        log.warning(
            "the Codex CLI at %s is now logged in to another account; not overwriting it", path
        )
        return
    try:
        atomic_write(path, json.dumps(_updated(data, login), indent=2) + "\n", mode=0o600)
    except OSError as exc:
        raise StoreError(
            f"cannot write the Codex CLI login {path}: {exc.strerror or type(exc).__name__}",
            provider="openai-codex",
        ) from None


def _write_back_keyring(link: CodexCliLink, login: CodexLogin) -> None:
    try:
        import keyring

        backend = keyring.get_keyring()
        text = backend.get_password(KEYRING_SERVICE, link.location)
        data = _parse_json(text, "the Codex CLI keyring entry") if text else None
        if data is None or not _same_account(data, login):
            return
        compact = json.dumps(_updated(data, login), separators=(",", ":"))
        backend.set_password(KEYRING_SERVICE, link.location, compact)
    except Exception as exc:
        raise StoreError(
            f"cannot write the Codex CLI keyring entry: {type(exc).__name__}",
            provider="openai-codex",
        ) from None


def _same_account(data: dict[str, Any], login: CodexLogin) -> bool:
    tokens = data.get("tokens")
    if not isinstance(tokens, dict):
        return False
    account = tokens.get("account_id")
    if not (isinstance(account, str) and account):
        account, _, _ = codex_identity(tokens.get("id_token"), tokens.get("access_token"))
    return account is None or login.account_id is None or account == login.account_id
