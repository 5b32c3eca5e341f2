"""The Codex CLI's own login: read it, keep it in sync both ways.

Where the Codex CLI keeps its ChatGPT login follows ``cli_auth_credentials_store`` in
``$CODEX_HOME/config.toml`` (default ``file``; ``CODEX_HOME`` defaults to ``~/.codex``):

- ``file``: ``$CODEX_HOME/auth.json``;
- ``keyring``: one OS keyring entry, service ``"Codex Auth"``, account ``"cli|" +
  sha256(canonical CODEX_HOME)[:16]`` (``compute_store_key`` in
  openai/codex ``codex-rs/login/src/auth/storage.rs``). On the Secret Service it is the item
  with attributes ``application: rust-keyring``, ``service``, ``target: default``,
  ``username`` (keyring-rs v3, as Codex CLI 0.171 writes it); on Windows the credential
  ``<account>.Codex Auth``; on macOS the generic password service/account;
- ``auto``: the keyring entry, else ``auth.json``.

On Windows, newer Codex versions keep a keyring-mode login in an encrypted file
(``$CODEX_HOME/secrets/cli_auth.age``, key in the keyring; ``codex-rs/secrets/src/local.rs``)
that we cannot read: the import says how to switch the Codex CLI to the file store.

Refresh tokens are single-use, so a login shared with the Codex CLI must be shared for
real: our refreshes are written back to *its* entry in its format (:func:`write_back`),
under the lock it takes (:func:`codex_cli_lock`), and a refresh the Codex CLI made is
adopted (:func:`read_back`) before we refresh or after a 401
(protocols/reference-clients-2026-11.md §1.6).
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import json
import logging
import os
import re
import stat
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from litellm_codex import settings
from litellm_codex.auth.records import CodexCliLink, CodexLogin
from litellm_codex.auth.store import atomic_write
from litellm_codex.auth.tokens import codex_identity, jwt_expiry
from litellm_codex.errors import LoginError, StoreError

__all__ = [
    "KEYRING_SERVICE",
    "CodexCliApiKeyMode",
    "CodexCliUnreadableStore",
    "codex_cli_lock",
    "codex_home",
    "keyring_account",
    "load_codex_cli",
    "read_back",
    "resolve_codex_home",
    "store_mode",
    "write_back",
]

log = logging.getLogger(__name__)

#: The Codex CLI's keyring service (``KEYRING_SERVICE`` in codex-rs/login/src/auth/storage.rs).
KEYRING_SERVICE = "Codex Auth"
#: Secret Service attributes of the Codex CLI's item besides ``username`` (keyring-rs v3's
#: ``application`` / ``service`` / ``target``; seen on Codex CLI 0.171's item, whose label is
#: ``"cli|<hash>@Codex Auth:default (keyring v3.6.3)"``).
SECRET_SERVICE_ATTRIBUTES = {"application": "rust-keyring", "service": KEYRING_SERVICE}
SECRET_SERVICE_TARGET = "default"
#: What Python's ``keyring`` labels its own items with: older litellm-codex versions wrote
#: such a parallel item next to the Codex CLI's; it is removed on the next write-back.
_PYTHON_KEYRING_APPLICATION = "Python keyring library"

#: ``cli_auth_credentials_store`` values (``AuthCredentialsStoreMode`` in codex-rs
#: config types; ``file`` is the default, confirmed with Codex CLI 0.171).
STORE_MODES = ("file", "keyring", "auto", "ephemeral")
DEFAULT_STORE_MODE = "file"

#: Lock files in ``CODEX_HOME``. Codex CLI 0.171 (strace of a refresh): opens ``auth.lock``
#: (O_CREAT) and takes ``flock(LOCK_EX)`` (blocking) around committing refreshed tokens,
#: re-reads auth.json, then takes ``flock(LOCK_EX|LOCK_NB)`` on ``auth.json.lock`` around
#: the write (a temp file renamed over auth.json). Rust's ``File::lock`` is ``flock`` on
#: Unix and ``LockFileEx`` on Windows; we take the same locks with the same calls.
AUTH_LOCK = "auth.lock"
AUTH_JSON_LOCK = "auth.json.lock"
#: How long to wait for the Codex CLI to release its lock.
LOCK_TIMEOUT = 60.0

_SWITCH_TO_FILE = (
    'add `cli_auth_credentials_store = "file"` to {config}, run `codex login` again, then '
    "rerun `litellm-codex login openai-codex --from-codex-cli`"
)


class CodexCliUnreadableStore(LoginError):
    """The Codex CLI keeps its login where we cannot read it (its encrypted secrets file,
    or memory only); the message says how to switch it to the file store."""


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
    env = settings.current().codex_home
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


# ----------------------------------------------------------------------------- config


def _load_toml(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    data: dict[str, Any] = tomllib.loads(text)
    return data


def store_mode(home: str | os.PathLike[str] | None = None) -> str:
    """The Codex CLI's ``cli_auth_credentials_store`` from ``$CODEX_HOME/config.toml``:
    ``file`` (the default), ``keyring``, ``auto`` or ``ephemeral``.

    Raises :class:`LoginError` when config.toml cannot be parsed or names another value
    (the Codex CLI refuses such a config too)."""
    config = resolve_codex_home(home) / "config.toml"
    try:
        text = config.read_text(encoding="utf-8")
    except FileNotFoundError:
        return DEFAULT_STORE_MODE
    except OSError as exc:
        raise LoginError(f"cannot read {config}: {exc.strerror or type(exc).__name__}") from None
    try:
        data = _load_toml(text)
    except ValueError as exc:
        raise LoginError(f"{config} is not valid TOML: {exc}") from None
    value = data.get("cli_auth_credentials_store", DEFAULT_STORE_MODE)
    if not isinstance(value, str) or value.lower() not in STORE_MODES:
        raise LoginError(
            f"{config}: cli_auth_credentials_store must be one of {', '.join(STORE_MODES)}, "
            f"not {value!r}"
        )
    return value.lower()


def encrypted_store_path(home: str | os.PathLike[str]) -> Path:
    """The Codex CLI's encrypted auth file (``CLI_AUTH_SECRETS_FILENAME`` in
    codex-rs/secrets/src/local.rs), the Windows default for keyring-mode logins."""
    return Path(home) / "secrets" / "cli_auth.age"


# ----------------------------------------------------------------------------- locking


def link_home(link: CodexCliLink) -> Path | None:
    """The ``CODEX_HOME`` of a link: recorded, else the auth.json's directory, else
    ``$CODEX_HOME`` / ``~/.codex`` when its keyring account matches."""
    if link.home:
        return Path(link.home)
    if link.kind == "file":
        return Path(link.location).parent
    home = resolve_codex_home()
    return home if keyring_account(home) == link.location else None


@contextlib.contextmanager
def _file_lock(path: Path, timeout: float) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (created if missing), as Rust's
    ``File::lock``: ``flock(LOCK_EX)`` on Unix, a Windows byte-range lock elsewhere.

    Polls a non-blocking attempt until ``timeout`` so a stuck holder cannot hang us;
    raises :class:`TimeoutError` then."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                _try_lock(fd)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"timed out waiting for the lock on {path}") from None
                time.sleep(0.02)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> None:
        # LockFileEx over the whole file (Rust's File::lock) overlaps byte 0.
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            raise BlockingIOError from None

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def codex_cli_lock(link: CodexCliLink, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the Codex CLI's ``$CODEX_HOME/auth.lock`` (the lock it commits refreshed tokens
    under). Held around our whole refresh of a linked login: the Codex CLI cannot commit
    meanwhile, and re-reads its store after we release it. No lock (and a debug line) when
    the link's ``CODEX_HOME`` is unknown or gone. Raises :class:`TimeoutError`."""
    home = link_home(link)
    if home is None or not home.is_dir():
        log.debug("no Codex CLI home to lock for %s", link.kind)
        yield
        return
    with _file_lock(home / AUTH_LOCK, timeout):
        yield


