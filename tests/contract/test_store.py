"""One contract suite for every token store: memory, file, keyring (file-backed test backend,
a Windows-like size-limited one, and the real GNOME Keyring Secret Service)."""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.core
import pytest
from keyring.compat import properties

from litellm_codex.auth import store as store_mod
from litellm_codex.auth.store import (
    CHUNK_SIZE,
    FileStore,
    KeyringStore,
    MemoryStore,
    TokenStore,
    default_store,
    home_dir,
    service_name,
)
from litellm_codex.errors import StoreError
from tests._keyring import (
    WINDOWS_LIMIT,
    FailAfter,
    FileKeyring,
    WindowsLikeKeyring,
    _explicit_only,
    gnome_keyring_session,
    missing_secret_service_binaries,
)

REPO = Path(__file__).resolve().parents[2]
SECRET = "eyJhbGciOiJub25lIn0.c2VjcmV0LXBheWxvYWQ.c2ln"


def _big_record(size: int = 7000) -> dict[str, Any]:
    # Three token-sized strings, like a real Codex login (JWTs are 1-2 KB each).
    third = size // 3
    return {
        "access_token": "a" * third,
        "refresh_token": "r" * third,
        "id_token": "i" * third,
        "email": "dev@example.com",
    }


# ----------------------------------------------------------------------- the real keyring


@pytest.fixture(scope="session")
def secret_service_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private D-Bus session with an unlocked GNOME Keyring; yields the bus address.

    Skips when the binaries are missing, except in CI (``CI=true``), where that is a
    failure: CI must exercise the real Secret Service.
    """
    missing = missing_secret_service_binaries()
    if missing:
        message = f"missing {', '.join(missing)} (apt-get install dbus gnome-keyring)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs the real Secret Service: {message}")
        pytest.skip(message)
    with gnome_keyring_session(tmp_path_factory.mktemp("gnome-keyring")) as address:
        yield address


@pytest.fixture
def secret_service(secret_service_bus: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """keyring's SecretService backend, talking to the private bus during this test only."""
    from keyring.backends import SecretService

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service_bus)
    return SecretService.Keyring()


# ----------------------------------------------------------------------- the contract

Opener = Callable[[], TokenStore]

BACKENDS = [
    "memory",
    "file",
    "keyring-file",
    "keyring-windows",
    pytest.param("keyring-secret-service", marks=pytest.mark.keyring),
    "redis",
]


@pytest.fixture(params=BACKENDS)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """A function returning a fresh store object over the same backing storage."""
    kind = request.param
    if kind == "memory":
        memory = MemoryStore()
        yield lambda: memory
    elif kind == "file":
        yield lambda: FileStore(tmp_path / "home" / "credentials.json")
    elif kind in ("keyring-file", "keyring-windows"):
        cls = FileKeyring if kind == "keyring-file" else WindowsLikeKeyring
        path = tmp_path / "keyring.json"
        yield lambda: KeyringStore(cls(path))
    elif kind == "redis":
        from litellm_codex.auth.redis_store import RedisStore

        request.getfixturevalue("redis_env")
        yield RedisStore.from_env
    else:
        backend = request.getfixturevalue("secret_service")
        account = f"test-{uuid.uuid4().hex[:8]}"
        yield lambda: KeyringStore(backend, account=account)
        cleanup = KeyringStore(backend, account=account)
        for provider in ("openai-codex", "github_copilot"):
            cleanup.delete(provider)


def test_name_describes_the_store(opener: Opener) -> None:
    store = opener()
    assert isinstance(store, TokenStore)
    assert isinstance(store.name, str)
    assert store.name
    assert store.name.split(" ")[0] in ("memory", "file", "keyring", "redis")


def test_missing_record_is_none(opener: Opener) -> None:
    assert opener().load("openai-codex") is None


def test_roundtrip_and_persistence(opener: Opener) -> None:
    record = {"access_token": SECRET, "refresh_token": "rt_1", "expires_at": 1.5, "n": None}
    opener().save("openai-codex", record)
    assert opener().load("openai-codex") == record


