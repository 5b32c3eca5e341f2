"""The Codex catalog a live ``/models`` answer gave, saved for the next process.

A fresh process (here: ``forget_model_lists()``, which drops everything the process held)
starts from the saved catalog instead of the bundled one, so a model released since the
bundled snapshot gets its own request shape on the very first call; a catalog saved for
another client version is not used. Every test checks what the simulator received.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import litellm
import pytest

import litellm_codex
from litellm_codex import codex_client
from litellm_codex.codex_catalog import codex_catalog
from litellm_codex.providers import _models_snapshot, forget_model_lists
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.codex_backend import default_models, model_info

NEW = "gpt-7-new"  # not in the bundled snapshot; its live entry says Responses Lite
LITE_HEADER = "x-openai-internal-codex-responses-lite"
HI = [{"role": "user", "content": "hi"}]


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def saved_path(sim: ChatGPTSimulator) -> Path:
    return _models_snapshot.path_for("codex", sim.api_base)


def read_saved(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def sim(codex_sim: ChatGPTSimulator) -> ChatGPTSimulator:
    codex_sim.backend.set_models([*default_models(), model_info(NEW, lite=True)])
    # A refresh an earlier test started may still be running against its own simulator.
    assert wait_for(lambda: not litellm_codex.openai_codex._refreshing.is_set(), 30)
    forget_model_lists()
    return codex_sim


def first_process_saves(sim: ChatGPTSimulator) -> None:
    """A call whose answer names a newer catalog: revalidated in the background, saved."""
    litellm.completion(model="openai-codex/gpt-5.5", messages=HI, timeout=10)
    assert wait_for(lambda: codex_catalog().etag == sim.backend.etag)
    assert wait_for(lambda: os.path.exists(saved_path(sim)))


def test_a_fresh_process_starts_from_the_saved_catalog(sim: ChatGPTSimulator) -> None:
    first_process_saves(sim)
    path = saved_path(sim)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    saved = read_saved(path)
    assert saved["meta"] == {"etag": sim.backend.etag, "client_version": "0.171.0"}
    fetches = len(sim.backend.model_requests)

    forget_model_lists()  # a new process
    assert codex_catalog().spec(NEW) is None  # the bundled snapshot does not know it
    r = litellm.completion(model=f"openai-codex/{NEW}", messages=HI, timeout=10)
    assert r.choices[0].message.content == "echo: hi"
    assert sim.backend.requests[-1].headers[LITE_HEADER] == "true"  # its own shape at once
    assert codex_catalog().source.startswith("saved /models (0.171.0")
    assert litellm.get_model_info(f"openai-codex/{NEW}")["max_input_tokens"] == 272_000
    time.sleep(0.3)
    # The answer's x-models-etag is the saved one: nothing to revalidate.
    assert len(sim.backend.model_requests) == fetches


def test_async_first_calls_read_it_too(sim: ChatGPTSimulator) -> None:
    first_process_saves(sim)
    forget_model_lists()

    async def go() -> str:
        r = await litellm.acompletion(model=f"openai-codex/{NEW}", messages=HI, timeout=10)
        await litellm_codex.openai_codex.aclose()
        return str(r.choices[0].message.content)

    assert asyncio.run(go()) == "echo: hi"
    assert sim.backend.requests[-1].headers[LITE_HEADER] == "true"


def test_a_catalog_saved_for_another_client_version_is_not_used(
    sim: ChatGPTSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    first_process_saves(sim)
    path = saved_path(sim)
    saved = read_saved(path)
    saved["meta"]["client_version"] = "0.100.0"
    path.write_text(json.dumps(saved), encoding="utf-8")
    monkeypatch.setenv("LITELLM_CODEX_CATALOG_REFRESH", "0")  # keep the bundled one in view
    forget_model_lists()
    litellm.completion(model="openai-codex/gpt-5.5", messages=HI, timeout=10)
    assert codex_catalog().spec(NEW) is None
    assert codex_catalog().source.startswith("bundled")


def test_a_saved_catalog_is_revalidated_with_its_etag(sim: ChatGPTSimulator) -> None:
    first_process_saves(sim)
    before = read_saved(saved_path(sim))["saved_at"]
    forget_model_lists()
    litellm.completion(model=f"openai-codex/{NEW}", messages=HI, timeout=10)
    assert not codex_catalog().is_live()
    litellm_codex.openai_codex.list_models()  # asks with If-None-Match: the saved ETag
    assert sim.backend.model_requests[-1]["if-none-match"] == sim.backend.etag
    assert codex_catalog().is_live()  # a 304 made it current
    assert codex_catalog().spec(NEW) is not None
    after = read_saved(saved_path(sim))["saved_at"]
    assert after > before  # and saved anew


def test_the_version_asked_with_is_the_one_saved(sim: ChatGPTSimulator) -> None:
    first_process_saves(sim)
    assert sim.backend.model_requests[-1]["client_version"] == codex_client.client_version()
