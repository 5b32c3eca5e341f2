"""A keyring backend for tests that keeps its entries in a JSON file.

Select it the standard way, ``PYTHON_KEYRING_BACKEND=tests._keyring.FileKeyring``, with
``LITELLM_CODEX_TEST_KEYRING=/path/keyring.json``, so subprocesses share it. Setting
``LITELLM_CODEX_TEST_KEYRING_MAX`` (bytes of UTF-16, like Windows' Credential Locker limit
of 2,560) makes oversized secrets fail the way Windows does. ``FailAfter`` wraps any
backend and raises after N writes, to simulate a crash in the middle of a save.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filelock
from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError, PasswordSetError

ENV_PATH = "LITELLM_CODEX_TEST_KEYRING"
ENV_MAX = "LITELLM_CODEX_TEST_KEYRING_MAX"
WINDOWS_LIMIT = 2560


def _explicit_only(cls: Any) -> float:
    # keyring instantiates every viable KeyringBackend subclass it knows when it detects a
    # backend (and for the chainer); test backends must never be picked up that way.
    raise RuntimeError("test keyring backend: select it explicitly")


class FileKeyring(KeyringBackend):
    """Entries in a JSON file: ``{"service\\x00user": "secret"}``."""

    @properties.classproperty
    def priority(cls) -> float:
        # Viable only when selected with PYTHON_KEYRING_BACKEND and given a file.
        if not os.environ.get(ENV_PATH):
            raise RuntimeError(f"set {ENV_PATH} to use the file test keyring")
        return 1

    def __init__(self, path: str | os.PathLike[str] | None = None, max_bytes: int | None = None):
        super().__init__()
        env_path = os.environ.get(ENV_PATH)
        if path is None and not env_path:
            raise RuntimeError(f"set {ENV_PATH} to use the file test keyring")
        self.path = Path(path or env_path or "")
        env_max = os.environ.get(ENV_MAX)
        self.max_bytes = max_bytes if max_bytes is not None else (int(env_max) if env_max else None)
        self._lock = filelock.FileLock(str(self.path) + ".lock")
        #: Number of set_password calls (for tests of the chunking).
        self.writes = 0

    def _read(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, str]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)

    @staticmethod
    def _key(service: str, username: str) -> str:
        return f"{service}\x00{username}"

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._read().get(self._key(service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.max_bytes is not None and len(password.encode("utf-16-le")) > self.max_bytes:
            raise PasswordSetError(f"secret too large ({len(password)} chars)")
        with self._lock:
            data = self._read()
            data[self._key(service, username)] = password
            self._write(data)
            self.writes += 1

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            data = self._read()
            if data.pop(self._key(service, username), None) is None:
                raise PasswordDeleteError("no such password")
            self._write(data)

    def entries(self) -> dict[str, str]:
        """All entries (test inspection)."""
        with self._lock:
            return self._read()


class WindowsLikeKeyring(FileKeyring):
    """A :class:`FileKeyring` that rejects secrets over Windows' 2,560-byte limit."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        super().__init__(path, max_bytes=WINDOWS_LIMIT)


class Crash(Exception):
    """Raised by :class:`FailAfter` to stand for a process dying mid-save."""


class FailAfter(KeyringBackend):
    """Delegates to ``inner``; the write after ``writes`` successful ones raises ``Crash``."""

    priority = properties.classproperty(_explicit_only)

    def __init__(self, inner: Any, writes: int) -> None:
        super().__init__()
        self.inner = inner
        self.remaining = writes

    def get_password(self, service: str, username: str) -> str | None:
        return self.inner.get_password(service, username)  # type: ignore[no-any-return]

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.remaining <= 0:
            raise Crash("simulated crash during a keyring write")
        self.remaining -= 1
        self.inner.set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        if self.remaining <= 0:
            raise Crash("simulated crash during a keyring delete")
        self.inner.delete_password(service, username)


# ----------------------------------------------------------------- a real Secret Service

#: The binaries a private GNOME Keyring session needs (Debian/Ubuntu packages
#: ``dbus`` / ``dbus-bin`` and ``gnome-keyring``).
SECRET_SERVICE_BINARIES = ("dbus-daemon", "gnome-keyring-daemon")


def missing_secret_service_binaries() -> list[str]:
    """The binaries of :data:`SECRET_SERVICE_BINARIES` not on PATH."""
    import shutil

    return [name for name in SECRET_SERVICE_BINARIES if shutil.which(name) is None]


@contextlib.contextmanager
def gnome_keyring_session(
    root: Path,
    password: str = "litellm-codex-test",  # noqa: S107 - a throwaway test keyring
) -> Iterator[str]:
    """Run a private D-Bus session bus and an unlocked GNOME Keyring (secrets component)
    under ``root``; yield the bus address; stop both daemons afterwards.

    ``os.environ`` is left as it was: point ``DBUS_SESSION_BUS_ADDRESS`` at the address
    only while a test uses the keyring (jeepney reads it on every connection), so keyring's
    auto-detection elsewhere in the session never finds this test keyring."""
    import subprocess
    import time

    root.mkdir(parents=True, exist_ok=True)
    runtime = root / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ)
    env.update(
        HOME=str(root),
        XDG_DATA_HOME=str(root / "data"),
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_CACHE_HOME=str(root / "cache"),
        XDG_RUNTIME_DIR=str(runtime),
    )
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    # Our own bus config: the stock session config lists service directories, and D-Bus
    # activation would start a second gnome-keyring-daemon if a client asked for the
    # Secret Service before ours has claimed the name.
    config = root / "bus.conf"
    config.write_text(_BUS_CONFIG.format(socket=root / "bus"), encoding="utf-8")
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    daemon: subprocess.Popen[bytes] | None = None
    saved = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        if not address:
            raise RuntimeError("dbus-daemon did not print its address")
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert daemon.stdin is not None
        # --unlock reads the login keyring's password from stdin (creating the keyring).
        daemon.stdin.write(password.encode())
        daemon.stdin.close()
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        try:
            _wait_for_secret_service(time.monotonic() + 10)
        finally:
            if saved is None:
                os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
            else:
                os.environ["DBUS_SESSION_BUS_ADDRESS"] = saved
        yield address
    finally:
        for proc in (daemon, bus):
            if proc is None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()


_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def _wait_for_secret_service(deadline: float) -> None:
    import time
    from contextlib import closing

    import secretstorage
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import Proxy

    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with closing(secretstorage.dbus_init()) as connection:
                # NameHasOwner: running now (check_service_availability also accepts
                # merely activatable services).
                bus = Proxy(message_bus, connection)
                if bus.NameHasOwner("org.freedesktop.secrets")[0] == 1:
                    collection = secretstorage.get_default_collection(connection)
                    if not collection.is_locked():
                        return
        except Exception as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"the Secret Service did not come up: {last!r}")
