"""``litellm-codex models PROVIDER`` and ``litellm-codex chat MODEL PROMPT``.

Both go through LiteLLM and our handlers, exactly as a user's code would, so they import
LiteLLM inside the command (``login``/``status`` stay fast).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from litellm_codex.cli import cli
from litellm_codex.provider_names import HANDLERS

__all__ = ["chat", "models"]


def _litellm_failure(exc: Exception) -> click.ClickException:
    # LiteLLM prefixes messages with the class path; keep the part a person needs.
    text = str(exc).replace("litellm.", "", 1).strip()
    return click.ClickException(text.splitlines()[0] if text else type(exc).__name__)


@cli.command("models")
@click.argument("provider", type=click.Choice(sorted(HANDLERS), case_sensitive=False))
@click.option("--json", "as_json", is_flag=True, help="Print the model list as JSON.")
def models(provider: str, as_json: bool) -> None:
    """List the models PROVIDER offers to this account (a live /models call)."""
    import litellm_codex
    from litellm_codex.errors import LiteLLMCodexError
    from litellm_codex.providers import handler_for

    litellm_codex.register()
    handler = handler_for(HANDLERS[provider.lower()])
    try:
        entries: list[dict[str, Any]] = handler.list_models(refresh=True)
    except LiteLLMCodexError:
        raise
    except Exception as exc:
        raise _litellm_failure(exc) from None
    if as_json:
        # A provider may summarise its entries for scripts (openai-codex: slug, context
        # window, Lite or not, reasoning levels, hidden/upgrade); else the raw list.
        rows = getattr(handler, "json_rows", None)
        out = rows(entries) if callable(rows) else entries
        click.echo(json.dumps(out, indent=2, sort_keys=True))
        return
    for line in handler.describe_models(entries):
        click.echo(line)


@cli.command("chat")
@click.argument("model")
@click.argument("prompt")
@click.option("--system", default=None, help="A system message to send first.")
@click.option("--reasoning-effort", default=None, help="low, medium, high... (model-dependent).")
def chat(model: str, prompt: str, system: str | None, reasoning_effort: str | None) -> None:
    """Stream a reply from MODEL (e.g. openai-codex/gpt-6.2-sol) to PROMPT."""
    import litellm

    import litellm_codex

    litellm_codex.register()
    messages: list[dict[str, Any]] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": prompt})
    kwargs: dict[str, Any] = {}
    if reasoning_effort:
        kwargs["reasoning_effort"] = reasoning_effort
    try:
        stream = litellm.completion(model=model, messages=messages, stream=True, **kwargs)
        thinking = False
        for chunk in stream:
            delta = chunk.choices[0].delta if chunk.choices else None
            if delta is None:
                continue
            reasoning = getattr(delta, "reasoning_content", None)
            if reasoning:
                # Reasoning goes to stderr, so stdout carries the answer alone.
                click.echo(click.style(reasoning, dim=True), nl=False, err=True)
                thinking = True
            if delta.content:
                if thinking:
                    click.echo("", err=True)
                    thinking = False
                click.echo(delta.content, nl=False)
                sys.stdout.flush()
            for call in getattr(delta, "tool_calls", None) or []:
                if call.function and call.function.name:
                    click.echo(f"\n[tool call: {call.function.name}]", nl=False)
        click.echo("")
    except Exception as exc:
        if type(exc).__module__.startswith(("litellm", "openai")):
            raise _litellm_failure(exc) from None
        raise
