"""Token usage of a Copilot answer, in either shape it comes in (pure).

Copilot's ``/chat/completions`` reports OpenAI-shaped ``usage`` (``prompt_tokens``,
``completion_tokens``, ``*_tokens_details``); its Anthropic-native bodies and ``/v1/messages``
report Anthropic-shaped ``usage`` (``input_tokens`` without the cache reads and writes,
``output_tokens``, ``cache_*_input_tokens``), ``protocols/github-copilot.md`` §3.6 quirk 4.
Both become the neutral :class:`~litellm_codex.translate.deltas.Usage`.

Nothing here does I/O or imports LiteLLM.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litellm_codex.translate.deltas import Usage

__all__ = ["as_int", "parse_usage"]


def as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _optas_int(mapping: Any, key: str) -> int | None:
    if isinstance(mapping, Mapping):
        value = mapping.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def parse_usage(usage: Mapping[str, Any]) -> Usage:
    """OpenAI-shaped or Anthropic-shaped ``usage`` as :class:`Usage`."""
    if "prompt_tokens" in usage or "completion_tokens" in usage:
        prompt = as_int(usage.get("prompt_tokens"))
        completion = as_int(usage.get("completion_tokens"))
        total = as_int(usage.get("total_tokens")) or prompt + completion
        return Usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=total,
            cached_tokens=_optas_int(usage.get("prompt_tokens_details"), "cached_tokens"),
            reasoning_tokens=_optas_int(usage.get("completion_tokens_details"), "reasoning_tokens"),
        )
    # Anthropic: input_tokens excludes cache reads and writes, OpenAI's prompt_tokens
    # includes them.
    cached = _optas_int(usage, "cache_read_input_tokens")
    prompt = (
        as_int(usage.get("input_tokens"))
        + (cached or 0)
        + as_int(usage.get("cache_creation_input_tokens"))
    )
    completion = as_int(usage.get("output_tokens"))
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        cached_tokens=cached,
    )