# ----------------------------------------------------------------------------- keyring


def _keyring_backend() -> tuple[str, Any] | None:
    """``(kind, backend)`` for keyring's active backend, or ``None`` when unusable.

    ``kind`` is ``secret-service`` (keyring's SecretService or libsecret backends: the
    Codex CLI's item is addressed by its attributes through ``secretstorage``),
    ``windows`` (its credential is addressed by target name) or ``keyring`` (macOS
    Keychain and others: keyring's own service/account API is the Codex CLI's entry)."""
    import keyring
    from keyring.backends import chainer

    from litellm_codex.auth.store import keyring_usable

    backend = keyring.get_keyring()
    if not keyring_usable(backend):
        return None
    if isinstance(backend, chainer.ChainerBackend):
        backend = backend.backends[0]
    module = type(backend).__module__
    if module in ("keyring.backends.SecretService", "keyring.backends.libsecret"):
        return "secret-service", backend
    if module == "keyring.backends.Windows":
        return "windows", backend
    return "keyring", backend


@contextlib.contextmanager
def _secret_service() -> Iterator[Any]:
    """A D-Bus connection to the Secret Service (``secretstorage``, as keyring uses it)."""
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        yield connection
    finally:
        connection.close()


def _codex_items(connection: Any, account: str) -> list[Any]:
    """The Codex CLI's Secret Service items for ``account`` (exactly its attributes), the
    ``target: default`` one first; locked collections are unlocked as keyring does."""
    import secretstorage

    attributes = {**SECRET_SERVICE_ATTRIBUTES, "username": account}
    items = list(secretstorage.search_items(connection, attributes))
    items.sort(key=lambda item: item.get_attributes().get("target") != SECRET_SERVICE_TARGET)
    for item in items:
        if item.is_locked():
            item.unlock()
    return items


