"""How a Copilot chat answer ended: finish reasons and in-band errors (pure).

Shared by the stream translator (:mod:`litellm_codex.translate.copilot_chat_stream`) and the
whole-body reader (:mod:`litellm_codex.translate.copilot_chat_body`). Upstream finish
reasons are Copilot's own (OpenAI's) or, in Anthropic-native bodies, Anthropic's
``stop_reason`` values (``protocols/github-copilot.md`` §3.6 quirk 4).

Nothing here does I/O or imports LiteLLM.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from litellm_codex.errors import StreamError, parse_error_body

__all__ = ["FINISH_REASON_MAP", "final_finish", "in_band_error"]

#: Upstream finish reasons -> OpenAI's. Copilot's own values first, then the Anthropic
#: ``stop_reason`` values seen in Anthropic-native bodies (§3.6 quirk 4).
FINISH_REASON_MAP: Mapping[str, str] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

# When several choices end differently (Claude's split answers), the most telling reason
# wins: a cut-off or filtered answer must not be reported as a clean stop.
_FINISH_PRIORITY = ("content_filter", "length", "tool_calls", "stop")


def final_finish(reasons: Iterable[str], saw_tool_calls: bool) -> str:
    """The OpenAI finish reason of an answer whose choices ended with ``reasons``."""
    mapped = {FINISH_REASON_MAP.get(r, "stop") for r in reasons}
    reason = next((r for r in _FINISH_PRIORITY if r in mapped), "stop")
    if reason == "stop" and saw_tool_calls:
        # Claude may end a tool-calling answer with "stop" (or split the answer so that
        # the text choice says "stop"); OpenAI clients only run tools on "tool_calls".
        reason = "tool_calls"
    return reason


def in_band_error(chunk: Mapping[str, Any]) -> StreamError | None:
    """The error a chunk or body without choices reports in its ``error`` field, if any."""
    err = chunk.get("error")
    if err is None or chunk.get("choices"):
        return None
    code, message = parse_error_body({"error": err} if not isinstance(err, str) else chunk)
    return StreamError(f"Copilot reported an error in the stream: {message}", code=code)
