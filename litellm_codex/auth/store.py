"""Where logins live: the OS keyring, a private JSON file, or memory.

A store keeps one JSON record (a ``dict``) per provider::

    TokenStore (protocol)   load / save / delete, plus a human ``name`` for `status`
    ├── KeyringStore        OS keyring via ``keyring``: service ``litellm-codex:<provider>``,
    │                       records split into chunks so every backend accepts them
    ├── FileStore           ``credentials.json`` in LITELLM_CODEX_HOME, 0600, atomic writes,
    │                       updated under an inter-process file lock
    ├── MemoryStore         a dict, for tests and the demo
    └── RedisStore          encrypted records in Redis, for proxy replicas (redis_store.py)

:func:`default_store` picks one from ``LITELLM_CODEX_STORE`` and what ``keyring`` offers.
Keyring calls can block for tens of milliseconds (D-Bus round trips), so the credential
managers read a store once per process and again only around a refresh, never per request.
Records are secrets: nothing here logs or repeats their content, and errors name only the
provider and the store.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from litellm_codex import settings
from litellm_codex.errors import StoreError, cli_name

if TYPE_CHECKING:
    import filelock

__all__ = [
    "FileStore",
    "KeyringStore",
    "MemoryStore",
    "TokenStore",
    "default_store",
    "home_dir",
    "service_name",
]

log = logging.getLogger(__name__)

#: Keyring account name under each service.
DEFAULT_ACCOUNT = "default"
#: Largest chunk (characters) written to one keyring entry. Windows' Credential Locker caps a
#: secret at 2,560 bytes of UTF-16 (1,280 characters); records are ASCII JSON, so 1,000
#: characters leaves room for the backend's own framing.
CHUNK_SIZE = 1000
#: Marks a header entry (as opposed to a record stored whole by some other writer).
_HEADER_FORMAT = "litellm-codex/chunked-v1"
#: How long to wait for the credentials file lock before giving up.
_FILE_LOCK_TIMEOUT = 30.0


def canonical_provider(provider: str) -> str:
    """The spelling used in stored names (``openai-codex``, ``github-copilot``): the CLI's."""
    return cli_name(provider)


def service_name(provider: str) -> str:
    """Keyring service of a provider: ``litellm-codex:openai-codex`` /
    ``litellm-codex:github-copilot`` (SPEC §3; both LiteLLM spellings map to one name)."""
    return f"litellm-codex:{canonical_provider(provider)}"


def home_dir() -> Path:
    """``LITELLM_CODEX_HOME``, else the user's config dir + ``litellm-codex``.

    Derived by hand to avoid a dependency: ``%APPDATA%`` on Windows,
    ``~/Library/Application Support`` on macOS, ``$XDG_CONFIG_HOME`` or ``~/.config``
    elsewhere.
    """
    env = settings.current().home
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "litellm-codex"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) with mode 0700 if missing; return it."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(OSError):  # mkdir's mode is masked by the umask
            os.chmod(path, 0o700)
    return path


@runtime_checkable
class TokenStore(Protocol):
    """One JSON record per provider."""

    @property
    def name(self) -> str:
        """Human description for `status`: ``keyring (SecretService Keyring)``,
        ``file (/home/me/.config/litellm-codex/credentials.json)``, ``memory``."""
        ...

    def load(self, provider: str) -> dict[str, Any] | None:
        """The stored record, or ``None`` when there is none."""
        ...

    def save(self, provider: str, record: dict[str, Any]) -> None:
        """Store ``record`` for ``provider``, replacing any previous one."""
        ...

    def delete(self, provider: str) -> None:
        """Forget the record (no error when there is none)."""
        ...


def _dumps(record: dict[str, Any]) -> str:
    # ASCII-only compact JSON: one character is one byte in every backend's encoding.
    return json.dumps(record, separators=(",", ":"), ensure_ascii=True, sort_keys=True)


