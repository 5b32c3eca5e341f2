"""A stand-in for the Codex CLI's refresh, run as a separate process by the shared-login tests.

It follows what Codex CLI 0.171 does around its own refresh of a stored login (strace of the
real binary, protocols/reference-clients-2026-11.md §1.6): ``flock(LOCK_EX)`` on
``$CODEX_HOME/auth.lock``, re-read the store, write under ``flock`` on ``auth.json.lock`` with a
temp file renamed over ``auth.json`` (file store) or by replacing the secret of its own Secret
Service item (keyring store). Unlike the real one it also holds ``auth.lock`` across the
token request, so a test can hold the lock for as long as it likes.

Independent of litellm_codex on purpose: it is the *other* program sharing the login.

    python -m tests._codex_cli_peer --home H --store file|keyring --token-url URL
        [--hold SECONDS] [--ready FILE] [--loaded FILE] [--go FILE]

``--loaded``: touched once it has read its login; ``--go``: it waits for that file before
taking the lock; ``--ready``: touched once it holds the lock.

Prints one JSON line: ``{"action": "refreshed"|"adopted", "status": <HTTP status>}``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
ATTRIBUTES = {"application": "rust-keyring", "service": "Codex Auth", "target": "default"}


def account(home: Path) -> str:
    digest = hashlib.sha256(str(home.resolve()).encode()).hexdigest()
    return "cli|" + digest[:16]


@contextlib.contextmanager
def flocked(path: Path, *, blocking: bool) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if blocking:
            fcntl.flock(fd, fcntl.LOCK_EX)
        else:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    time.sleep(0.01)
        yield
    finally:
        os.close(fd)


def read(home: Path, store: str) -> dict[str, Any]:
    if store == "file":
        data = json.loads((home / "auth.json").read_text())
    else:
        import secretstorage

        conn = secretstorage.dbus_init()
        try:
            items = list(
                secretstorage.search_items(conn, {**ATTRIBUTES, "username": account(home)})
            )
            data = json.loads(items[0].get_secret())
        finally:
            conn.close()
    assert isinstance(data, dict)
    return data


def write(home: Path, store: str, data: dict[str, Any]) -> None:
    if store == "file":
        with flocked(home / "auth.json.lock", blocking=False):
            tmp = home / f".auth-{os.getpid()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(json.dumps(data, indent=2))
            os.replace(tmp, home / "auth.json")
        return
    import secretstorage

    conn = secretstorage.dbus_init()
    try:
        items = list(secretstorage.search_items(conn, {**ATTRIBUTES, "username": account(home)}))
        items[0].set_secret(json.dumps(data, separators=(",", ":")).encode())
    finally:
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--store", choices=("file", "keyring"), required=True)
    parser.add_argument("--token-url", required=True)
    parser.add_argument("--hold", type=float, default=0.0)
    parser.add_argument("--ready", type=Path)
    parser.add_argument("--go", type=Path)
    parser.add_argument("--loaded", type=Path)
    args = parser.parse_args()
    home: Path = args.home
    # What the Codex CLI holds in memory: the login as it was when it started.
    started_with = read(home, args.store)["tokens"]["access_token"]
    if args.loaded is not None:
        args.loaded.touch()
    if args.go is not None:
        while not args.go.exists():
            time.sleep(0.001)
    with flocked(home / "auth.lock", blocking=True):
        if args.ready is not None:
            args.ready.touch()
        time.sleep(args.hold)
        data = read(home, args.store)
        if data["tokens"]["access_token"] != started_with:
            print(json.dumps({"action": "adopted", "status": 0}))
            return 0
        body = json.dumps(
            {
                "client_id": CLIENT_ID,
                "grant_type": "refresh_token",
                "refresh_token": data["tokens"]["refresh_token"],
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the simulator's http URL
            args.token_url, data=body, headers={"content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status = response.status
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            print(json.dumps({"action": "failed", "status": exc.code}))
            return 1
        tokens = dict(data["tokens"])
        for name in ("access_token", "refresh_token", "id_token"):
            if answer.get(name):
                tokens[name] = answer[name]
        data["tokens"] = tokens
        data["last_refresh"] = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
        write(home, args.store, data)
    print(json.dumps({"action": "refreshed", "status": status}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