def test_overwrite_replaces(opener: Opener) -> None:
    store = opener()
    store.save("openai-codex", {"v": 1, "extra": "x"})
    store.save("openai-codex", {"v": 2})
    assert opener().load("openai-codex") == {"v": 2}


def test_delete(opener: Opener) -> None:
    store = opener()
    store.delete("openai-codex")  # nothing stored: no error
    store.save("openai-codex", {"v": 1})
    store.save("github_copilot", {"g": 1})
    store.delete("openai-codex")
    assert opener().load("openai-codex") is None
    assert opener().load("github_copilot") == {"g": 1}
    store.delete("openai-codex")


def test_providers_are_independent_and_spellings_agree(opener: Opener) -> None:
    store = opener()
    store.save("openai-codex", {"who": "codex"})
    store.save("github_copilot", {"who": "copilot"})
    assert store.load("openai_codex") == {"who": "codex"}
    assert store.load("github-copilot") == {"who": "copilot"}


@pytest.mark.parametrize("size", [CHUNK_SIZE - 40, CHUNK_SIZE * 3, 20_000])
def test_big_records_roundtrip(opener: Opener, size: int) -> None:
    record = _big_record(size)
    assert len(json.dumps(record)) > 900
    opener().save("openai-codex", record)
    assert opener().load("openai-codex") == record


def test_shrinking_and_growing(opener: Opener) -> None:
    store = opener()
    for record in (_big_record(9000), {"small": True}, _big_record(4000), {"x": "y"}):
        store.save("openai-codex", record)
        assert opener().load("openai-codex") == record


def test_unicode_roundtrip(opener: Opener) -> None:
    record = {"email": "zoë@exämple.com", "label": "日本語 ✓", "emoji": "🔑"}
    opener().save("github_copilot", record)
    assert opener().load("github_copilot") == record


def test_repr_has_no_secret(opener: Opener) -> None:
    store = opener()
    store.save("openai-codex", {"access_token": SECRET})
    assert SECRET not in repr(store)
    assert SECRET not in store.name


# ----------------------------------------------------------------------- keyring specifics

KEYRING_BACKENDS = [
    "keyring-file",
    pytest.param("keyring-secret-service", marks=pytest.mark.keyring),
]