def _loads_record(text: str, provider: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise StoreError(
            f"the stored {canonical_provider(provider)} login in {where} is not valid JSON",
            provider=provider,
        ) from None
    if not isinstance(value, dict):
        raise StoreError(
            f"the stored {canonical_provider(provider)} login in {where} is not a JSON object",
            provider=provider,
        )
    return value


# ------------------------------------------------------------------------------ memory


class MemoryStore:
    """Records in a dict (copied in and out, like a real store)."""

    name = "memory"

    def __init__(self) -> None:
        self._records: dict[str, str] = {}
        self._lock = threading.Lock()

    def load(self, provider: str) -> dict[str, Any] | None:
        with self._lock:
            text = self._records.get(canonical_provider(provider))
        return None if text is None else _loads_record(text, provider, self.name)

    def save(self, provider: str, record: dict[str, Any]) -> None:
        text = _dumps(record)
        with self._lock:
            self._records[canonical_provider(provider)] = text

    def delete(self, provider: str) -> None:
        with self._lock:
            self._records.pop(canonical_provider(provider), None)

    def __repr__(self) -> str:
        return "MemoryStore()"


# ------------------------------------------------------------------------------ file


class FileStore:
    """``credentials.json``: ``{"openai-codex": {...}, "github-copilot": {...}}``.

    The directory is created 0700 and the file 0600 from the moment it exists (written to a
    temporary file opened with ``O_CREAT | O_EXCL`` and mode 0600, fsynced, then renamed
    over the old one), so a crash mid-write leaves the previous file intact. Saves and
    deletes hold a :class:`filelock.FileLock` so concurrent processes do not lose each
    other's records.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else home_dir() / "credentials.json"
        self.name = f"file ({self.path})"
        self._lock: filelock.FileLock | None = None  # made by the first save or delete

    def __repr__(self) -> str:
        return f"FileStore({str(self.path)!r})"

    def _read_all(self, provider: str) -> dict[str, Any]:
        try:
            with open(self.path, "rb") as file:
                _make_private(file.fileno(), self.path, provider)
                text = file.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(
                f"cannot read {self.path}: {exc.strerror or type(exc).__name__}",
                provider=provider,
            ) from None
        if not text.strip():
            return {}
        return _loads_record(text, provider, str(self.path))

    def load(self, provider: str) -> dict[str, Any] | None:
        # No lock needed: the file is only ever replaced whole (rename is atomic).
        record = self._read_all(provider).get(canonical_provider(provider))
        return record if isinstance(record, dict) else None

    def save(self, provider: str, record: dict[str, Any]) -> None:
        with self._locked(provider):
            data = self._read_all(provider)
            data[canonical_provider(provider)] = record
            self._write_all(provider, data)

    def delete(self, provider: str) -> None:
        with self._locked(provider):
            data = self._read_all(provider)
            if data.pop(canonical_provider(provider), None) is not None:
                self._write_all(provider, data)

    @contextlib.contextmanager
    def _locked(self, provider: str) -> Iterator[None]:
        import filelock  # imported here: reading a login (every call) takes no lock

        if self._lock is None:
            self._lock = filelock.FileLock(str(self.path) + ".lock", timeout=_FILE_LOCK_TIMEOUT)
        try:
            ensure_private_dir(self.path.parent)
            with self._lock:
                yield
        except filelock.Timeout:
            raise StoreError(
                f"timed out waiting for the lock on {self.path}", provider=provider
            ) from None

    def _write_all(self, provider: str, data: dict[str, Any]) -> None:
        try:
            atomic_write(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            raise StoreError(
                f"cannot write {self.path}: {exc.strerror or type(exc).__name__}",
                provider=provider,
            ) from None


def _make_private(fd: int, path: Path, provider: str) -> None:
    """A credentials file others can read is fixed to 0600, with a warning; one we cannot
    fix (owned by someone else) is refused. Never a silent 0644."""
    if os.name != "posix":
        return
    mode = os.fstat(fd).st_mode & 0o777
    if not mode & 0o077:
        return
    try:
        os.fchmod(fd, mode & 0o700 | 0o600)
    except OSError as exc:
        raise StoreError(
            f"{path} is readable by other users (mode {mode:04o}) and its mode cannot be "
            f"changed ({exc.strerror or type(exc).__name__}); run `chmod 600 {path}`",
            provider=provider,
        ) from None
    log.warning(
        "%s was readable by other users (mode %04o); changed it to 0600. Anyone who read "
        "it has your tokens: consider `litellm-codex logout` and logging in again",
        path,
        mode,
    )


def atomic_write(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace ``path`` with ``text`` atomically; the file has ``mode`` from creation.

    Write a uniquely named temporary file next to it (``O_CREAT | O_EXCL``, so the mode is
    set at creation and no other file is followed), fsync it, rename it over ``path``,
    then fsync the directory so the rename survives a power cut. On any error the
    temporary file is removed and ``path`` keeps its old content.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


_WINDOWS: bool = sys.platform == "win32"


def _replace(src: Path, dst: Path) -> None:
    # On Windows a rename over a file another process has open (a reader of the store)
    # fails with a sharing violation for as long as it is open; readers hold it briefly.
    for attempt in range(20):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if not _WINDOWS or attempt == 19:
                raise
            time.sleep(0.05)


def _fsync_dir(directory: Path) -> None:
    if sys.platform == "win32":  # directories cannot be opened for fsync on Windows
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------------------ keyring


class KeyringStore:
    """Records in the OS keyring, service ``litellm-codex:<provider>``.

    Layout under each service (SPEC §3: entries may exceed Windows' 2,560-byte limit)::

        account "default"            header {"format": ..., "generation": G, "chunks": N}
        account "default#G#0".."N-1" the record's JSON, CHUNK_SIZE characters each

    A save writes the chunks under a fresh generation id first, then the header, then
    deletes the previous generation's chunks, so a reader sees either the old or the new
    set, never half of one. A reader that loses a race with a writer (header read, chunks
    already deleted) reads the header again.
    """

    def __init__(self, backend: Any = None, *, account: str = DEFAULT_ACCOUNT) -> None:
        #: The ``keyring.backend.KeyringBackend``; ``None``: keyring's active backend,
        #: looked up on first use (detection itself may touch D-Bus).
        self._backend = backend
        self.account = account

    @property
    def backend(self) -> Any:
        if self._backend is None:
            import keyring

            self._backend = keyring.get_keyring()
        return self._backend

    @property
    def name(self) -> str:
        backend = self.backend
        label = getattr(type(backend), "name", None) or type(backend).__name__
        return f"keyring ({label})"

    def __repr__(self) -> str:
        return f"KeyringStore(account={self.account!r})"

    def _chunk_account(self, generation: str, index: int) -> str:
        return f"{self.account}#{generation}#{index}"

    def _call(self, provider: str, what: str, fn: Any, *args: Any) -> Any:
        try:
            for delay in _TRANSIENT_RETRY_DELAYS:
                try:
                    return fn(*args)
                except Exception as exc:
                    if not _transient(exc):
                        raise
                # Secret Service: an item found by a search was removed before we used it
                # (another writer cleaning up an old generation), or the D-Bus connection
                # could not be set up in time on a loaded machine. Another try sees the
                # collection as it is now.
                time.sleep(delay)
            return fn(*args)
        except StoreError:
            raise
        except Exception as exc:  # keyring errors, D-Bus errors, locked collections...
            raise StoreError(
                f"keyring ({type(self.backend).__name__}) could not {what} the "
                f"{canonical_provider(provider)} login: {type(exc).__name__} "
                "(set LITELLM_CODEX_STORE=file to keep logins in a file instead)",
                provider=provider,
            ) from None

    def _header(self, provider: str) -> tuple[dict[str, Any] | None, str | None]:
        """``(header, whole_record_text)``: exactly one is set, or both ``None``."""
        text = self._call(
            provider, "read", self.backend.get_password, service_name(provider), self.account
        )
        if text is None:
            return None, None
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict) and value.get("format") == _HEADER_FORMAT:
            return value, None
        # Not our header: a record stored whole (by hand or a future version).
        return None, text

    def load(self, provider: str) -> dict[str, Any] | None:
        service = service_name(provider)
        attempts = 5
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                header, whole = self._header(provider)
                if whole is not None:
                    return _loads_record(whole, provider, self.name)
                if header is None:
                    return None
                generation = str(header.get("generation", ""))
                parts: list[str] = []
                for index in range(int(header.get("chunks", 0))):
                    part = self._call(
                        provider,
                        "read",
                        self.backend.get_password,
                        service,
                        self._chunk_account(generation, index),
                    )
                    if part is None:
                        break
                    parts.append(part)
                else:
                    return _loads_record("".join(parts), provider, self.name)
            except StoreError:
                # A concurrent save may replace the entries between our reads (the Secret
                # Service then fails with ItemNotFound): read the header again.
                if last:
                    raise
        raise StoreError(
            f"the {canonical_provider(provider)} login in {self.name} is incomplete "
            "(chunks missing); log in again",
            provider=provider,
        )

    def save(self, provider: str, record: dict[str, Any]) -> None:
        service = service_name(provider)
        text = _dumps(record)
        old, _ = self._header(provider)
        generation = secrets.token_hex(4)
        chunks = [text[i : i + CHUNK_SIZE] for i in range(0, len(text), CHUNK_SIZE)] or [""]
        for index, chunk in enumerate(chunks):
            self._call(
                provider,
                "write",
                self.backend.set_password,
                service,
                self._chunk_account(generation, index),
                chunk,
            )
        header = {"format": _HEADER_FORMAT, "generation": generation, "chunks": len(chunks)}
        self._call(
            provider, "write", self.backend.set_password, service, self.account, _dumps(header)
        )
        if old is not None:
            self._delete_chunks(provider, old)

    def delete(self, provider: str) -> None:
        header, whole = self._header(provider)
        if header is None and whole is None:
            return
        self._delete_entry(provider, self.account)
        if header is not None:
            self._delete_chunks(provider, header)

    def _delete_chunks(self, provider: str, header: dict[str, Any]) -> None:
        generation = str(header.get("generation", ""))
        for index in range(int(header.get("chunks", 0))):
            self._delete_entry(provider, self._chunk_account(generation, index))

    def _delete_entry(self, provider: str, account: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self.backend.delete_password(service_name(provider), account)
        except PasswordDeleteError:
            pass  # already gone
        except Exception as exc:
            if _item_vanished(exc):
                return  # deleted by someone else between the search and the delete

            raise StoreError(
                f"keyring ({type(self.backend).__name__}) could not delete the "
                f"{canonical_provider(provider)} login: {type(exc).__name__} "
                "(set LITELLM_CODEX_STORE=file to keep logins in a file instead)",
                provider=provider,
            ) from None


def _item_vanished(exc: BaseException) -> bool:
    """Secret Service's "item not found" (``secretstorage.exceptions.ItemNotFoundException``),
    matched by name so the store needs no import of an optional backend library."""
    return type(exc).__name__ == "ItemNotFoundException"


#: Pauses before each retry of a transient keyring error (then one last try): a quarter of
#: a second in all, for a D-Bus connection that fails to set up while the machine is busy.
_TRANSIENT_RETRY_DELAYS = (0.05, 0.2)


def _transient(exc: BaseException) -> bool:
    """Errors worth retrying: a vanished item, or a D-Bus connection that failed to set up
    (jeepney's ``InitError``, secretstorage's ``SecretServiceNotAvailableException``)."""
    return _item_vanished(exc) or type(exc).__name__ in (
        "InitError",
        "SecretServiceNotAvailableException",
    )


# ------------------------------------------------------------------------------ choice

_warned_fallback = False
_warn_lock = threading.Lock()


def keyring_usable(backend: Any) -> bool:
    """False for keyring's degenerate backends: ``fail``, ``null``, an empty chainer."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return bool(backend.backends)
    return True


def _active_keyring() -> Any:
    """keyring's active backend, or ``None`` when there is no usable one."""
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:  # a broken PYTHON_KEYRING_BACKEND or keyringrc.cfg
        log.debug("keyring backend detection failed", exc_info=True)
        return None
    return backend if keyring_usable(backend) else None


def default_store() -> TokenStore:
    """The store to use, from ``LITELLM_CODEX_STORE`` (``file`` | ``keyring`` | ``redis`` | unset).

    Unset: the OS keyring when ``keyring`` has a usable backend, else the file store with
    one warning per process that says where the file is. ``keyring`` with no usable
    backend raises :class:`StoreError`.
    """
    global _warned_fallback
    choice = settings.current().store
    if choice == "file":
        return FileStore()
    if choice == "redis":
        from litellm_codex.auth.redis_store import RedisStore

        return RedisStore.from_env()
    if choice not in ("", "keyring", "auto"):
        raise StoreError(
            f"LITELLM_CODEX_STORE must be 'keyring', 'file' or 'redis', not {choice!r}",
            provider="litellm-codex",
        )
    backend = _active_keyring()
    if backend is not None:
        return KeyringStore(backend)
    if choice == "keyring":
        raise StoreError(
            "LITELLM_CODEX_STORE=keyring but no usable keyring backend is available "
            "(install one, pick one with PYTHON_KEYRING_BACKEND, or set LITELLM_CODEX_STORE=file)",
            provider="litellm-codex",
        )
    store = FileStore()
    with _warn_lock:
        if not _warned_fallback:
            _warned_fallback = True
            log.warning(
                "no usable OS keyring backend; storing litellm-codex logins in %s "
                "(mode 0600). Set LITELLM_CODEX_STORE=file to silence this warning.",
                store.path,
            )
    return store


def _reset_warning() -> None:
    """Tests: let :func:`default_store` warn again."""
    global _warned_fallback
    with _warn_lock:
        _warned_fallback = False
