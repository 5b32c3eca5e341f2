"""The Copilot model list kept on disk between processes (``providers/_models_snapshot.py``).

A fresh process (here: the handler after ``forget_models()``, which drops everything the
process held) routes its first call from the snapshot another process saved, without
asking ``/models`` first; an old snapshot routes the call and is revalidated in the
background; one that does not know the model, is too old, broken or for another API base
is not used. Every test counts the simulator's ``/models`` requests.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from pathlib import Path

import litellm
import pytest

import litellm_codex
from litellm_codex.providers import _models_snapshot
from litellm_codex.testing.copilot_simulator import CopilotSimulator
from litellm_codex.testing.faults import Fault

HI = [{"role": "user", "content": "hi"}]
CLAUDE = "claude-sonnet-4.6"  # its /models entry lists /v1/messages


@pytest.fixture
def sim(copilot_sim: CopilotSimulator) -> CopilotSimulator:
    """The logged-in Copilot simulator (``copilot_sim``, tests/conftest.py)."""
    return copilot_sim


def models_calls(sim: CopilotSimulator) -> int:
    return len(sim.calls_to("/models", "GET"))


def call(model: str = CLAUDE) -> str:
    response = litellm.completion(model=f"github_copilot/{model}", messages=HI, timeout=10)
    return str(response.choices[0].message.content)


def new_process() -> None:
    """What a fresh process holds: nothing in memory (the disk is what it shares)."""
    litellm_codex.github_copilot.forget_models()


def snapshot_file(sim: CopilotSimulator) -> Path:
    return _models_snapshot.path_for("copilot", sim.api_base)


def age_snapshot(sim: CopilotSimulator, seconds: float) -> None:
    path = snapshot_file(sim)
    data = json.loads(path.read_text())
    data["saved_at"] -= seconds
    path.write_text(json.dumps(data))


def wait_for(predicate: object, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if callable(predicate) and predicate():
            return True
        time.sleep(0.02)
    return False


def test_a_fresh_process_routes_from_the_snapshot(sim: CopilotSimulator) -> None:
    assert call() == "echo: hi"
    assert models_calls(sim) == 1
    path = snapshot_file(sim)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["api_base"] == sim.api_base
    assert {e["id"] for e in saved["data"]} == {m["id"] for m in sim.api.models}
    bearer = sim.calls_to("/models", "GET")[0].headers["authorization"].split()[-1]
    assert bearer not in path.read_text()  # entries only, no credential

    new_process()
    assert call() == "echo: hi"
    assert models_calls(sim) == 1  # routed from the disk, no /models first
    assert len(sim.api.calls("/v1/messages")) == 2  # and routed right: Claude's endpoint


def test_the_snapshot_also_routes_async_calls(sim: CopilotSimulator) -> None:
    call()
    new_process()

    async def go() -> str:
        response = await litellm.acompletion(
            model=f"github_copilot/{CLAUDE}", messages=HI, timeout=10
        )
        await litellm_codex.github_copilot.aclose()
        return str(response.choices[0].message.content)

    assert asyncio.run(go()) == "echo: hi"
    assert models_calls(sim) == 1
    assert len(sim.api.calls("/v1/messages")) == 2


def test_an_old_snapshot_routes_now_and_is_revalidated_in_the_background(
    sim: CopilotSimulator,
) -> None:
    call()
    age_snapshot(sim, 2 * 3600)  # past the 30 min TTL, within a day
    before = json.loads(snapshot_file(sim).read_text())["saved_at"]
    new_process()
    assert call() == "echo: hi"
    assert len(sim.api.calls("/v1/messages")) == 2
    assert wait_for(lambda: models_calls(sim) == 2)  # one revalidation, off the call's path
    assert wait_for(lambda: json.loads(snapshot_file(sim).read_text())["saved_at"] > before)
    call()
    assert models_calls(sim) == 2  # the fresh list is used, no further fetch


def test_without_background_fetches_an_old_snapshot_is_revalidated_first(
    sim: CopilotSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    call()
    age_snapshot(sim, 2 * 3600)
    monkeypatch.setenv("LITELLM_CODEX_CATALOG_REFRESH", "0")
    new_process()
    call()
    assert models_calls(sim) == 2


@pytest.mark.parametrize(
    "spoil",
    [
        "too old",
        "not json",
        "other api base",
        "future",
        "wrong format",
    ],
)
def test_a_snapshot_that_cannot_be_trusted_is_not_used(sim: CopilotSimulator, spoil: str) -> None:
    call()
    path = snapshot_file(sim)
    data = json.loads(path.read_text())
    if spoil == "too old":
        data["saved_at"] -= 2 * 86400
    elif spoil == "other api base":
        data["api_base"] = "http://127.0.0.1:1/elsewhere"
    elif spoil == "future":
        data["saved_at"] += 3600
    elif spoil == "wrong format":
        data["format"] = 99
    path.write_text("{not json" if spoil == "not json" else json.dumps(data))
    new_process()
    assert call() == "echo: hi"
    assert models_calls(sim) == 2  # asked again before the call
    assert len(sim.api.calls("/v1/messages")) == 2


def test_a_model_the_snapshot_does_not_know_is_looked_up(sim: CopilotSimulator) -> None:
    # Newly enabled since the snapshot was saved: the list is fetched before routing.
    call()
    path = snapshot_file(sim)
    data = json.loads(path.read_text())
    data["data"] = [e for e in data["data"] if e["id"] != "gpt-4o"]
    path.write_text(json.dumps(data))
    new_process()
    assert call("gpt-4o") == "echo: hi"
    assert models_calls(sim) == 2
    call("gpt-4o")
    assert models_calls(sim) == 2  # the live list is used from now on


def test_a_failed_fetch_falls_back_to_an_expired_snapshot(sim: CopilotSimulator) -> None:
    # Older than a day and /models fails: the old list still routes (Claude to messages)
    # rather than none (which would send Claude to chat).
    call()
    age_snapshot(sim, 2 * 86400)
    new_process()
    sim.api.queue(*[Fault.status(500)] * 3, endpoint="/models")
    assert call() == "echo: hi"
    assert len(sim.api.calls("/v1/messages")) == 2


def test_an_unwritable_cache_dir_does_not_fail_the_call(
    sim: CopilotSimulator, isolated_home: Path
) -> None:
    cache = snapshot_file(sim).parent
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("a file where the cache dir should be")
    assert call() == "echo: hi"
    new_process()
    call()
    assert models_calls(sim) == 2  # nothing saved, asked again


def test_forget_model_lists_resets_both_providers(sim: CopilotSimulator) -> None:
    from litellm_codex.codex_catalog import codex_catalog
    from litellm_codex.providers import forget_model_lists

    call()
    catalog = codex_catalog()
    assert litellm_codex.github_copilot._models
    forget_model_lists()
    assert not litellm_codex.github_copilot._models
    assert codex_catalog() is not catalog  # back to a fresh one from the bundled snapshot
    call()
    assert models_calls(sim) == 1  # the disk snapshot is kept: a fresh process reads it
