"""``litellm.Router`` over both providers, logged in, against the simulators.

Our errors are LiteLLM's classes, so the Router's retries, fallbacks and cooldowns work:
a quota error on the Codex deployment falls back to Copilot, sync and async, streamed or
not, and each simulator records exactly the calls the Router made.
"""

from __future__ import annotations

import asyncio
from typing import Any

import litellm
import pytest

import litellm_codex
from litellm_codex.testing import copilot_api
from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.codex_backend import Fault
from litellm_codex.testing.copilot_simulator import CopilotSimulator


@pytest.fixture
def sims(
    codex_sim: ChatGPTSimulator, copilot_sim: CopilotSimulator
) -> tuple[ChatGPTSimulator, CopilotSimulator]:
    """Both simulators, logged in (``codex_sim`` and ``copilot_sim``, tests/conftest.py)."""
    return codex_sim, copilot_sim


def _router(**settings: Any) -> litellm.Router:
    return litellm.Router(
        model_list=[
            {"model_name": "codex", "litellm_params": {"model": "openai-codex/gpt-6.2-sol"}},
            {"model_name": "copilot", "litellm_params": {"model": "github_copilot/gpt-4o"}},
        ],
        **settings,
    )


def _text(router: litellm.Router, mode: str, content: str) -> str:
    messages = [{"role": "user", "content": content}]
    if mode == "sync":
        return str(router.completion(model="codex", messages=messages).choices[0].message.content)
    if mode == "sync-stream":
        chunks = router.completion(model="codex", messages=messages, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    async def call() -> str:
        if mode == "async":
            r = await router.acompletion(model="codex", messages=messages)
            out = str(r.choices[0].message.content)
        else:
            stream = await router.acompletion(model="codex", messages=messages, stream=True)
            out = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        await litellm_codex.openai_codex.aclose()
        await litellm_codex.github_copilot.aclose()
        return out

    return asyncio.run(call())


@pytest.mark.parametrize("mode", ["sync", "sync-stream", "async", "async-stream"])
def test_quota_on_codex_falls_back_to_copilot(
    sims: tuple[ChatGPTSimulator, CopilotSimulator], mode: str
) -> None:
    chatgpt, copilot = sims
    chatgpt.backend.queue(*[Fault.usage_limit(resets_in=300) for _ in range(3)])
    router = _router(fallbacks=[{"codex": ["copilot"]}], num_retries=0)
    assert _text(router, mode, "fall back please") == "echo: fall back please"
    assert len(chatgpt.calls_to("/responses")) == 1
    assert len(copilot.api.calls("/chat/completions")) == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_router_retries_a_rate_limit(
    sims: tuple[ChatGPTSimulator, CopilotSimulator], mode: str
) -> None:
    chatgpt, _ = sims
    chatgpt.backend.queue(Fault.usage_limit(resets_in=1))
    router = _router(num_retries=2, retry_after=0)
    assert _text(router, mode, "retry me") == "echo: retry me"
    assert len(chatgpt.calls_to("/responses")) == 2


def test_cooldown_skips_a_deployment_over_quota(
    sims: tuple[ChatGPTSimulator, CopilotSimulator],
) -> None:
    chatgpt, copilot = sims
    copilot.api.queue(copilot_api.Fault.quota_exceeded(retry_after=3600))
    router = litellm.Router(
        model_list=[
            # `order`: Copilot is tried first while it is healthy.
            {"model_name": "any", "litellm_params": {"model": "github_copilot/gpt-4o", "order": 1}},
            {
                "model_name": "any",
                "litellm_params": {"model": "openai-codex/gpt-6.2-sol", "order": 2},
            },
        ],
        allowed_fails=0,
        num_retries=1,
    )
    answers = [
        router.completion(model="any", messages=[{"role": "user", "content": f"n{i}"}])
        .choices[0]
        .message.content
        for i in range(6)
    ]
    assert answers == [f"echo: n{i}" for i in range(6)]
    # The Copilot deployment failed once with 402, then sat out its cooldown.
    assert len(copilot.api.calls("/chat/completions")) == 1
    assert len(chatgpt.calls_to("/responses")) == 6
