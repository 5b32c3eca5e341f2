"""One verifying TLS context per process (per CA setting), shared by every client we open.

Building a context loads the CA bundle: 20-30 ms, paid again by every client that builds
its own (the providers' API pools, one per event loop, and the credential managers'
clients for the token refresh / exchange). Here it is built once per ``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` pair (httpx reads them itself; they only key the cache).

:func:`prewarm` starts that build in a daemon thread. Loading the CA bundle releases the
GIL, so a prewarm started when a provider is first used overlaps with the rest of that
first call's set-up (its module imports, the credential read) instead of adding to it.
"""

from __future__ import annotations

import concurrent.futures
import os
import ssl
import threading

import httpx

from litellm_codex import settings

__all__ = ["prewarm", "shared_ssl_context"]

_Key = tuple[str | None, str | None]
_Build = concurrent.futures.Future[ssl.SSLContext]

_lock = threading.Lock()
_builds: dict[_Key, _Build] = {}


def _key() -> _Key:
    found = settings.current()
    return found.ssl_cert_file, found.ssl_cert_dir


def _start(key: _Key, *, background: bool) -> tuple[_Build, bool]:
    """The build for ``key`` and whether this caller must run it (``background``: a thread
    runs it). One build per key, whoever asks first."""
    with _lock:
        future = _builds.get(key)
        if future is not None:
            return future, False
        future = _builds[key] = concurrent.futures.Future()
    if background:
        threading.Thread(
            target=_build, args=(future,), name="litellm-codex-tls", daemon=True
        ).start()
        return future, False
    return future, True


def _build(future: _Build) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(httpx.create_ssl_context())
    except BaseException as exc:  # handed to whoever waits; a failed build is retried
        future.set_exception(exc)
        with _lock:
            for key, held in list(_builds.items()):
                if held is future:
                    del _builds[key]


def shared_ssl_context() -> ssl.SSLContext:
    """The process's verifying TLS context for the current CA setting (built on first use,
    or taken from the :func:`prewarm` build, waited for if it is still running)."""
    future, mine = _start(_key(), background=False)
    if mine:
        _build(future)
    return future.result()


def prewarm() -> None:
    """Build the TLS context in the background, if nobody has yet (never raises, never
    waits)."""
    try:
        _start(_key(), background=True)
    except Exception:  # e.g. no threads left: the first client builds it itself
        return


def _forget_after_fork() -> None:
    # A build running in the parent has no thread in the child: start afresh.
    global _lock
    _lock = threading.Lock()
    _builds.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
