"""`litellm-codex demo`, the README's main command, runs offline end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_runs_offline_and_leaves_home_untouched(isolated_home: Path) -> None:
    home = isolated_home
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PYTHONPATH": str(REPO),
        # A keyring that fails loudly if the demo ever touched it.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    env.pop("LITELLM_CODEX_HOME", None)
    result = subprocess.run(
        [sys.executable, "-m", "litellm_codex", "demo"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "demo complete" in out
    assert out.count("tool reply -> 'tool result:") == 4  # Codex, then 3 Copilot routes
    for route in ("/v1/messages", "/responses", "/chat/completions"):
        assert f"(routed to {route})" in out
    assert "logged in as dev@example.com" in out
    assert "logged in as octocat" in out
    # Everything happened in a temporary home: nothing written to the user's.
    assert list(home.iterdir()) == []
