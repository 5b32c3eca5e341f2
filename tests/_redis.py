"""A real ``redis-server`` for tests: 127.0.0.1, a free port, no persistence, stopped after.

Skips when ``redis-server`` is not installed (``apt-get install redis-server``), except in
CI (``CI`` set), where that is a failure: CI must exercise the real Redis store.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class RedisServer:
    host: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def env(self) -> dict[str, str]:
        """LiteLLM's Redis settings for this server."""
        return {"REDIS_HOST": self.host, "REDIS_PORT": str(self.port)}

    def client(self) -> object:
        import redis

        return redis.Redis(host=self.host, port=self.port, socket_timeout=5)


def require_redis_client() -> None:
    """Skip where the ``redis`` client is not part of the test point (it comes with
    ``litellm[proxy]``, absent at the SDK-only point); fail where it should be."""
    try:
        import redis  # noqa: F401
    except ImportError:
        from tests.e2e._proxy import skip_without_proxy

        skip_without_proxy("the redis client is missing")


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI"):
            pytest.fail(f"CI needs a real Redis: {message}")
        pytest.skip(message)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    """Start ``redis-server`` without persistence; yield it once it answers PING."""
    require_redis_client()
    binary = redis_server_binary()
    port = _free_port()
    log = workdir / f"redis-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
                "--protected-mode",
                "yes",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = RedisServer("127.0.0.1", port, process)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise AssertionError(f"redis-server exited: {log.read_text(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("redis-server did not answer PING in 20 s")
            time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
