"""GitHub Copilot ``/chat/completions``: request building and answer normalisation (pure).

Copilot's chat endpoint speaks OpenAI Chat Completions, but the models behind it (OpenAI,
Anthropic, Google) leak their own habits into the wire format. This module builds the
request body and headers, and turns whatever comes back into the neutral
:mod:`litellm_codex.translate.chat` items. The quirks handled, with their sources in
``protocols/github-copilot.md``:

- chunks with an empty ``choices`` list (Azure ``prompt_filter_results``, the trailing
  ``include_usage`` chunk) are skipped, but their ``usage`` is kept (§3.6);
- Claude sends every parallel tool call on ``index: 0`` and marks a new call only by a new
  ``id``; a new id on a used index starts a new call at a fresh output index (§3.6 quirk 1);
- Claude non-stream answers split text and tool calls across ``choices[0]`` and
  ``choices[1]``; all choices are merged into one message (§3.6 quirk 3);
- newer Claude models may answer with an Anthropic-native body (``content`` blocks,
  ``stop_reason``, ``input_tokens``) and no ``choices`` at all (§3.6 quirk 4);
- reasoning arrives as ``reasoning_text`` (Gemini, Claude) or ``reasoning_content`` /
  ``thinking`` (§3.6 quirk 5); Gemini adds an opaque ``reasoning_opaque``, kept in LiteLLM's
  ``provider_specific_fields`` and echoed with ``reasoning_text`` on the next request
  (reference-clients-2026-11.md §2);
- tool call ids longer than 64 characters are rejected; they are shortened
  deterministically and restored in answers (§3.6 quirk 6);
- GPT-5 and o-series models reject ``max_tokens`` on chat (§3.5).

Nothing here does I/O or imports LiteLLM.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from litellm_codex import copilot_identity
from litellm_codex.errors import ConfigurationError, StreamError, UpstreamError, parse_error_body
from litellm_codex.translate.chat import (
    ChatDelta,
    ChatFinish,
    ChatResult,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__all__ = [
    "CHAT_PASSTHROUGH_PARAMS",
    "FINISH_REASON_MAP",
    "LITELLM_OWN_PARAMS",
    "MAX_TOOL_CALL_ID_LENGTH",
    "OPAQUE_SIGNATURE_PREFIX",
    "REASONING_MODEL_DROPPED_PARAMS",
    "VALIDATED_TOOL_CHOICE_VENDORS",
    "BuiltChatRequest",
    "CopilotChatStreamTranslator",
    "build_chat_request",
    "has_image_parts",
    "initiator",
    "parse_chat_response",
    "parse_usage",
    "request_headers",
    "restore_tool_call_id",
    "shorten_tool_call_id",
    "user_turn",
    "uses_max_completion_tokens",
]

# --------------------------------------------------------------------------------------
# Identity headers come from litellm_codex.copilot_identity (the one definition shared with
# the token exchange and the login checks).

#: Copilot rejects longer tool call ids (§3.6 quirk 6; nanobot issue #1554).
MAX_TOOL_CALL_ID_LENGTH = 64

#: Request parameters passed to Copilot as they are. Anything else the caller sent is
#: reported in :attr:`BuiltChatRequest.dropped` so the provider can warn once.
CHAT_PASSTHROUGH_PARAMS: frozenset[str] = frozenset(
    {
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "temperature",
        "top_p",
        "stop",
        "n",
        "reasoning_effort",
        "max_tokens",
        "max_completion_tokens",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "user",
        "prediction",
        "thinking",
    }
)

#: LiteLLM's own call settings that reach a custom handler's ``optional_params`` (the
#: proxy sets ``max_retries`` on every call): never sent upstream and never warned about.
LITELLM_OWN_PARAMS: frozenset[str] = frozenset({"max_retries", "timeout", "api_version"})

#: Sampling knobs that OpenAI reasoning models (o-series, GPT-5) refuse on Chat
#: Completions; dropped for those models so a framework's harmless default cannot fail
#: the request (SPEC §4 "Parameters the backend rejects ... are dropped").
REASONING_MODEL_DROPPED_PARAMS: frozenset[str] = frozenset(
    {
        "temperature",
        "top_p",
        "presence_penalty",
        "frequency_penalty",
        "logprobs",
        "top_logprobs",
        "logit_bias",
    }
)

# o1, o3, o4-mini, gpt-5, gpt-5.1-codex, gpt-5-mini ... (§3.5: "GPT-5 and o-series on chat
# reject `max_tokens`"). Claude, Gemini and GPT-4.x keep `max_tokens`.
_REASONING_MODEL = re.compile(r"^(o\d|gpt-5)", re.IGNORECASE)
# OpenAI's `verbosity` exists for the GPT-5 family only.
_GPT5_MODEL = re.compile(r"^gpt-5", re.IGNORECASE)

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

_IMAGE_PART_TYPES = frozenset({"image_url", "input_image", "image"})
_TEXT_PART_TYPES = frozenset({"text", "input_text"})
_REASONING_FIELDS = ("reasoning_text", "reasoning_content", "thinking")


# --------------------------------------------------------------------------------------
# Tool call ids


def shorten_tool_call_id(call_id: str) -> str:
    """``call_id`` if it fits in 64 characters, else a deterministic 64-character stand-in.

    The stand-in keeps a readable prefix and ends with a hash of the whole id, so two long
    ids that share a prefix stay distinct and the same id always maps to the same value
    (a conversation replayed turn after turn sends the same shortened ids).
    """
    if len(call_id) <= MAX_TOOL_CALL_ID_LENGTH:
        return call_id
    digest = hashlib.sha256(call_id.encode("utf-8")).hexdigest()[:24]
    keep = MAX_TOOL_CALL_ID_LENGTH - len(digest) - 1
    return f"{call_id[:keep]}_{digest}"


def restore_tool_call_id(call_id: str, id_map: Mapping[str, str]) -> str:
    """The caller's original id for ``call_id`` (``id_map``: shortened -> original)."""
    return id_map.get(call_id, call_id)


