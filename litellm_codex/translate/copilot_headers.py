"""Copilot model-call headers: identity, initiator, user turn, vision (pure).

The identity headers come from :mod:`litellm_codex.copilot_identity`; this module adds what
depends on the conversation (``protocols/github-copilot.md`` §3.2-3.3,
reference-clients-2026-11.md §2):

- ``X-Initiator`` / ``X-Interaction-Type``: ``user`` only when the last message is a real
  user prompt (:func:`initiator`), since Copilot bills premium requests only for those;
- ``X-Interaction-Id`` / ``X-Agent-Task-Id``: one pair per user turn (:func:`user_turn`);
- ``Copilot-Vision-Request: true`` on requests that carry images, and only on those.

Nothing here imports LiteLLM; the only I/O is the identity's one machine-id read
(:func:`litellm_codex.copilot_identity.machine_id`, warmed before the first async call).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from litellm_codex import copilot_identity

__all__ = ["has_image_parts", "initiator", "request_headers", "user_turn"]

_IMAGE_PART_TYPES = frozenset({"image_url", "input_image", "image"})
_TEXT_PART_TYPES = frozenset({"text", "input_text"})


def _parts(content: Any) -> list[Mapping[str, Any]]:
    if isinstance(content, list):
        return [p for p in content if isinstance(p, Mapping)]
    return []


def has_image_parts(messages: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any message carries an image part (``image_url``, ``input_image``, ``image``)."""
    return any(
        part.get("type") in _IMAGE_PART_TYPES
        for message in messages
        for part in _parts(message.get("content"))
    )


def _has_real_content(content: Any) -> bool:
    if isinstance(content, str):
        return bool(content.strip())
    for part in _parts(content):
        kind = part.get("type")
        if kind in _IMAGE_PART_TYPES:
            return True
        if kind in _TEXT_PART_TYPES and str(part.get("text") or "").strip():
            return True
    return False


def initiator(messages: Sequence[Mapping[str, Any]]) -> str:
    """``user`` when the last message is a user message with text or images, else ``agent``.

    Copilot bills premium requests only for ``X-Initiator: user`` (§3.3). Tool results,
    assistant prefills and empty user turns are follow-ups of an agent loop. This is the
    last-message rule (opencode), not LiteLLM's "any assistant or tool message" rule,
    which bills every later user prompt of a multi-turn chat as ``agent``.
    """
    if not messages:
        return "agent"
    last = messages[-1]
    if last.get("role") == "user" and _has_real_content(last.get("content")):
        return "user"
    return "agent"


def user_turn(messages: Sequence[Mapping[str, Any]]) -> str:
    """The conversation up to its latest user prompt, serialised: what names the user turn
    (:func:`litellm_codex.copilot_identity.turn_ids`). The same on the prompt's request and
    on its tool follow-ups (they only append to it); ``""`` when there is no prompt yet."""
    end = 0
    for i, message in enumerate(messages):
        if message.get("role") == "user" and _has_real_content(message.get("content")):
            end = i + 1
    prefix = [[m.get("role"), _without_cache_control(m.get("content"))] for m in messages[:end]]
    return json.dumps(prefix, sort_keys=True, default=str) if prefix else ""


def _without_cache_control(content: Any) -> Any:
    # Claude Code moves its cache breakpoint to the newest message on every request: the
    # prompt's parts are the same, their `cache_control` is not.
    if isinstance(content, list):
        return [
            {k: v for k, v in p.items() if k != "cache_control"} if isinstance(p, Mapping) else p
            for p in content
        ]
    return content


def request_headers(
    messages: Sequence[Mapping[str, Any]],
    *,
    has_images: bool | None = None,
    caller_headers: Mapping[str, str] | None = None,
    intent: str | None = copilot_identity.OPENAI_INTENT,
) -> dict[str, str]:
    """Copilot request headers, without ``Authorization`` (the credential source adds it).

    ``has_images`` defaults to scanning ``messages``. ``caller_headers`` (the caller's
    ``extra_headers``) win over ours, name for name and case-insensitively, so a caller
    can set its own ``X-Initiator`` or ids.
    """
    who = initiator(messages)
    headers: dict[str, str] = {
        **copilot_identity.current().api_headers(intent=intent, turn=user_turn(messages)),
        "Content-Type": "application/json",
        "X-Initiator": who,
        # Paired with X-Initiator, as the reference sends them (reference-clients §2).
        "X-Interaction-Type": f"conversation-{who}",
    }
    if has_images is None:
        has_images = has_image_parts(messages)
    if has_images:
        # Required on requests that carry images, and only on those (§3.2, zed PR#33552).
        headers["Copilot-Vision-Request"] = "true"
    for name, value in (caller_headers or {}).items():
        for ours in [k for k in headers if k.lower() == name.lower()]:
            del headers[ours]
        headers[name] = value
    return headers
