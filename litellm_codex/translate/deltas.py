"""The provider-neutral shape of a chat answer, streamed or whole (pure, no LiteLLM).

Every upstream stream translator (Codex Responses events, Copilot chat chunks) turns what
it reads into :class:`ChatDelta` items followed by one :class:`ChatFinish`. The provider
layer turns deltas into LiteLLM stream chunks one for one, and a non-streamed call feeds
the very same items to :class:`ChatAccumulator`, so streamed and whole answers cannot
disagree about content, tool calls or usage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "FINISH_REASONS",
    "ChatAccumulator",
    "ChatDelta",
    "ChatFinish",
    "ChatResult",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "combine_thinking",
]

FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]
FINISH_REASONS: frozenset[str] = frozenset({"stop", "length", "tool_calls", "content_filter"})


@dataclass(frozen=True)
class ToolCallDelta:
    """Part of a streamed tool call. The first part of a call carries ``id`` and ``name``;
    later parts carry only ``index`` and an ``arguments`` fragment."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True)
class ChatDelta:
    """One increment of the assistant message."""

    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: tuple[ToolCallDelta, ...] = ()
    #: LiteLLM ``thinking_blocks`` fragments (Claude thinking text, then its signature;
    #: ``redacted_thinking`` blocks whole), kept so the next turn can send them back.
    thinking_blocks: tuple[Mapping[str, Any], ...] = ()
    #: LiteLLM ``provider_specific_fields`` (e.g. Gemini's ``reasoning_opaque``), merged
    #: key by key over the answer.
    provider_fields: Mapping[str, Any] | None = None

    def is_empty(self) -> bool:
        """True when the delta carries nothing."""
        return not (
            self.content
            or self.reasoning_content
            or self.tool_calls
            or self.thinking_blocks
            or self.provider_fields
        )


@dataclass(frozen=True)
class Usage:
    """Token usage in Chat Completions terms."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI ``usage`` object (details only when known)."""
        usage: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }
        if self.cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": self.cached_tokens}
        if self.reasoning_tokens is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": self.reasoning_tokens}
        return usage


@dataclass(frozen=True)
class ChatFinish:
    """The end of an answer: why it ended, and usage when the upstream reported it."""

    finish_reason: str
    usage: Usage | None = None
    response_id: str | None = None
    #: The upstream's model name, when it said (e.g. a dated snapshot name).
    model: str | None = None


@dataclass(frozen=True)
class ToolCall:
    """A complete tool call."""

    id: str
    name: str
    arguments: str

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI ``tool_calls[]`` entry."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True)
class ChatResult:
    """A whole answer."""

    content: str | None
    reasoning_content: str | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    usage: Usage | None
    response_id: str | None = None
    model: str | None = None
    #: Whole thinking blocks (``thinking`` with ``signature``, ``redacted_thinking``).
    thinking_blocks: tuple[dict[str, Any], ...] = ()
    provider_fields: dict[str, Any] | None = None


def combine_thinking(fragments: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
    """Whole blocks from streamed fragments, the way LiteLLM's ``stream_chunk_builder``
    combines them: thinking text accumulates until a signature closes the block."""
    blocks: list[dict[str, Any]] = []
    text: list[str] = []
    for fragment in fragments:
        if fragment.get("type") == "redacted_thinking":
            blocks.append(dict(fragment))
            continue
        if isinstance(fragment.get("thinking"), str):
            text.append(fragment["thinking"])
        signature = fragment.get("signature")
        if isinstance(signature, str) and signature:
            blocks.append({"type": "thinking", "thinking": "".join(text), "signature": signature})
            text = []
    return tuple(blocks)


@dataclass
class _PartialCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class ChatAccumulator:
    """Builds a :class:`ChatResult` from deltas and the finish, in stream order."""

    def __init__(self) -> None:
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._calls: dict[int, _PartialCall] = {}
        self._finish: ChatFinish | None = None
        self._thinking: list[Mapping[str, Any]] = []
        self._fields: dict[str, Any] = {}

    def add(self, item: ChatDelta | ChatFinish) -> None:
        """Take one item of a translated stream."""
        if isinstance(item, ChatFinish):
            self._finish = item
            return
        if item.content:
            self._content.append(item.content)
        if item.reasoning_content:
            self._reasoning.append(item.reasoning_content)
        self._thinking.extend(item.thinking_blocks)
        if item.provider_fields:
            self._fields.update(item.provider_fields)
        for part in item.tool_calls:
            call = self._calls.setdefault(part.index, _PartialCall())
            if part.id:
                call.id = part.id
            if part.name:
                call.name = part.name
            if part.arguments:
                call.arguments.append(part.arguments)

    def extend(self, items: Iterable[ChatDelta | ChatFinish]) -> ChatAccumulator:
        """Take many items; returns ``self``."""
        for item in items:
            self.add(item)
        return self

    def result(self) -> ChatResult:
        """The answer so far (``finish_reason`` is ``stop`` if no finish was seen)."""
        finish = self._finish or ChatFinish("stop")
        calls = tuple(
            ToolCall(id=c.id, name=c.name, arguments="".join(c.arguments))
            for _, c in sorted(self._calls.items())
        )
        return ChatResult(
            content="".join(self._content) if self._content else None,
            reasoning_content="".join(self._reasoning) if self._reasoning else None,
            tool_calls=calls,
            finish_reason=finish.finish_reason,
            usage=finish.usage,
            response_id=finish.response_id,
            model=finish.model,
            thinking_blocks=combine_thinking(self._thinking),
            provider_fields=dict(self._fields) or None,
        )