# --------------------------------------------------------------------------------------
# Requests


@dataclass(frozen=True)
class BuiltChatRequest:
    """A Copilot ``/chat/completions`` body and what was left out of it."""

    body: dict[str, Any]
    #: Names of caller parameters not sent (the provider warns once about each).
    dropped: tuple[str, ...] = ()
    #: Shortened tool call id -> the caller's original, for restoring ids in answers.
    tool_call_ids: dict[str, str] = field(default_factory=dict)


#: ``/models`` vendors whose tool calls the reference asks to have validated:
#: ``tool_choice: "validated"`` on Gemini's chat requests (reference-clients-2026-11.md §2).
#: It is Gemini's function-calling mode ``VALIDATED``: the model chooses between text and
#: tool calls as with ``auto``, and a tool call is constrained to the tool's schema.
VALIDATED_TOOL_CHOICE_VENDORS: frozenset[str] = frozenset({"Google"})


def uses_max_completion_tokens(model: str) -> bool:
    """Whether ``model`` wants ``max_completion_tokens`` instead of ``max_tokens``."""
    return bool(_REASONING_MODEL.match(model))


def build_chat_request(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    *,
    stream: bool,
    validated_tools: bool = False,
    reasoning_efforts: Sequence[str] | None = None,
) -> BuiltChatRequest:
    """The body for ``POST {api}/chat/completions``.

    ``messages`` are OpenAI chat messages as plain mappings; they pass through unchanged
    (system messages stay ``system``: LiteLLM's built-in provider turned them into
    ``assistant`` messages, §5.4) except for over-long tool call ids. ``params`` are the
    OpenAI parameters the caller set; ``None`` values count as unset.
    ``validated_tools`` (a vendor in :data:`VALIDATED_TOOL_CHOICE_VENDORS`): with tools and
    no ``tool_choice`` from the caller, ``tool_choice: "validated"``, as the reference sends.
    ``reasoning_efforts``: the model's ``/models`` ``supports.reasoning_effort``; a caller's
    effort outside it is refused before sending (unknown or unlisted: passed through).
    """
    effort = params.get("reasoning_effort")
    if reasoning_efforts and isinstance(effort, str) and effort not in reasoning_efforts:
        raise ConfigurationError(
            f"reasoning_effort={effort!r} is not supported by this model; it takes "
            + ", ".join(repr(level) for level in reasoning_efforts)
        )
    id_map: dict[str, str] = {}
    out_messages = [_shorten_ids_in_message(m, id_map) for m in messages]
    reasoning_model = uses_max_completion_tokens(model)

    body: dict[str, Any] = {"model": model, "messages": out_messages}
    dropped: list[str] = []
    for name, value in params.items():
        if value is None or name in ("stream", "stream_options", "extra_body"):
            continue
        if name in LITELLM_OWN_PARAMS:
            continue
        if name == "verbosity" and _GPT5_MODEL.match(model):
            body[name] = value  # GPT-5 only; other models reject it
            continue
        if name not in CHAT_PASSTHROUGH_PARAMS or (
            reasoning_model and name in REASONING_MODEL_DROPPED_PARAMS
        ):
            dropped.append(name)
            continue
        body[name] = value

    if reasoning_model and "max_tokens" in body:
        limit = body.pop("max_tokens")
        body.setdefault("max_completion_tokens", limit)
    if validated_tools and body.get("tools") and body.get("tool_choice") is None:
        body["tool_choice"] = "validated"

    body["stream"] = stream
    if stream:
        # Always ask for usage: the stream's ChatFinish carries it either way, and the
        # provider decides whether the caller sees a usage chunk.
        options = params.get("stream_options")
        body["stream_options"] = {**(options if isinstance(options, Mapping) else {})}
        body["stream_options"]["include_usage"] = True

    extra = params.get("extra_body")
    if isinstance(extra, Mapping):
        body.update(extra)
    return BuiltChatRequest(body=body, dropped=tuple(sorted(dropped)), tool_call_ids=id_map)


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


