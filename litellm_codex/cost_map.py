"""Model metadata rows for ``litellm.register_model`` (no network).

Both backends are paid for by a subscription, so every row costs zero and says
``mode: chat``: a ``responses`` mode would send LiteLLM through its Responses bridge, and
for ``github_copilot`` would bring back LiteLLM's own Copilot authenticator.

Rows come from three places, later ones winning:

1. LiteLLM's own cost map: ``chatgpt/*`` rows (LiteLLM's built-in ChatGPT provider, the
   same backend) mirrored as ``openai-codex/*``, and ``github_copilot/*`` chat/responses
   rows; so a newer LiteLLM brings newer models with it;
2. for ``openai-codex``, the model catalog (bundled snapshot, :mod:`litellm_codex.codex_catalog`);
   for Copilot, the curated table below (limits from Copilot ``/models``);
3. rows refreshed from a live ``/models`` call (:func:`rows_from_codex_models`,
   :func:`rows_from_copilot_models`), registered by the providers after discovery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from litellm_codex.provider_names import CODEX_NAMES, COPILOT_NAMES

__all__ = [
    "COPILOT_MODELS",
    "metadata_rows",
    "row",
    "rows_from_codex_models",
    "rows_from_copilot_models",
]


#: ``openai-codex`` rows come from the model catalog (the bundled snapshot of
#: :mod:`litellm_codex.codex_catalog` until a live ``/models`` answer replaces it), not
#: from a table here: per-model facts live in one place (SPEC §3).

# (max_input_tokens, max_output_tokens, vision, reasoning)
COPILOT_MODELS: dict[str, tuple[int, int, bool, bool]] = {
    "gpt-4o": (64_000, 4_096, True, False),
    "gpt-4.1": (128_000, 16_384, True, False),
    "gpt-5-mini": (128_000, 64_000, True, True),
    "gpt-5.1-codex": (128_000, 128_000, True, True),
    "claude-sonnet-4.5": (128_000, 16_000, True, True),
    "claude-sonnet-4.6": (200_000, 64_000, True, True),
    "gemini-2.5-pro": (128_000, 64_000, True, True),
}


def row(
    provider: str,
    *,
    max_input_tokens: int | None,
    max_output_tokens: int | None,
    vision: bool,
    reasoning: bool,
    tools: bool = True,
) -> dict[str, Any]:
    """One ``register_model`` value."""
    out: dict[str, Any] = {
        "litellm_provider": provider,
        "mode": "chat",
        "input_cost_per_token": 0.0,
        "output_cost_per_token": 0.0,
        # Stated explicitly: LiteLLM warns for every row that prices tokens but not cache.
        "cache_creation_input_token_cost": 0.0,
        "cache_read_input_token_cost": 0.0,
        "supports_function_calling": tools,
        "supports_parallel_function_calling": tools,
        "supports_tool_choice": tools,
        "supports_vision": vision,
        "supports_reasoning": reasoning,
        "supports_response_schema": True,
        "supports_system_messages": True,
        "supports_prompt_caching": True,
    }
    if max_input_tokens:
        out["max_input_tokens"] = max_input_tokens
    if max_output_tokens:
        out["max_output_tokens"] = max_output_tokens
        out["max_tokens"] = max_output_tokens
    return out


def _expand(names: Iterable[str], model: str, value: Mapping[str, Any]) -> dict[str, Any]:
    return {f"{name}/{model}": {**value, "litellm_provider": name} for name in names}


def _from_cost_map(cost_map: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for key, info in cost_map.items():
        mode = info.get("mode")
        if mode not in ("chat", "responses"):
            continue
        for source, names in (
            ("chatgpt/", CODEX_NAMES),
            ("github_copilot/", COPILOT_NAMES),
        ):
            if key.startswith(source):
                value = row(
                    names[0],
                    max_input_tokens=info.get("max_input_tokens"),
                    max_output_tokens=info.get("max_output_tokens"),
                    vision=bool(info.get("supports_vision")),
                    reasoning=bool(info.get("supports_reasoning")),
                    tools=info.get("supports_function_calling", True) is not False,
                )
                rows.update(_expand(names, key[len(source) :], value))
    return rows


def metadata_rows(cost_map: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Every row to register: cost-map mirrors, then the curated table."""
    if cost_map is None:
        import litellm

        cost_map = litellm.model_cost
    from litellm_codex.codex_catalog import codex_catalog

    rows = _from_cost_map(cost_map)
    rows.update(rows_from_codex_models(codex_catalog().models()))
    for model, (max_in, max_out, vision, reasoning) in COPILOT_MODELS.items():
        value = row(
            COPILOT_NAMES[0],
            max_input_tokens=max_in,
            max_output_tokens=max_out,
            vision=vision,
            reasoning=reasoning,
        )
        rows.update(_expand(COPILOT_NAMES, model, value))
    return rows


def rows_from_codex_models(models: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Rows from the Codex backend's ``/models`` entries (``{"models": [ModelInfo...]}``).

    ``max_input_tokens`` is the entry's ``context_window``. The catalog states no output
    limit of its own: ``max_output_tokens`` is set only when an entry carries one.
    ``supports_parallel_function_calling`` is false for "Responses Lite" models, which
    are always sent ``parallel_tool_calls: false``.
    """
    from litellm_codex.codex_catalog import ModelSpec

    rows: dict[str, Any] = {}
    for info in models:
        slug = info.get("slug")
        if not isinstance(slug, str) or not slug:
            continue
        spec = ModelSpec.from_entry(info)
        max_out = info.get("max_output_tokens")
        value = row(
            CODEX_NAMES[0],
            max_input_tokens=spec.context_window,
            max_output_tokens=max_out if isinstance(max_out, int) and max_out > 0 else None,
            vision=spec.vision,
            reasoning=bool(spec.reasoning_levels),
        )
        value["supports_parallel_function_calling"] = spec.parallel_tool_calls and not spec.lite
        rows.update(_expand(CODEX_NAMES, slug, value))
    return rows


def rows_from_copilot_models(models: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Rows from Copilot's ``/models`` answer (``data`` entries with ``capabilities``)."""
    rows: dict[str, Any] = {}
    for info in models:
        model_id = info.get("id")
        caps = info.get("capabilities") or {}
        if not isinstance(model_id, str) or caps.get("type", "chat") != "chat":
            continue
        limits = caps.get("limits") or {}
        supports = caps.get("supports") or {}
        value = row(
            COPILOT_NAMES[0],
            max_input_tokens=limits.get("max_prompt_tokens")
            or limits.get("max_context_window_tokens"),
            max_output_tokens=limits.get("max_output_tokens"),
            vision=bool(supports.get("vision")),
            reasoning=bool(supports.get("reasoning_effort") or supports.get("thinking")),
            tools=bool(supports.get("tool_calls", True)),
        )
        rows.update(_expand(COPILOT_NAMES, model_id, value))
    return rows
