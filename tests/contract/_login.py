"""Log a simulated user in the way `litellm-codex login` would, without a browser."""

from __future__ import annotations

import pytest

from litellm_codex.auth import codex_refresh
from litellm_codex.auth.store import FileStore
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator


def log_in_codex(sim: ChatGPTSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Store a fresh simulator login in the file store and reset the cached credentials."""
    monkeypatch.setenv("LITELLM_CODEX_STORE", "file")
    codex_refresh.save_login(FileStore(), sim.issue_login())
    codex_refresh.reset_codex_credentials()