def _echo_reasoning(out: dict[str, Any]) -> None:
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


def _shorten_ids_in_message(message: Mapping[str, Any], id_map: dict[str, str]) -> dict[str, Any]:
    out = dict(message)
    _echo_reasoning(out)

    def short(call_id: Any) -> Any:
        if not isinstance(call_id, str):
            return call_id
        new = shorten_tool_call_id(call_id)
        if new != call_id:
            id_map[new] = call_id
        return new

    calls = out.get("tool_calls")
    if isinstance(calls, list):
        new_calls: list[Any] = []
        for call in calls:
            if isinstance(call, Mapping) and "id" in call:
                call = {**call, "id": short(call["id"])}
            new_calls.append(call)
        out["tool_calls"] = new_calls
    if "tool_call_id" in out:
        out["tool_call_id"] = short(out["tool_call_id"])
    return out


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


# --------------------------------------------------------------------------------------
# Answers


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _opt_int(mapping: Any, key: str) -> int | None:
    if isinstance(mapping, Mapping):
        value = mapping.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def parse_usage(usage: Mapping[str, Any]) -> Usage:
    """OpenAI-shaped or Anthropic-shaped ``usage`` as :class:`Usage`."""
    if "prompt_tokens" in usage or "completion_tokens" in usage:
        prompt = _int(usage.get("prompt_tokens"))
        completion = _int(usage.get("completion_tokens"))
        total = _int(usage.get("total_tokens")) or prompt + completion
        return Usage(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=total,
            cached_tokens=_opt_int(usage.get("prompt_tokens_details"), "cached_tokens"),
            reasoning_tokens=_opt_int(usage.get("completion_tokens_details"), "reasoning_tokens"),
        )
    # Anthropic: input_tokens excludes cache reads and writes, OpenAI's prompt_tokens
    # includes them.
    cached = _opt_int(usage, "cache_read_input_tokens")
    prompt = (
        _int(usage.get("input_tokens"))
        + (cached or 0)
        + _int(usage.get("cache_creation_input_tokens"))
    )
    completion = _int(usage.get("output_tokens"))
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        cached_tokens=cached,
    )


def _reasoning_of(delta: Mapping[str, Any]) -> str | None:
    # One field per chunk: an upstream that filled two of them would otherwise have its
    # reasoning doubled.
    for name in _REASONING_FIELDS:
        value = delta.get(name)
        if isinstance(value, Mapping):  # {"thinking": {"text"|"thinking": ...}}
            value = value.get("text") or value.get("thinking")
        if isinstance(value, str) and value:
            return value
    return None


