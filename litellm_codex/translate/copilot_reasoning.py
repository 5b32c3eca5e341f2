"""Reasoning state of Copilot chat models, read from answers and echoed on requests (pure).

- Answers carry reasoning as ``reasoning_text`` (Gemini, Claude), ``reasoning_content`` or
  ``thinking`` (``protocols/github-copilot.md`` §3.6 quirk 5): :func:`reasoning_of`.
- Gemini adds an opaque ``reasoning_opaque``; the reference client echoes it with
  ``reasoning_text`` on the assistant message of the next request (without the echo,
  multi-turn Gemini 3 tool use fails, reference-clients-2026-11.md §2). It is kept in
  LiteLLM's ``provider_specific_fields`` (:func:`reasoning_state`) and, so that it survives
  paths that keep only thinking blocks, as the ``signature`` of a thinking block marked with
  :data:`OPAQUE_SIGNATURE_PREFIX` (:func:`opaque_block`); :func:`echo_reasoning` puts it back
  on the next request. ``/v1/messages`` (Claude's signatures) never sends a marked one.

Nothing here does I/O or imports LiteLLM.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "OPAQUE_SIGNATURE_PREFIX",
    "echo_reasoning",
    "opaque_block",
    "reasoning_of",
    "reasoning_state",
]

_REASONING_FIELDS = ("reasoning_text", "reasoning_content", "thinking")

# --------------------------------------------------------------------------------------
# Requests: the echo

#: Gemini's ``reasoning_opaque`` also rides as the ``signature`` of a LiteLLM thinking block,
#: so it survives paths that keep only ``thinking_blocks`` (the proxy's ``/v1/messages``
#: adapter, e.g. Claude Code on a Gemini model). The prefix tells it apart from a Claude
#: signature: it is never sent to ``/v1/messages``.
OPAQUE_SIGNATURE_PREFIX = "litellm-codex:reasoning_opaque:"


def _opaque_from_thinking(blocks: Any) -> tuple[str, str] | None:
    """``(reasoning_opaque, reasoning_text)`` carried in a thinking block, if any."""
    for block in blocks if isinstance(blocks, list) else ():
        signature = block.get("signature") if isinstance(block, Mapping) else None
        if isinstance(signature, str) and signature.startswith(OPAQUE_SIGNATURE_PREFIX):
            return signature[len(OPAQUE_SIGNATURE_PREFIX) :], str(block.get("thinking") or "")
    return None


def echo_reasoning(out: dict[str, Any]) -> None:
    """Send Gemini's reasoning state back the way the reference client does.

    Copilot's Gemini answers carry ``reasoning_text`` and an opaque ``reasoning_opaque``;
    the reference echoes both on the assistant message of the next request (without them
    multi-turn Gemini 3 tool use fails, reference-clients-2026-11.md §2). We keep the opaque
    part in LiteLLM's ``provider_specific_fields`` and the text in ``reasoning_content``.
    LiteLLM-only keys are not sent.
    """
    fields = out.pop("provider_specific_fields", None)
    carried = _opaque_from_thinking(out.pop("thinking_blocks", None))
    if out.get("role") != "assistant":
        return
    fields = fields if isinstance(fields, Mapping) else {}
    opaque = fields.get("reasoning_opaque")
    text = fields.get("reasoning_text") or out.get("reasoning_content")
    if not (isinstance(opaque, str) and opaque) and carried is not None:
        opaque, text = carried[0], text or carried[1]
    if isinstance(opaque, str) and opaque:
        out["reasoning_opaque"] = opaque
        if isinstance(text, str) and text:
            out["reasoning_text"] = text
            out.pop("reasoning_content", None)


# --------------------------------------------------------------------------------------
# Answers


def reasoning_of(delta: Mapping[str, Any]) -> str | None:
    """The reasoning text of a delta or message (``reasoning_text``, ``reasoning_content``
    or ``thinking``, §3.6 quirk 5), if any."""
    # One field per chunk: an upstream that filled two of them would otherwise have its
    # reasoning doubled.
    for name in _REASONING_FIELDS:
        value = delta.get(name)
        if isinstance(value, Mapping):  # {"thinking": {"text"|"thinking": ...}}
            value = value.get("text") or value.get("thinking")
        if isinstance(value, str) and value:
            return value
    return None


def reasoning_state(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """Gemini's ``reasoning_opaque`` (to be echoed next turn), as provider fields."""
    opaque = message.get("reasoning_opaque")
    if isinstance(opaque, str) and opaque:
        return {"reasoning_opaque": opaque}
    return None


def opaque_block(message: Mapping[str, Any], text: str = "") -> tuple[dict[str, Any], ...]:
    """The thinking-block twin of ``reasoning_opaque`` (see :data:`OPAQUE_SIGNATURE_PREFIX`)."""
    opaque = message.get("reasoning_opaque")
    if not (isinstance(opaque, str) and opaque):
        return ()
    signature = OPAQUE_SIGNATURE_PREFIX + opaque
    return ({"type": "thinking", "thinking": text, "signature": signature},)
