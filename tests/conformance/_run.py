"""Run one LiteLLM call for a conformance test and pick the request the simulator saw."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import litellm
import pytest

from tests.conformance import _compare as cmp
from tests.contract._data import PNG, TOOLS

IMAGE_TYPES = frozenset({"input_image", "image_url", "image"})

#: The conversations' messages and tool, the same for both providers.
TOOL = [TOOLS[0]]  # get_weather(city)
SYSTEM = {"role": "system", "content": "Be brief."}
ASK_TOOL = {"role": "user", "content": 'call get_weather {"city": "Paris"}'}
IMAGE = {
    "role": "user",
    "content": [
        {"type": "text", "text": "What is in this image? One word."},
        {"type": "image_url", "image_url": {"url": PNG}},
    ],
}


@dataclass
class Outcome:
    """A call's answer, or the error it raised (a conformance test compares the request
    even when the simulator refused it)."""

    response: Any = None
    error: BaseException | None = None

    def describe(self) -> str:
        if self.error is not None:
            return f"{type(self.error).__name__}: {self.error}"
        return "answered"


def call(model: str, messages: Sequence[Any], **kwargs: Any) -> Outcome:
    """``litellm.completion`` (whole answer), keeping the error instead of raising it."""
    try:
        return Outcome(response=litellm.completion(model=model, messages=list(messages), **kwargs))
    except Exception as exc:  # the request made is what the test compares
        return Outcome(error=exc)


def converse_through(model: str, conversation: str, **kwargs: Any) -> None:
    """Run one of the conversations through ``litellm.completion``: ``turn`` (system, user,
    the tool), ``image`` (system and a user image; with the tool too, since the references
    always declare tools, so only a request with tools compares key for key) or
    ``followup`` (the turn, then the tool result sent back). ``kwargs`` go with every call;
    the test compares the last request the simulator received."""
    if conversation == "turn":
        call(model, [SYSTEM, ASK_TOOL], **kwargs)
    elif conversation == "image":
        call(model, [SYSTEM, IMAGE], **kwargs)
    elif conversation == "followup":
        first = call(model, [SYSTEM, ASK_TOOL], **kwargs)
        message = first.response.choices[0].message if first.response is not None else None
        tool_calls = getattr(message, "tool_calls", None) if message is not None else None
        if not tool_calls:
            pytest.fail(f"the first turn brought no tool call to answer: {first.describe()}")
        history = [
            SYSTEM,
            ASK_TOOL,
            message,
            {"role": "tool", "tool_call_id": tool_calls[0].id, "content": "sunny"},
        ]
        call(model, history, **kwargs)
    else:
        raise ValueError(f"no conversation {conversation!r}")


def last_call(calls: Sequence[Any], what: str) -> cmp.Captured:
    """The last of ``calls`` (simulator requests), normalised; fails when there is none."""
    if not calls:
        raise AssertionError(f"{what}: the simulator received no model call")
    return cmp.from_sim(calls[-1])


def find_image_part(body: Any) -> dict[str, Any] | None:
    """The first image content part anywhere in a request body."""
    if isinstance(body, dict):
        if isinstance(body.get("type"), str) and body["type"] in IMAGE_TYPES:
            return body
        values: Any = body.values()
    elif isinstance(body, list):
        values = body
    else:
        return None
    for value in values:
        found = find_image_part(value)
        if found is not None:
            return found
    return None


def structure_cases(
    pending: Mapping[str, str],
    families: Iterable[str],
    conversations: Sequence[str],
    aspects: Sequence[str],
    skip: Container[tuple[str, str]] = (),
) -> list[Any]:
    """The cases of ``test_request_structure``: ``(family, conversation, aspect)`` for each
    combination but the ``(conversation, aspect)`` pairs in ``skip``, with ids
    ``family-conversation-aspect``."""
    return [
        case(
            pending,
            "test_request_structure",
            f"{family}-{conversation}-{aspect}",
            family,
            conversation,
            aspect,
        )
        for family in families
        for conversation in conversations
        for aspect in aspects
        if (conversation, aspect) not in skip
    ]


def case(pending: Mapping[str, str], test: str, case_id: str, *values: Any) -> Any:
    """A ``pytest.param`` for ``test[case_id]``, marked ``xfail(strict=True)`` when
    ``pending`` lists it: an aspect the package does not follow yet. Strict, so the day it
    conforms the test fails until its entry is removed."""
    reason = pending.get(f"{test}[{case_id}]")
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(*values, id=case_id, marks=marks)