def _windows_target(account: str) -> str:
    # keyring-rs v3 names a Windows credential "<user>.<service>" (src/windows.rs); Python
    # keyring's WinVault backend would look under the service name instead.
    return f"{account}.{KEYRING_SERVICE}"


def _keyring_read(account: str) -> str | None:
    """The Codex CLI's keyring entry for ``account``, or ``None``. May raise."""
    found = _keyring_backend()
    if found is None:
        return None
    kind, backend = found
    if kind == "secret-service":
        with _secret_service() as connection:
            items = _codex_items(connection, account)
            return items[0].get_secret().decode("utf-8") if items else None
    if kind == "windows":  # pragma: no cover - Windows only
        from win32ctypes.pywin32 import pywintypes, win32cred

        try:
            cred = win32cred.CredRead(
                Type=win32cred.CRED_TYPE_GENERIC, TargetName=_windows_target(account)
            )
        except pywintypes.error as exc:
            if exc.winerror == 1168:  # ERROR_NOT_FOUND
                return None
            raise
        return str(cred["CredentialBlob"].decode("utf-16-le"))
    value = backend.get_password(KEYRING_SERVICE, account)
    return value if isinstance(value, str) else None


def _keyring_update(account: str, text: str) -> None:
    """Replace the secret of the Codex CLI's existing entry for ``account``. May raise."""
    found = _keyring_backend()
    if found is None:
        raise StoreError("no usable keyring backend", provider="openai-codex")
    kind, backend = found
    if kind == "secret-service":
        import secretstorage

        with _secret_service() as connection:
            items = _codex_items(connection, account)
            if not items:
                raise StoreError("the Codex CLI keyring item is gone", provider="openai-codex")
            items[0].set_secret(text.encode("utf-8"))
            stray = {
                "service": KEYRING_SERVICE,
                "username": account,
                "application": _PYTHON_KEYRING_APPLICATION,
            }
            for item in secretstorage.search_items(connection, stray):
                log.info("removing a stale copy of the Codex CLI login left by an older version")
                item.delete()
        return
    if kind == "windows":  # pragma: no cover - Windows only
        from win32ctypes.pywin32 import win32cred

        cred = win32cred.CredRead(
            Type=win32cred.CRED_TYPE_GENERIC, TargetName=_windows_target(account)
        )
        win32cred.CredWrite(
            {
                key: cred[key]
                for key in ("Type", "TargetName", "UserName", "Comment", "Persist")
                if key in cred
            }
            | {"CredentialBlob": text},
            0,
        )
        return
    backend.set_password(KEYRING_SERVICE, account, text)


# ----------------------------------------------------------------------------- reading


def _read_keyring(account: str) -> str | None:
    """The Codex CLI's keyring entry, or ``None`` (also when there is no usable keyring)."""
    try:
        return _keyring_read(account)
    except Exception as exc:  # no backend, locked collection, D-Bus trouble: not a source
        log.debug("could not read the Codex CLI keyring entry: %s", type(exc).__name__)
        return None


