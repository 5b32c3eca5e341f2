"""The Codex simulator against the real Codex CLI 0.171.0: its requests pass our gates.

The simulator's shape checks ("Responses Lite" for the models marked
``use_responses_lite``, classic for the others) and its ``/models`` answer are what the
package is tested against; here the pinned reference client (``codex exec``) talks to it,
offline, so a check the real client would fail is caught. The CLI is pointed at the
simulator as a custom ``model_provider``: it then sends no ``version`` header, so the
catalog's ``minimal_client_version`` gates are lowered for this test (the gate itself is
covered in tests/contract/test_codex_backend_sim.py). Skips locally without the binary,
fails in CI (as tests/e2e/test_codex_cli_shared.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.codex_backend import default_models
from tests.e2e.test_codex_cli_shared import PROVIDER_PATH, RefusingProxy, Setup
from tests.e2e.test_codex_cli_shared import codex_binary as _codex_binary

codex_binary = _codex_binary  # the pinned CLI (a fixture: skips or fails without it)


@pytest.fixture
def sim() -> Iterator[ChatGPTSimulator]:
    with ChatGPTSimulator() as simulator:
        simulator.backend.set_models(
            [{**entry, "minimal_client_version": "0.0.0"} for entry in default_models()]
        )
        yield simulator


@pytest.mark.parametrize(("model", "lite"), [("gpt-6.2-sol", True), ("gpt-5.5", False)])
def test_the_real_codex_cli_passes_the_simulator(
    tmp_path: Path, sim: ChatGPTSimulator, codex_binary: Path, model: str, lite: bool
) -> None:
    binary = codex_binary
    proxy = RefusingProxy()
    try:
        setup = Setup(tmp_path, "file", sim, proxy)
        config = setup.home / "config.toml"
        text = config.read_text(encoding="utf-8")
        text = text.replace('model = "gpt-5.5"', f'model = "{model}"')
        text = text.replace(f"{sim.url}{PROVIDER_PATH}", sim.api_base)
        config.write_text(text, encoding="utf-8")
        result = setup.run_codex(binary, check=False)
    finally:
        proxy.close()
    assert sim.backend.rejections == [], [r.error for r in sim.backend.rejections]
    assert result.returncode == 0, result.stderr[-2000:]
    # It read the simulator's catalog (an answer it cannot decode is only logged).
    assert "failed to decode models response" not in result.stderr
    assert sim.backend.model_requests
    (request,) = sim.backend.requests
    body = request.body
    assert body["model"] == model
    assert "instructions" not in body
    if lite:
        assert request.headers["x-openai-internal-codex-responses-lite"] == "true"
        assert body["input"][0]["type"] == "additional_tools"
        assert "tools" not in body and body["parallel_tool_calls"] is False
        assert body["reasoning"]["context"] == "all_turns"
    else:
        assert "x-openai-internal-codex-responses-lite" not in request.headers
        assert body["tools"] and body["parallel_tool_calls"] is True
        assert all(item.get("type") != "additional_tools" for item in body["input"])
