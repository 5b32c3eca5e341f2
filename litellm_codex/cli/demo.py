"""``litellm-codex demo``: the whole product, offline, against the bundled simulators.

It starts the ChatGPT and Copilot simulators on 127.0.0.1, points litellm-codex at them,
and in a throw-away home directory (file store, never your keyring) runs what a user does:
log in with the device flows, then a completion, a streamed completion and a tool-call
round trip through ``litellm.completion`` for ``openai-codex/`` and ``github_copilot/``.
Nothing leaves the machine; no account is needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import click

from litellm_codex import settings
from litellm_codex.cli import cli

__all__ = ["demo", "run_demo"]

_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    settings.reload()
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        settings.reload()


def _step(echo: Callable[[str], None], title: str) -> None:
    echo("")
    echo(click.style(f"== {title}", bold=True))


def _conversation(echo: Callable[[str], None], model: str, litellm: Any) -> dict[str, Any]:
    """Completion, streaming and a tool round trip for one model; returns what was seen."""
    seen: dict[str, Any] = {}
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "Say hello to the demo."},
    ]
    response = litellm.completion(model=model, messages=messages)
    seen["completion"] = response.choices[0].message.content
    usage = response.usage
    echo(
        f"completion -> {seen['completion']!r}"
        f"  (tokens: {usage.prompt_tokens} in, {usage.completion_tokens} out)"
    )

    pieces: list[str] = []
    for chunk in litellm.completion(model=model, messages=messages, stream=True):
        delta = chunk.choices[0].delta if chunk.choices else None
        if delta is not None and delta.content:
            pieces.append(delta.content)
    seen["stream"] = "".join(pieces)
    echo(f"streaming  -> {len(pieces)} chunks: {seen['stream']!r}")

    ask = [{"role": "user", "content": 'call get_weather {"city": "Paris"}'}]
    first = litellm.completion(model=model, messages=ask, tools=_TOOLS)
    calls = first.choices[0].message.tool_calls or []
    if not calls:
        raise click.ClickException(f"{model}: expected a tool call, got {first.choices[0].message}")
    call = calls[0]
    echo(
        f"tool call  -> {call.function.name}({call.function.arguments})"
        f"  finish={first.choices[0].finish_reason}"
    )
    follow_up = [
        *ask,
        # The assistant message as returned: it carries the reasoning state some models need
        # back (Claude thinking signatures, Gemini reasoning_opaque, encrypted reasoning).
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"sky": "clear", "c": 21})},
    ]
    final = litellm.completion(model=model, messages=follow_up, tools=_TOOLS)
    seen["tool_result"] = final.choices[0].message.content
    echo(f"tool reply -> {seen['tool_result']!r}")
    return seen


def run_demo(echo: Callable[..., None] = click.echo) -> dict[str, Any]:
    """Run the demo; returns a summary (used by the tests)."""
    from litellm_codex.auth.login_github import login_device_flow, resolve_endpoints
    from litellm_codex.auth.login_openai import login_device
    from litellm_codex.auth.store import FileStore
    from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
    from litellm_codex.testing.copilot_api import DEMO_MODELS
    from litellm_codex.testing.copilot_simulator import CopilotSimulator

    summary: dict[str, Any] = {}
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        home = stack.enter_context(tempfile.TemporaryDirectory(prefix="litellm-codex-demo-"))
        chatgpt = stack.enter_context(ChatGPTSimulator())
        copilot = stack.enter_context(CopilotSimulator())
        stack.enter_context(
            _environment(
                {
                    **chatgpt.env(),
                    **copilot.env(),
                    "LITELLM_CODEX_HOME": home,
                    "LITELLM_CODEX_STORE": "file",
                    # The simulators ask for 1 s poll intervals; no need to wait that long.
                    "LITELLM_CODEX_TESTING_FAST": "1",
                }
            )
        )
        echo(click.style("litellm-codex demo: offline, against local simulators", bold=True))
        echo(f"ChatGPT simulator: {chatgpt.url}   Copilot simulator: {copilot.url}")
        echo(f"temporary home:    {home} (file store; your keyring is not touched)")

        import litellm

        import litellm_codex
        from litellm_codex.auth import codex_refresh, copilot_exchange

        litellm_codex.register()
        codex_refresh.reset_codex_credentials()
        copilot_exchange.reset_copilot_credentials()
        stack.callback(codex_refresh.reset_codex_credentials)
        stack.callback(copilot_exchange.reset_copilot_credentials)
        stack.callback(litellm_codex.openai_codex.close)
        stack.callback(litellm_codex.github_copilot.close)
        store = FileStore()

        _step(echo, "log in to ChatGPT (device code)")
        login = login_device(store, print_fn=lambda text: echo(f"  {text}"))
        echo(f"logged in as {login.email} (plan {login.plan}, account {login.account_id})")

        _step(echo, "log in to GitHub Copilot (device flow)")
        gh = login_device_flow(store, resolve_endpoints(), print_fn=lambda text: echo(f"  {text}"))
        echo(f"logged in as {gh.login}")

        _step(echo, "openai-codex/gpt-6.2-sol")
        summary["openai-codex"] = _conversation(echo, "openai-codex/gpt-6.2-sol", litellm)
        # Today's Copilot models, one per route (the simulator's catalog, DEMO_MODELS).
        for key, route in (
            ("claude", "/v1/messages"),
            ("gpt", "/responses"),
            ("gemini", "/chat/completions"),
        ):
            model = f"github_copilot/{DEMO_MODELS[key]}"
            _step(echo, f"{model} (routed to {route})")
            summary[f"github_copilot_{key}"] = _conversation(echo, model, litellm)

        summary["codex_requests"] = len(chatgpt.backend.requests)
        summary["copilot_requests"] = len(copilot.api.requests)
    echo("")
    echo(
        click.style("demo complete", fg="green", bold=True)
        + f": {summary['codex_requests']} Codex and {summary['copilot_requests']} Copilot requests"
        f" served locally in {time.perf_counter() - started:.1f}s"
    )
    return summary


@cli.command("demo")
def demo() -> None:
    """Run login, completion, streaming and a tool call against local simulators (offline)."""
    run_demo()
