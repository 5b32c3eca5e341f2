"""One TLS context per process and CA setting, built once, optionally ahead of use."""

from __future__ import annotations

import ssl
import threading
from pathlib import Path

import certifi
import pytest

from litellm_codex import _tls
from litellm_codex.auth.copilot_exchange import copilot_credentials


@pytest.fixture(autouse=True)
def _fresh_builds() -> None:
    _tls._builds.clear()


def test_one_context_for_every_client() -> None:
    first = _tls.shared_ssl_context()
    assert isinstance(first, ssl.SSLContext)
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    assert _tls.shared_ssl_context() is first
    # The credential managers' clients (token exchange / refresh) share it too.
    client = copilot_credentials()._client()
    pool = client._transport._pool  # type: ignore[attr-defined]
    assert pool._ssl_context is first


def test_prewarm_builds_in_a_thread_that_the_first_use_joins() -> None:
    started = threading.Event()
    release = threading.Event()
    built: list[str] = []
    real = _tls.httpx.create_ssl_context

    def slow_build() -> ssl.SSLContext:
        built.append(threading.current_thread().name)
        started.set()
        release.wait(5)
        return real()

    _tls.httpx.create_ssl_context = slow_build  # type: ignore[assignment]
    try:
        _tls.prewarm()
        assert started.wait(5)
        _tls.prewarm()  # already under way: no second build
        waiter: list[ssl.SSLContext] = []
        user = threading.Thread(target=lambda: waiter.append(_tls.shared_ssl_context()))
        user.start()
        user.join(0.2)
        assert user.is_alive()  # waits for the build under way instead of starting its own
        release.set()
        user.join(5)
    finally:
        _tls.httpx.create_ssl_context = real  # type: ignore[assignment]
    assert built == ["litellm-codex-tls"]
    assert waiter and waiter[0] is _tls.shared_ssl_context()


def test_a_failed_build_is_raised_then_retried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    _tls.prewarm()  # fails in the background, silently
    with pytest.raises(FileNotFoundError):
        _tls.shared_ssl_context()
    (tmp_path / "missing.pem").write_bytes(Path(certifi.where()).read_bytes())
    assert isinstance(_tls.shared_ssl_context(), ssl.SSLContext)


def test_each_ca_setting_has_its_own_context(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    default = _tls.shared_ssl_context()
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    custom = _tls.shared_ssl_context()
    assert custom is not default
    assert _tls.shared_ssl_context() is custom
