"""GitHub Copilot ``/responses``: the shared Responses translation, in the reference's shape.

The body comes from :func:`litellm_codex.translate.responses_request.build_responses_request` (the
translation the ``openai-codex/`` provider uses too), with a profile made per model from
its ``/models`` entry, so that it looks like what the reference client, the GitHub Copilot
CLI 1.0.102, sends (reference-clients-2026-11.md §2 and the golden requests in
``tests/conformance/golden/copilot``):

- system messages become the top-level ``instructions``;
- ``store: false`` (every turn carries its whole history);
- ``include: ["reasoning.encrypted_content"]`` for a model that reasons (its ``/models``
  ``supports.reasoning_effort`` lists efforts), so its reasoning can be handed back on the
  next turn; the encrypted reasoning is replayed as ``reasoning`` items;
- ``reasoning: {"effort", "summary": "auto"}`` when the caller asks for an effort (checked
  against the model's list). The reference always sends effort ``medium``; without a
  caller's ``reasoning_effort`` we send none and the model's own default applies, as on
  OpenAI's API;
- ``parallel_tool_calls: true`` with tools when the model supports parallel calls (the
  caller's value wins); no ``tool_choice`` unless the caller set one (``auto`` is the
  default the reference leaves out);
- function call items sent back with ``status: "completed"``.

Nothing here does I/O or imports LiteLLM.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from litellm_codex.translate.responses_request import (
    COPILOT_RESPONSES_PROFILE,
    BuiltRequest,
    ResponsesProfile,
    build_responses_request,
)

__all__ = ["build_copilot_responses_request", "profile_for"]


def profile_for(supports: Mapping[str, Any]) -> ResponsesProfile:
    """The Responses profile of a model with these ``/models`` ``capabilities.supports``."""
    levels = supports.get("reasoning_effort")
    efforts = tuple(str(x) for x in levels) if isinstance(levels, list) and levels else None
    return dataclasses.replace(
        COPILOT_RESPONSES_PROFILE,
        store=False,
        system_as_instructions=True,
        include_encrypted_reasoning=efforts is not None,
        reasoning_levels=efforts,
        parallel_tool_calls=True if supports.get("parallel_tool_calls") else None,
    )


def build_copilot_responses_request(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    *,
    supports: Mapping[str, Any] | None = None,
) -> BuiltRequest:
    """The body for ``POST {api}/responses`` (``supports``: the model's ``/models``
    ``capabilities.supports``; ``None`` or ``{}`` when unknown)."""
    supports = supports or {}
    profile = profile_for(supports)
    built = build_responses_request(model, messages, params, profile=profile)
    body = built.body
    if params.get("tool_choice") is None and body.get("tool_choice") == "auto":
        del body["tool_choice"]
    if profile.include_encrypted_reasoning:
        body.setdefault("include", ["reasoning.encrypted_content"])
    for item in body.get("input") or ():
        if isinstance(item, dict) and item.get("type") == "function_call":
            item.setdefault("status", "completed")
    return built