def _reasoning_state(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """Gemini's ``reasoning_opaque`` (to be echoed next turn), as provider fields."""
    opaque = message.get("reasoning_opaque")
    if isinstance(opaque, str) and opaque:
        return {"reasoning_opaque": opaque}
    return None


def _opaque_block(message: Mapping[str, Any], text: str = "") -> tuple[dict[str, Any], ...]:
    """The thinking-block twin of ``reasoning_opaque`` (see :data:`OPAQUE_SIGNATURE_PREFIX`)."""
    opaque = message.get("reasoning_opaque")
    if not (isinstance(opaque, str) and opaque):
        return ()
    signature = OPAQUE_SIGNATURE_PREFIX + opaque
    return ({"type": "thinking", "thinking": text, "signature": signature},)


def _final_finish(reasons: Iterable[str], saw_tool_calls: bool) -> str:
    mapped = {FINISH_REASON_MAP.get(r, "stop") for r in reasons}
    reason = next((r for r in _FINISH_PRIORITY if r in mapped), "stop")
    if reason == "stop" and saw_tool_calls:
        # Claude may end a tool-calling answer with "stop" (or split the answer so that
        # the text choice says "stop"); OpenAI clients only run tools on "tool_calls".
        reason = "tool_calls"
    return reason


def _in_band_error(chunk: Mapping[str, Any]) -> StreamError | None:
    err = chunk.get("error")
    if err is None or chunk.get("choices"):
        return None
    code, message = parse_error_body({"error": err} if not isinstance(err, str) else chunk)
    return StreamError(f"Copilot reported an error in the stream: {message}", code=code)


@dataclass
class _StreamCall:
    out_index: int
    upstream_id: str | None
    named: bool = False


class CopilotChatStreamTranslator:
    """Turns Copilot chat stream chunks into :class:`ChatDelta` items and one :class:`ChatFinish`.

    Feed each decoded ``data:`` JSON object to :meth:`feed` (or the raw ``data`` text to
    :meth:`feed_data`, which understands ``[DONE]``), then call :meth:`finish` at the end
    of the stream. The finish is emitted only there, because usage may come in a chunk
    after the one with ``finish_reason`` (the ``include_usage`` trailer).

    ``tool_call_ids`` maps shortened ids back to the caller's (see
    :attr:`BuiltChatRequest.tool_call_ids`).
    """

    def __init__(self, *, tool_call_ids: Mapping[str, str] | None = None) -> None:
        self._id_map = dict(tool_call_ids or {})
        # (choice index, upstream tool call index) -> the call currently on it.
        self._calls: dict[tuple[int, int], _StreamCall] = {}
        self._by_id: dict[str, _StreamCall] = {}
        self._next_index = 0
        self._reasons: list[str] = []
        self._usage: Usage | None = None
        self._response_id: str | None = None
        self._model: str | None = None
        self._done = False

    @property
    def saw_done(self) -> bool:
        """Whether ``data: [DONE]`` arrived (informational; :meth:`finish` does not need it)."""
        return self._done

    @property
    def saw_tool_calls(self) -> bool:
        """Whether any tool call was streamed."""
        return self._next_index > 0

    def feed_data(self, data: str) -> list[ChatDelta | ChatFinish]:
        """Take the text of one SSE ``data:`` field."""
        if data.strip() == "[DONE]":
            self._done = True
            return []
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise StreamError(f"malformed Copilot stream chunk: {data[:200]!r}") from exc
        if not isinstance(chunk, Mapping):
            raise StreamError(f"unexpected Copilot stream chunk: {data[:200]!r}")
        return self.feed(chunk)

    def feed(self, chunk: Mapping[str, Any]) -> list[ChatDelta | ChatFinish]:
        """Take one decoded chunk; returns the deltas it carries (maybe none)."""
        error = _in_band_error(chunk)
        if error is not None:
            raise error
        usage = chunk.get("usage")
        if isinstance(usage, Mapping):
            self._usage = parse_usage(usage)
        if isinstance(chunk.get("id"), str) and chunk["id"] and self._response_id is None:
            self._response_id = chunk["id"]
        if isinstance(chunk.get("model"), str) and chunk["model"]:
            self._model = chunk["model"]

        out: list[ChatDelta | ChatFinish] = []
        choices = chunk.get("choices")
        # Empty `choices`: the prompt-filter preamble or the usage trailer (§3.6).
        for choice in choices if isinstance(choices, list) else ():
            if not isinstance(choice, Mapping):
                continue
            delta = choice.get("delta")
            if isinstance(delta, Mapping):
                item = self._delta(_int(choice.get("index")), delta)
                if not item.is_empty():
                    out.append(item)
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and reason:
                self._reasons.append(reason)
        return out

    def _delta(self, choice_index: int, delta: Mapping[str, Any]) -> ChatDelta:
        content = delta.get("content")
        parts: list[ToolCallDelta] = []
        for raw in delta.get("tool_calls") or ():
            if isinstance(raw, Mapping):
                part = self._tool_call(choice_index, raw)
                if part is not None:
                    parts.append(part)
        reasoning = _reasoning_of(delta)
        # Reasoning text also goes out as thinking-block text, so the block that the
        # opaque state closes holds it (LiteLLM joins the fragments up to the signature).
        thinking = ({"type": "thinking", "thinking": reasoning},) if reasoning else ()
        return ChatDelta(
            content=content if isinstance(content, str) and content else None,
            reasoning_content=reasoning,
            tool_calls=tuple(parts),
            thinking_blocks=thinking + _opaque_block(delta),
            provider_fields=_reasoning_state(delta),
        )

    def _tool_call(self, choice_index: int, raw: Mapping[str, Any]) -> ToolCallDelta | None:
        key = (choice_index, _int(raw.get("index")))
        call_id = raw.get("id") if isinstance(raw.get("id"), str) and raw.get("id") else None
        function = raw.get("function")
        function = function if isinstance(function, Mapping) else {}
        name = function.get("name") if isinstance(function.get("name"), str) else None
        arguments = function.get("arguments")
        arguments = arguments if isinstance(arguments, str) else ""

        current = self._calls.get(key)
        if call_id is not None and call_id in self._by_id:
            # A call we already know (even if another call came in between on this index):
            # its parts belong to it, not to a new call.
            current = self._calls[key] = self._by_id[call_id]
        is_new = current is None or (
            call_id is not None
            and current.upstream_id is not None
            and call_id != current.upstream_id
        )
        if is_new:
            # Claude: a new id on an index already used is a separate call (§3.6 quirk 1).
            current = _StreamCall(out_index=self._next_index, upstream_id=call_id)
            self._calls[key] = current
            self._next_index += 1
            if call_id is not None:
                self._by_id[call_id] = current
            out_id = (
                restore_tool_call_id(call_id, self._id_map)
                if call_id is not None
                # No id at all: give the call a stable one, OpenAI clients need it.
                else f"call_copilot_{current.out_index}"
            )
        else:
            assert current is not None
            out_id = None
            if current.upstream_id is None and call_id is not None:
                current.upstream_id = call_id
                self._by_id[call_id] = current
        out_name = None
        if name and not current.named:
            current.named = True
            out_name = name
        if not (is_new or out_name or arguments):
            return None  # a closing chunk that repeats the id only
        return ToolCallDelta(index=current.out_index, id=out_id, name=out_name, arguments=arguments)

    def finish(self) -> list[ChatDelta | ChatFinish]:
        """End of the stream: the :class:`ChatFinish`.

        Raises :class:`StreamError` when no choice ever reported a ``finish_reason``: the
        stream was cut short (Copilot always ends a choice with one, even before
        ``[DONE]``), and a silently truncated answer must not pass for a complete one.
        A missing ``[DONE]`` after a finish reason is tolerated.
        """
        if not self._reasons:
            raise StreamError("Copilot stream ended before the answer was finished")
        return [
            ChatFinish(
                finish_reason=_final_finish(self._reasons, self.saw_tool_calls),
                usage=self._usage,
                response_id=self._response_id,
                model=self._model,
            )
        ]


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
    error = _in_band_error(body)
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
        (c for c in choices if isinstance(c, Mapping)), key=lambda c: _int(c.get("index"))
    )
    for choice in ordered:
        message = choice.get("message")
        message = message if isinstance(message, Mapping) else {}
        content = message.get("content")
        if isinstance(content, str) and content:
            texts.append(content)
        thought = _reasoning_of(message)
        if thought:
            reasoning.append(thought)
        fields.update(_reasoning_state(message) or {})
        blocks.extend(_opaque_block(message, thought or ""))
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
        finish_reason=_final_finish(reasons, bool(calls)),
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
        finish_reason=_final_finish([reason] if isinstance(reason, str) else [], bool(calls)),
        usage=parse_usage(usage) if isinstance(usage, Mapping) else None,
        response_id=body.get("id") if isinstance(body.get("id"), str) and body["id"] else None,
        model=body.get("model") if isinstance(body.get("model"), str) and body["model"] else None,
    )
