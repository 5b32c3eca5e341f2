"""What LiteLLM itself says about us, at each LiteLLM point CI tests (noxfile.py).

LiteLLM 1.110 warns at WARNING level about any ``custom_provider_map`` name that is also a
built-in provider ("... has the same name as a built-in LiteLLM provider, which handles
'github_copilot/' models instead of your custom_handler"): false with our takeover, and
alarming. These tests run fresh interpreters so import order is real, and collect every
record LiteLLM logs at WARNING or above while we register, while the proxy-style setup runs
and while a model name is resolved.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

_PROBE = r"""
import json, logging, sys

records = []

class Collect(logging.Handler):
    def emit(self, record):
        records.append(f"{record.name}: {record.getMessage()}")

handler = Collect(level=logging.WARNING)
logging.getLogger().addHandler(handler)
for name in ("LiteLLM", "LiteLLM Proxy", "LiteLLM Router"):
    logging.getLogger(name).addHandler(handler)

order = sys.argv[1]
if order == "ours-first":
    import litellm_codex
    import litellm
else:
    import litellm
    import litellm_codex
litellm_codex.register()

# What the proxy does with `custom_provider_map` in config.yaml: import the handler, replace
# the map, run LiteLLM's setup (litellm/proxy/proxy_server.py, `custom_provider_map` key).
from litellm.utils import custom_llm_setup
litellm.custom_provider_map = [
    {"provider": "openai-codex", "custom_handler": litellm_codex.openai_codex},
    {"provider": "github_copilot", "custom_handler": litellm_codex.github_copilot},
]
custom_llm_setup()
# Every completion runs it again (function_setup).
custom_llm_setup()
provider = litellm.get_llm_provider("github_copilot/gpt-4o")[1]
print(json.dumps({"records": records, "provider": provider}))
"""


def _run_probe(order: str) -> dict[str, object]:
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PYTHONPATH": str(REPO),
    }
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, order],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    data["stderr"] = result.stderr
    return data


@pytest.mark.parametrize("order", ["ours-first", "litellm-first"])
def test_litellm_logs_no_warning_about_our_registration(order: str) -> None:
    data = _run_probe(order)
    records = data["records"]
    assert isinstance(records, list)
    about_us = [
        r
        for r in records
        if any(n in r for n in ("github_copilot", "openai-codex", "custom_handler", "built-in"))
    ]
    assert about_us == [], about_us
    assert "same name as a built-in" not in str(data["stderr"])
    # ... and the takeover is really in place: the name resolves to a custom provider.
    assert data["provider"] == "github_copilot"


@pytest.fixture
def cost_map_trap() -> Iterator[tuple[str, list[str]]]:
    """A local 'remote cost map' that records every connection and never answers."""
    hits: list[str] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append("connection")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/model_prices.json", hits
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def test_cli_never_fetches_the_remote_cost_map(
    isolated_home: Path, cost_map_trap: tuple[str, list[str]]
) -> None:
    url, hits = cost_map_trap
    env = {
        **os.environ,
        "HOME": str(isolated_home),
        "XDG_CONFIG_HOME": str(isolated_home / ".config"),
        "PYTHONPATH": str(REPO),
        "LITELLM_MODEL_COST_MAP_URL": url,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    env.pop("LITELLM_LOCAL_MODEL_COST_MAP", None)  # what a user's shell has
    env.pop("LITELLM_CODEX_HOME", None)
    result = subprocess.run(
        [sys.executable, "-m", "litellm_codex", "demo"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo complete" in result.stdout
    assert hits == [], "the CLI tried to download LiteLLM's remote cost map"
    lowered = result.stderr.lower()
    assert "cost map" not in lowered and "model_prices" not in lowered, result.stderr
    assert "same name as a built-in" not in result.stderr
    assert "could not take over" not in result.stderr