@pytest.fixture(params=KEYRING_BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "keyring-file":
        return FileKeyring(tmp_path / "keyring.json")
    return request.getfixturevalue("secret_service")


@pytest.fixture
def account(backend: Any) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    KeyringStore(backend, account=name).delete("openai-codex")


def test_every_keyring_entry_fits_windows(tmp_path: Path) -> None:
    backend = FileKeyring(tmp_path / "k.json")
    KeyringStore(backend).save("openai-codex", _big_record(30_000))
    entries = backend.entries()
    assert len(entries) > 30
    for value in entries.values():
        assert len(value.encode("utf-16-le")) <= WINDOWS_LIMIT
        assert len(value) <= CHUNK_SIZE


def test_windows_like_backend_rejects_unchunked(tmp_path: Path) -> None:
    # Proves the size-limited backend would catch a store that does not chunk.
    backend = WindowsLikeKeyring(tmp_path / "k.json")
    with pytest.raises(keyring.errors.PasswordSetError):
        backend.set_password("s", "u", "x" * 2000)


def test_old_generation_is_cleaned_up(tmp_path: Path) -> None:
    backend = FileKeyring(tmp_path / "k.json")
    store = KeyringStore(backend)
    store.save("openai-codex", _big_record(9000))
    store.save("openai-codex", {"small": 1})
    assert len(backend.entries()) == 2  # header + one chunk
    store.delete("openai-codex")
    assert backend.entries() == {}


def test_service_names() -> None:
    assert service_name("openai-codex") == "litellm-codex:openai-codex"
    assert service_name("github_copilot") == "litellm-codex:github-copilot"
    assert service_name("github-copilot") == "litellm-codex:github-copilot"


def test_entries_use_the_documented_service(tmp_path: Path) -> None:
    backend = FileKeyring(tmp_path / "k.json")
    KeyringStore(backend).save("github_copilot", {"a": 1})
    services = {key.split("\x00")[0] for key in backend.entries()}
    assert services == {"litellm-codex:github-copilot"}
    assert backend.get_password("litellm-codex:github-copilot", "default") is not None


def test_crash_at_any_point_of_a_save_keeps_old_record(backend: Any, account: str) -> None:
    old, new = _big_record(3500), _big_record(5000) | {"new": True}
    KeyringStore(backend, account=account).save("openai-codex", old)
    chunks = -(-len(store_mod._dumps(new)) // CHUNK_SIZE)
    assert chunks > 2
    for allowed in range(chunks + 1):  # crash while writing chunk 0..n-1, or the header
        crashing = KeyringStore(FailAfter(backend, allowed), account=account)
        with pytest.raises(StoreError) as info:
            crashing.save("openai-codex", new)
        assert "Crash" in str(info.value)
        assert KeyringStore(backend, account=account).load("openai-codex") == old
    # every write done, crash while deleting the old generation: the new record is in
    crashing = KeyringStore(FailAfter(backend, chunks + 1), account=account)
    with pytest.raises(StoreError):
        crashing.save("openai-codex", new)
    assert KeyringStore(backend, account=account).load("openai-codex") == new
    KeyringStore(backend, account=account).save("openai-codex", old)
    assert KeyringStore(backend, account=account).load("openai-codex") == old


@pytest.fixture(params=KEYRING_BACKENDS)
def own_backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Like ``backend``, but the Secret Service is a GNOME Keyring of this test's own.

    gnome-keyring-daemon itself dies after some thousands of connections in a row (measured
    here: a loop of this test, one new D-Bus connection per keyring call, killed it after
    36-109 rounds, leaving a zombie and the bus name unowned). The test that makes the most
    connections gets a fresh daemon, so what the rest of the session did cannot make it
    fail, and its own burst cannot fail the tests after it."""
    if request.param == "keyring-file":
        yield FileKeyring(tmp_path / "keyring.json")
        return
    from keyring.backends import SecretService

    request.getfixturevalue("secret_service_bus")  # skips (fails in CI) without the daemons
    with gnome_keyring_session(tmp_path / "gnome-keyring") as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield SecretService.Keyring()


def test_reader_never_sees_a_half_written_set(own_backend: Any) -> None:
    backend, account = own_backend, f"test-{uuid.uuid4().hex[:8]}"
    records = [_big_record(4000) | {"which": "A"}, _big_record(6000) | {"which": "B"}]
    writer_store = KeyringStore(backend, account=account)
    writer_store.save("openai-codex", records[0])
    stop = threading.Event()
    seen: list[Any] = []
    errors: list[BaseException] = []

    def reader() -> None:
        store = KeyringStore(backend, account=account)
        while not stop.is_set():
            try:
                seen.append(store.load("openai-codex"))
            except BaseException as exc:
                errors.append(exc)
                return
            # Keep reading between writes without flooding the Secret Service daemon with
            # new D-Bus connections (under CPU pressure a flood makes its setup time out).
            stop.wait(0.01)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(8):
            writer_store.save("openai-codex", records[i % 2])
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert seen
    assert all(record in records for record in seen)


def test_whole_record_in_header_entry_is_read(tmp_path: Path) -> None:
    backend = FileKeyring(tmp_path / "k.json")
    backend.set_password("litellm-codex:openai-codex", "default", json.dumps({"plain": 1}))
    store = KeyringStore(backend)
    assert store.load("openai-codex") == {"plain": 1}
    store.delete("openai-codex")
    assert backend.entries() == {}


def test_missing_chunks_is_a_store_error(tmp_path: Path) -> None:
    backend = FileKeyring(tmp_path / "k.json")
    store = KeyringStore(backend)
    store.save("openai-codex", _big_record(5000))
    key = next(k for k in backend.entries() if k.endswith("#1"))
    service, user = key.split("\x00")
    backend.delete_password(service, user)
    with pytest.raises(StoreError, match="incomplete"):
        store.load("openai-codex")


@pytest.mark.parametrize("text", ["not json at all", "[1, 2]"])
def test_garbage_entry_is_a_store_error(tmp_path: Path, text: str) -> None:
    backend = FileKeyring(tmp_path / "k.json")
    backend.set_password("litellm-codex:openai-codex", "default", text)
    with pytest.raises(StoreError, match="openai-codex"):
        KeyringStore(backend).load("openai-codex")


class _Broken(keyring.backend.KeyringBackend):
    priority = properties.classproperty(_explicit_only)

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked " + SECRET)

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("cannot store " + password)

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringError("nope")


def test_backend_errors_become_store_errors_without_secrets() -> None:
    store = KeyringStore(_Broken())
    for call in (
        lambda: store.load("openai-codex"),
        lambda: store.save("openai-codex", {"access_token": SECRET}),
        lambda: store._delete_entry("openai-codex", "default"),
    ):
        with pytest.raises(StoreError) as info:
            call()
        assert SECRET not in str(info.value)
        assert info.value.provider == "openai-codex"
        assert info.value.__cause__ is None  # the backend's message (maybe a secret) is dropped


def test_keyring_store_defaults_to_active_backend(tmp_path: Path, active_keyring: Any) -> None:
    backend = FileKeyring(tmp_path / "k.json")
    keyring.set_keyring(backend)
    store = KeyringStore()
    assert store.backend is backend
    assert store.name == f"keyring ({FileKeyring.name})"


# ----------------------------------------------------------------------- file specifics


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_file_modes(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "credentials.json"
    old_umask = os.umask(0o022)
    try:
        FileStore(path).save("openai-codex", {"v": 1})
    finally:
        os.umask(old_umask)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    FileStore(path).save("github_copilot", {"v": 2})
    assert _mode(path) == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_file_is_never_visible_with_wider_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        seen.append(_mode(Path(src)))  # the temp file, before it becomes credentials.json
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    FileStore(tmp_path / "credentials.json").save("openai-codex", {"v": 1})
    assert seen == [0o600]


def test_failed_replace_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "credentials.json"
    FileStore(path).save("openai-codex", {"v": "old"})
    before = path.read_bytes()

    def boom(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(StoreError, match="No space left"):
        FileStore(path).save("openai-codex", {"v": "new", "access_token": SECRET})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert FileStore(path).load("openai-codex") == {"v": "old"}
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_process_killed_mid_write_keeps_old_file(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    FileStore(path).save("openai-codex", {"v": "old"})
    script = textwrap.dedent(
        f"""
        import os, sys, time
        from litellm_codex.auth.store import FileStore
        def hang(fd):
            print("writing", flush=True)
            time.sleep(60)
        os.fsync = hang
        FileStore({str(path)!r}).save("openai-codex", {{"v": "new" * 5000}})
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert json.loads(path.read_text())["openai-codex"] == {"v": "old"}
    assert FileStore(path).load("openai-codex") == {"v": "old"}
    # the next save (another process) works despite the dead writer's leftovers
    FileStore(path).save("openai-codex", {"v": "next"})
    assert FileStore(path).load("openai-codex") == {"v": "next"}


def test_concurrent_processes_keep_each_others_records(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    script = textwrap.dedent(
        """
        import sys
        from litellm_codex.auth.store import FileStore
        store = FileStore(sys.argv[1])
        for i in range(30):
            store.save(sys.argv[2], {"i": i})
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(path), name], cwd=REPO)
        for name in ("openai-codex", "github_copilot", "third")
    ]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    store = FileStore(path)
    for name in ("openai-codex", "github_copilot", "third"):
        assert store.load(name) == {"i": 29}


def test_corrupt_file_is_a_store_error_without_content(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    path.write_text('{"openai-codex": ' + SECRET)
    with pytest.raises(StoreError) as info:
        FileStore(path).load("openai-codex")
    assert str(path) in str(info.value)
    assert SECRET not in str(info.value)
    with pytest.raises(StoreError):
        FileStore(path).save("openai-codex", {"v": 1})  # never overwrite what we cannot read


def test_empty_file_and_non_dict_entries(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    path.write_text("")
    assert FileStore(path).load("openai-codex") is None
    path.write_text('{"openai-codex": "a string"}')
    assert FileStore(path).load("openai-codex") is None


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    FileStore(path).save("openai-codex", {"v": 1})
    path.chmod(0)
    with pytest.raises(StoreError, match="cannot read"):
        FileStore(path).load("openai-codex")


def test_lock_timeout_is_a_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import filelock

    path = tmp_path / "credentials.json"
    monkeypatch.setattr(store_mod, "_FILE_LOCK_TIMEOUT", 0.05)
    holder = filelock.FileLock(str(path) + ".lock")
    result: list[BaseException] = []

    def other() -> None:  # another thread: the holder's lock is not re-entrant across threads
        try:
            FileStore(path).save("openai-codex", {"v": 1})
        except BaseException as exc:
            result.append(exc)

    with holder:
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert len(result) == 1
    assert isinstance(result[0], StoreError)
    assert "timed out" in str(result[0])


# ----------------------------------------------------------------------- home dir


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"LITELLM_CODEX_HOME": "/x/home"}, "/x/home"),
        ("linux", {"XDG_CONFIG_HOME": "/cfg"}, "/cfg/litellm-codex"),
        ("linux", {}, "~/.config/litellm-codex"),
        ("darwin", {}, "~/Library/Application Support/litellm-codex"),
        ("win32", {"APPDATA": "/appdata"}, "/appdata/litellm-codex"),
        ("win32", {}, "~/AppData/Roaming/litellm-codex"),
        ("win32", {"LITELLM_CODEX_HOME": "/override"}, "/override"),
    ],
)
def test_home_dir(
    monkeypatch: pytest.MonkeyPatch, platform: str, env: dict[str, str], expected: str
) -> None:
    for name in ("LITELLM_CODEX_HOME", "XDG_CONFIG_HOME", "APPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "platform", platform)
    assert home_dir() == Path(expected).expanduser()


def test_file_store_defaults_to_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_CODEX_HOME", str(tmp_path / "h"))
    store = FileStore()
    assert store.path == tmp_path / "h" / "credentials.json"
    assert store.name == f"file ({tmp_path / 'h' / 'credentials.json'})"


# ----------------------------------------------------------------------- default_store


@pytest.fixture
def active_keyring() -> Iterator[None]:
    """Restore keyring's process-wide backend after the test."""
    saved = keyring.core._keyring_backend
    try:
        yield
    finally:
        keyring.core._keyring_backend = saved


@pytest.fixture
def fresh_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, active_keyring: None
) -> Iterator[None]:
    monkeypatch.setenv("LITELLM_CODEX_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LITELLM_CODEX_STORE", raising=False)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    store_mod._reset_warning()
    yield
    store_mod._reset_warning()


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == store_mod.__name__
    ]


def test_default_store_falls_back_to_file_with_one_warning(
    fresh_default: None, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    caplog.set_level(logging.WARNING)
    first, second = default_store(), default_store()
    assert isinstance(first, FileStore)
    assert isinstance(second, FileStore)
    warnings = _warnings(caplog)
    assert len(warnings) == 1
    assert str(tmp_path / "home" / "credentials.json") in warnings[0]


@pytest.mark.parametrize("backend_name", ["null", "chainer"])
def test_degenerate_backends_fall_back_to_file(
    fresh_default: None, backend_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backends import chainer, null

    if backend_name == "null":
        keyring.set_keyring(null.Keyring())
    else:
        monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
        keyring.set_keyring(chainer.ChainerBackend())
    assert isinstance(default_store(), FileStore)


def test_chainer_with_backends_is_used(
    fresh_default: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from keyring.backends import chainer

    monkeypatch.setattr(chainer.ChainerBackend, "backends", [FileKeyring(tmp_path / "k.json")])
    keyring.set_keyring(chainer.ChainerBackend())
    assert isinstance(default_store(), KeyringStore)


def test_default_store_uses_a_usable_keyring(
    fresh_default: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    backend = FileKeyring(tmp_path / "k.json")
    keyring.set_keyring(backend)
    caplog.set_level(logging.WARNING)
    store = default_store()
    assert isinstance(store, KeyringStore)
    assert store.backend is backend
    assert _warnings(caplog) == []


def test_default_store_env_file(
    fresh_default: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    keyring.set_keyring(FileKeyring(tmp_path / "k.json"))
    monkeypatch.setenv("LITELLM_CODEX_STORE", "file")
    caplog.set_level(logging.WARNING)
    assert isinstance(default_store(), FileStore)
    assert _warnings(caplog) == []


def test_default_store_env_keyring_without_backend_fails(
    fresh_default: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    monkeypatch.setenv("LITELLM_CODEX_STORE", "keyring")
    with pytest.raises(StoreError, match="no usable keyring"):
        default_store()


def test_default_store_env_keyring_with_backend(
    fresh_default: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keyring.set_keyring(FileKeyring(tmp_path / "k.json"))
    monkeypatch.setenv("LITELLM_CODEX_STORE", "keyring")
    assert isinstance(default_store(), KeyringStore)


def test_default_store_rejects_unknown_choice(
    fresh_default: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LITELLM_CODEX_STORE", "vault")
    with pytest.raises(StoreError, match="LITELLM_CODEX_STORE"):
        default_store()


def test_default_store_broken_backend_env_falls_back(
    fresh_default: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.core._keyring_backend = None
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no.such.module.Keyring")
    assert isinstance(default_store(), FileStore)


def test_backend_chosen_by_env_in_a_subprocess(tmp_path: Path) -> None:
    """PYTHON_KEYRING_BACKEND selects the test keyring in another process, and records it
    writes are visible here: the way multi-process tests share a keyring."""
    env = dict(
        os.environ,
        PYTHON_KEYRING_BACKEND="tests._keyring.FileKeyring",
        LITELLM_CODEX_TEST_KEYRING=str(tmp_path / "k.json"),
        LITELLM_CODEX_HOME=str(tmp_path / "home"),
    )
    env.pop("LITELLM_CODEX_STORE", None)
    script = (
        "from litellm_codex.auth.store import default_store\n"
        "s = default_store(); print(s.name); s.save('openai-codex', {'from': 'child'})\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == f"keyring ({FileKeyring.name})"
    assert KeyringStore(FileKeyring(tmp_path / "k.json")).load("openai-codex") == {"from": "child"}


def test_replace_retries_sharing_violations_on_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "credentials.json"
    real_replace = os.replace
    failures = [PermissionError(13, "sharing violation")] * 2

    def flaky(src: Any, dst: Any) -> None:
        if failures:
            raise failures.pop()
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    monkeypatch.setattr(store_mod, "_WINDOWS", True)
    FileStore(path).save("openai-codex", {"v": 1})
    assert FileStore(path).load("openai-codex") == {"v": 1}
    # elsewhere a PermissionError is final
    failures.append(PermissionError(13, "denied"))
    monkeypatch.setattr(store_mod, "_WINDOWS", False)
    with pytest.raises(StoreError, match="denied"):
        FileStore(path).save("openai-codex", {"v": 2})


class InitError(Exception):
    """Named like jeepney's: a D-Bus connection that could not be set up."""


class FlakyKeyring(FileKeyring):
    """A :class:`FileKeyring` whose next ``failures`` reads fail with :class:`InitError`."""

    def __init__(self, path: Path, failures: int) -> None:
        super().__init__(path)
        self.failures = failures
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        if self.failures > 0:
            self.failures -= 1
            raise InitError("could not connect to the session bus")
        return super().get_password(service, username)


@pytest.mark.parametrize(("failures", "ok"), [(1, True), (2, True), (20, False)])
def test_a_busy_secret_service_is_retried_a_few_times(
    tmp_path: Path, failures: int, ok: bool
) -> None:
    # Each keyring call is tried 3 times (pauses 0.05, 0.2 s); a load whose reads keep
    # failing is given up on (after its own 5 attempts) with a StoreError.
    FileKeyring(tmp_path / "k.json").set_password(
        "litellm-codex:openai-codex", "default", json.dumps({"plain": 1})
    )
    backend = FlakyKeyring(tmp_path / "k.json", failures)
    store = KeyringStore(backend)
    if ok:
        assert store.load("openai-codex") == {"plain": 1}
    else:
        with pytest.raises(StoreError, match="InitError"):
            store.load("openai-codex")
    assert backend.reads == (failures + 1 if ok else 15)
