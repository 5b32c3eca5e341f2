"""Start a real ``litellm --config`` proxy subprocess on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from litellm_codex.auth.store import FileStore
from litellm_codex.provider_names import CODEX, COPILOT, HANDLERS

REPO = Path(__file__).resolve().parents[2]
MASTER_KEY = "sk-litellm-codex-test-master"


@dataclass
class Proxy:
    url: str
    key: str
    log: Path

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _litellm_cli() -> str:
    candidate = Path(sys.executable).with_name("litellm")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("litellm")
    if found is None:
        skip_without_proxy("the `litellm` CLI is not installed")
    assert found is not None
    return found


def skip_without_proxy(what: str) -> None:
    """Skip a proxy test where the proxy is not part of the test point; fail where it is.

    ``LITELLM_CODEX_EXPECT_PROXY`` is set per LiteLLM point by noxfile.py: at the `newest`
    point (LiteLLM 1.110.x) ``litellm[proxy]`` does not install from the package index, since
    it needs ``litellm-proxy``, which is not published there; the SDK is what that point tests.
    """
    from importlib.metadata import version

    reason = (
        f"{what}: litellm[proxy] is not installed with litellm {version('litellm')} "
        "(on 1.110.x it needs `litellm-proxy`, which the package index lacks); "
        "this point tests the SDK only"
    )
    if os.environ.get("LITELLM_CODEX_EXPECT_PROXY") == "1":
        pytest.fail(f"the proxy is part of this test point, but {reason}")
    pytest.skip(reason)


def _yaml(value: Any, indent: int = 0) -> str:
    """A tiny YAML writer (JSON is valid YAML; this keeps the config readable in logs)."""
    import json

    return json.dumps(value, indent=2)


def proxy_config(
    models: Mapping[str, str],
    providers: Iterable[str] = (CODEX, COPILOT),
    **router_settings: Any,
) -> dict[str, Any]:
    """A config for run_proxy: our handlers for ``providers`` in ``custom_provider_map``
    (``litellm_codex.openai_codex`` ...), one ``model_list`` entry per model name ->
    ``prefix/model``, and ``router_settings`` with cooldowns off."""
    return {
        "litellm_settings": {
            "custom_provider_map": [
                {"provider": provider, "custom_handler": f"litellm_codex.{HANDLERS[provider]}"}
                for provider in providers
            ]
        },
        "model_list": [
            {"model_name": name, "litellm_params": {"model": model}}
            for name, model in models.items()
        ],
        "router_settings": {"disable_cooldowns": True, **router_settings},
    }


def home_env(home: Path) -> dict[str, str]:
    """The proxy's environment for a user whose home is ``home``: config directories
    below it and the logins in the file store (:func:`home_store`)."""
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "LITELLM_CODEX_HOME": str(_store_dir(home)),
        "LITELLM_CODEX_STORE": "file",
    }


def home_store(home: Path) -> FileStore:
    """The file store a proxy run with :func:`home_env` reads (its directory created), to
    save the logins in."""
    store_dir = _store_dir(home)
    store_dir.mkdir(parents=True, exist_ok=True)
    return FileStore(store_dir / "credentials.json")


def _store_dir(home: Path) -> Path:
    return home / ".config" / "litellm-codex"


@contextmanager
def run_proxy(
    config: Mapping[str, Any] | Path,
    workdir: Path,
    env: Mapping[str, str],
    *,
    args: tuple[str, ...] = (),
    ready_timeout: float = 90.0,
) -> Iterator[Proxy]:
    """Start the proxy on ``config`` (a mapping written to ``workdir``, or a YAML file),
    wait until it is live, and stop it afterwards. ``args``: more CLI arguments
    (``--num_workers 2``)."""
    try:
        import fastapi  # noqa: F401  (litellm[proxy] is what makes `litellm --config` work)
    except ImportError:
        skip_without_proxy("fastapi is missing")
    if isinstance(config, Path):
        config_path = config
    else:
        config_path = workdir / "config.yaml"
        config_path.write_text(_yaml(dict(config)))
    port = _free_port()
    log = workdir / f"proxy-{port}.log"
    full_env = {
        **os.environ,
        "LITELLM_MASTER_KEY": MASTER_KEY,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                _litellm_cli(),
                "--config",
                str(config_path),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *args,
            ],
            cwd=workdir,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Its own process group: workers (--num_workers) are stopped with it.
            start_new_session=True,
        )
        proxy = Proxy(url=f"http://127.0.0.1:{port}", key=MASTER_KEY, log=log)
        try:
            deadline = time.monotonic() + ready_timeout
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"proxy exited early:\n{proxy.output()[-4000:]}")
                try:
                    if httpx.get(proxy.url + "/health/liveliness", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"proxy not ready in {ready_timeout:g} s:\n{proxy.output()[-4000:]}"
                    )
                time.sleep(0.2)
            yield proxy
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the proxy and any worker it started (they share its process group)."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    if sys.platform != "win32":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # leftover workers of a killed parent