def _read_file(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LoginError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None


def _make_private(path: Path) -> None:
    """An auth.json readable by group or others is made 0600, with a warning (the Codex
    CLI itself writes it 0600); one that cannot be fixed is refused."""
    if sys.platform == "win32":  # pragma: no cover - POSIX modes only
        return
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)  # follows a symlink to its target
    except FileNotFoundError:
        return
    except OSError as exc:
        raise LoginError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    if not mode & 0o077:
        return
    try:
        os.chmod(path, mode & 0o700)
    except OSError as exc:
        raise LoginError(
            f"{path} is readable by other users (mode {mode:04o}) and could not be made "
            f"private ({exc.strerror or type(exc).__name__}); run `chmod 600 {path}`"
        ) from None
    log.warning(
        "%s was readable by other users (mode %04o); changed it to %04o",
        path,
        mode,
        mode & 0o700,
    )


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

    Looks where ``cli_auth_credentials_store`` in its config.toml says (:func:`store_mode`):
    the keyring entry, ``auth.json``, or (``auto``) the keyring entry and then auth.json.
    An auth.json readable by other users is made 0600 with a warning. Raises
    :class:`CodexCliApiKeyMode` for an API-key login, :class:`CodexCliUnreadableStore` for
    a store we cannot read, and :class:`LoginError` for a file that cannot be read or parsed.
    """
    home = resolve_codex_home(codex_home)
    mode = store_mode(home)
    config = home / "config.toml"
    if mode == "ephemeral":
        raise CodexCliUnreadableStore(
            f"the Codex CLI keeps its login in memory only (cli_auth_credentials_store = "
            f'"ephemeral" in {config}); ' + _SWITCH_TO_FILE.format(config=config)
        )
    keyring_link = CodexCliLink(kind="keyring", location=keyring_account(home), home=str(home))
    file_link = CodexCliLink(kind="file", location=str(home / "auth.json"), home=str(home))
    candidates: list[CodexCliLink] = []
    if mode in ("keyring", "auto"):
        encrypted = encrypted_store_path(home)
        if encrypted.exists() or (sys.platform == "win32" and mode == "keyring"):
            raise CodexCliUnreadableStore(
                f"the Codex CLI keeps its login in an encrypted file ({encrypted}) that "
                "litellm-codex cannot read; to share it, switch the Codex CLI to the file "
                "store: " + _SWITCH_TO_FILE.format(config=config)
            )
        if sys.platform != "win32":  # on Windows its keyring logins live in that file
            candidates.append(keyring_link)
    if mode in ("file", "auto"):
        candidates.append(file_link)
    for link in candidates:
        data = _load_link(link)
        if data is None:
            continue
        if link.kind == "file":
            _make_private(Path(link.location))
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
    mode 0600, written atomically under the Codex CLI's ``auth.json.lock``; a symlinked
    auth.json is updated at its target (the link stays). Keyring: the same document as
    compact JSON, replacing the secret of the Codex CLI's own entry (never a second one).
    Call it holding :func:`codex_cli_lock`. Nothing is written when the Codex CLI's store
    has meanwhile been removed or now holds another account (the user logged out or
    switched accounts there). Raises :class:`StoreError` on write failures.
    """
    if link.kind == "keyring":
        _write_back_keyring(link, login)
        return
    path = Path(link.location)
    home = link_home(link)
    try:
        lock = (
            _file_lock(home / AUTH_JSON_LOCK, LOCK_TIMEOUT)
            if home is not None and home.is_dir()
            else contextlib.nullcontext()
        )
        with lock:
            try:
                data = _load_link(link)
            except LoginError:
                data = None
            if data is None:
                log.info("the Codex CLI login at %s is gone; not writing it back", path)
                return
            if not _same_account(data, login):
                log.warning(
                    "the Codex CLI at %s is now logged in to another account; not overwriting it",
                    path,
                )
                return
            # Through a symlink: replace the target, atomically, in its own directory.
            target = Path(os.path.realpath(path))
            atomic_write(target, json.dumps(_updated(data, login), indent=2) + "\n", mode=0o600)
    except OSError as exc:  # TimeoutError included
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise StoreError(
            f"cannot write the Codex CLI login {path}: {reason}",
            provider="openai-codex",
        ) from None


def _write_back_keyring(link: CodexCliLink, login: CodexLogin) -> None:
    try:
        text = _keyring_read(link.location)
        data = _parse_json(text, "the Codex CLI keyring entry") if text else None
        if data is None:
            log.info("the Codex CLI keyring entry is gone; not writing it back")
            return
        if not _same_account(data, login):
            log.warning("the Codex CLI is now logged in to another account; not overwriting it")
            return
        compact = json.dumps(_updated(data, login), separators=(",", ":"))
        _keyring_update(link.location, compact)
    except StoreError:
        raise
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
