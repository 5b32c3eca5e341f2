"""The model catalog the simulated backend serves on ``/models``: today's catalog (Codex CLI
0.171.0's, reference-clients-2026-11.md §1.2) by default, or entries built with
:func:`model_info`."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from importlib import resources

from litellm_codex.testing.codex_backend.events import JSON

__all__ = ["default_models", "model_info"]

_EFFORT_TEXT = {
    "minimal": "Fastest responses with very little reasoning",
    "low": "Fast responses with lighter reasoning",
    "medium": "Balances speed and reasoning depth for everyday tasks",
    "high": "Greater reasoning depth for complex problems",
    "xhigh": "Extra high reasoning depth for the hardest problems",
}


_BASE_INSTRUCTIONS = "You are a coding agent running in a simulated Codex backend."


def model_info(
    slug: str,
    *,
    display_name: str | None = None,
    efforts: Sequence[str] = ("low", "medium", "high"),
    default_effort: str = "medium",
    context_window: int = 272_000,
    support_verbosity: bool = False,
    default_verbosity: str | None = None,
    parallel_tool_calls: bool = True,
    input_modalities: Sequence[str] = ("text", "image"),
    reasoning_summary_format: str = "experimental",
    priority: int = 0,
    visibility: str = "list",
    minimal_client_version: str = "0.1.0",
    lite: bool = False,
    max_context_window: int | None = None,
    upgrade: str | None = None,
) -> JSON:
    """One ``ModelInfo`` object as ``/models`` serves it (fields as in the 0.171.0 catalog,
    reference-clients-2026-11.md §1.2). ``lite`` sets ``use_responses_lite``."""
    return {
        "slug": slug,
        "display_name": display_name or slug,
        "description": f"Simulated {slug}",
        "default_reasoning_level": default_effort,
        "supported_reasoning_levels": [
            {"effort": e, "description": _EFFORT_TEXT.get(e, e)} for e in efforts
        ],
        "shell_type": "shell_command",
        "visibility": visibility,
        "minimal_client_version": minimal_client_version,
        "supported_in_api": True,
        "priority": priority,
        "upgrade": {"model": upgrade, "migration_markdown": "", "retirement_at": None}
        if upgrade
        else None,
        "use_responses_lite": lite,
        "tool_mode": "code_mode_only" if lite else None,
        "max_context_window": max_context_window or context_window,
        "supports_image_detail_original": True,
        "base_instructions": _BASE_INSTRUCTIONS,
        "supports_reasoning_summaries": True,
        "reasoning_summary_format": reasoning_summary_format,
        "support_verbosity": support_verbosity,
        "default_verbosity": default_verbosity,
        "apply_patch_tool_type": "freeform",
        "truncation_policy": {"mode": "tokens", "limit": 10_000},
        "supports_parallel_tool_calls": parallel_tool_calls,
        "context_window": context_window,
        "auto_compact_token_limit": None,
        "effective_context_window_percent": 95,
        "input_modalities": list(input_modalities),
        "experimental_supported_tools": [],
        "available_in_plans": ["plus", "pro", "team", "business", "enterprise", "edu"],
    }


def _todays_models() -> tuple[JSON, ...]:
    # The catalog embedded in Codex CLI 0.171.0 (reference-clients-2026-11.md §1.2): the
    # data file the package bundles as its offline snapshot, read here on its own, not
    # through the package's catalog code (which is what the simulator checks). One copy
    # of an upstream fact, extracted from the CLI binary; a second copy could only drift.
    text = resources.files("litellm_codex").joinpath("data/codex_models.json").read_text("utf-8")
    models = json.loads(text)["models"]

    # The snapshot leaves out `model_messages` (per-model base instructions, ~60 kB each);
    # Codex CLI 0.171.0 refuses a /models answer whose entries carry no base instructions
    # at all ("failed to decode models response"), so each gets a short `base_instructions`
    # (checked by running the real CLI against this simulator).
    return tuple({**entry, "base_instructions": _BASE_INSTRUCTIONS} for entry in models)


_DEFAULT_MODELS: tuple[JSON, ...] = _todays_models()


def default_models() -> list[JSON]:
    """A fresh copy of the simulator's default model list: today's catalog (Codex CLI
    0.171.0: gpt-6.2-sol ... gpt-5.5, with ``minimal_client_version`` and
    ``use_responses_lite`` as the real one serves them)."""
    return copy.deepcopy(list(_DEFAULT_MODELS))
