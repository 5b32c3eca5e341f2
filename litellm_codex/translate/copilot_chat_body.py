"""Non-streamed Copilot ``/chat/completions`` answers as one neutral result (pure).

Two body shapes come back (``protocols/github-copilot.md`` §3.6):

- OpenAI-shaped, with ``choices``; Claude splits text and tool calls across ``choices[0]``
  and ``choices[1]``, so all choices are merged into one message (quirk 3);
- Anthropic-native, from newer Claude models: ``content`` blocks, ``stop_reason``,
  ``input_tokens`` and no ``choices`` (quirk 4).

Nothing here does I/O or imports LiteLLM.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from litellm_codex.errors import UpstreamError
from litellm_codex.translate.copilot_chat import restore_tool_call_id
from litellm_codex.translate.copilot_finish import final_finish, in_band_error
from litellm_codex.translate.copilot_reasoning import opaque_block, reasoning_of, reasoning_state
from litellm_codex.translate.copilot_usage import as_int, parse_usage
from litellm_codex.translate.deltas import ChatResult, ToolCall

__all__ = ["parse_chat_response"]


def _tool_call_from(raw: Mapping[str, Any], fallback: int, id_map: Mapping[str, str]) -> ToolCall:
    function = raw.get("function")
    function = function if isinstance(function, Mapping) else {}
    arguments = function.get("arguments")
    if isinstance(arguments, Mapping):
        arguments = json.dumps(arguments)
    if not isinstance(arguments, str) or not arguments.strip():
        # An argument-less call (zed: empty arguments become `{}`); "" is not valid JSON.
        arguments = "{}"
    call_id = raw.get("id")
    return ToolCall(
        id=restore_tool_call_id(call_id, id_map)
        if isinstance(call_id, str) and call_id
        else f"call_copilot_{fallback}",
        name=str(function.get("name") or ""),
        arguments=arguments,
    )


def parse_chat_response(
    body: Mapping[str, Any], *, tool_call_ids: Mapping[str, str] | None = None
) -> ChatResult:
    """A non-streamed Copilot answer as one :class:`ChatResult`.

    All choices are merged into one message (Claude puts text in ``choices[0]`` and tool
    calls in ``choices[1]``, §3.6 quirk 3), and Anthropic-native bodies without
    ``choices`` are read from their ``content`` blocks (quirk 4).
    """
    id_map = tool_call_ids or {}
    error = in_band_error(body)
    if error is not None:
        raise UpstreamError(error.message, code=error.code)
    choices = body.get("choices")
    if isinstance(choices, list):
        return _parse_openai_body(body, choices, id_map)
    if isinstance(body.get("content"), list):
        return _parse_anthropic_body(body, id_map)
    raise UpstreamError(
        f"unexpected Copilot response: no choices and no content ({json.dumps(body)[:200]})"
    )


def _parse_openai_body(
    body: Mapping[str, Any], choices: list[Any], id_map: Mapping[str, str]
) -> ChatResult:
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    seen_ids: set[str] = set()
    reasons: list[str] = []
    fields: dict[str, Any] = {}
    blocks: list[dict[str, Any]] = []
    ordered = sorted(
        (c for c in choices if isinstance(c, Mapping)), key=lambda c: as_int(c.get("index"))
    )
    for choice in ordered:
        message = choice.get("message")
        message = message if isinstance(message, Mapping) else {}
        content = message.get("content")
        if isinstance(content, str) and content:
            texts.append(content)
        thought = reasoning_of(message)
        if thought:
            reasoning.append(thought)
        fields.update(reasoning_state(message) or {})
        blocks.extend(opaque_block(message, thought or ""))
        for raw in message.get("tool_calls") or ():
            if not isinstance(raw, Mapping):
                continue
            call = _tool_call_from(raw, len(calls), id_map)
            if call.id in seen_ids:
                continue  # the same call repeated in two choices
            seen_ids.add(call.id)
            calls.append(call)
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            reasons.append(reason)
    usage = body.get("usage")
    return ChatResult(
        content="".join(texts) if texts else None,
        reasoning_content="".join(reasoning) if reasoning else None,
        tool_calls=tuple(calls),
        finish_reason=final_finish(reasons, bool(calls)),
        usage=parse_usage(usage) if isinstance(usage, Mapping) else None,
        response_id=body.get("id") if isinstance(body.get("id"), str) and body["id"] else None,
        model=body.get("model") if isinstance(body.get("model"), str) and body["model"] else None,
        thinking_blocks=tuple(blocks),
        provider_fields=fields or None,
    )


def _parse_anthropic_body(body: Mapping[str, Any], id_map: Mapping[str, str]) -> ChatResult:
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    for block in body["content"]:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "thinking" and isinstance(block.get("thinking"), str):
            reasoning.append(block["thinking"])
        elif kind == "tool_use":
            arguments = block.get("input")
            calls.append(
                _tool_call_from(
                    {
                        "id": block.get("id"),
                        "function": {
                            "name": block.get("name"),
                            "arguments": json.dumps(arguments if arguments is not None else {}),
                        },
                    },
                    len(calls),
                    id_map,
                )
            )
    reason = body.get("stop_reason")
    usage = body.get("usage")
    return ChatResult(
        content="".join(texts) if texts else None,
        reasoning_content="".join(reasoning) if reasoning else None,
        tool_calls=tuple(calls),
        finish_reason=final_finish([reason] if isinstance(reason, str) else [], bool(calls)),
        usage=parse_usage(usage) if isinstance(usage, Mapping) else None,
        response_id=body.get("id") if isinstance(body.get("id"), str) and body["id"] else None,
        model=body.get("model") if isinstance(body.get("model"), str) and body["model"] else None,
    )
