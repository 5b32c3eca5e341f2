"""Merging the deltas of one network read (providers._base._coalesce / _feed)."""

from __future__ import annotations

from typing import Any

import pytest

from litellm_codex.errors import StreamError
from litellm_codex.providers._base import _coalesce, _feed
from litellm_codex.sse import ServerSentEvent
from litellm_codex.translate.chat import ChatDelta, ChatFinish, ToolCallDelta

CALL = ToolCallDelta(0, id="c", name="f", arguments="{}")


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param([], [], id="empty"),
        pytest.param([ChatDelta(content="a")], [ChatDelta(content="a")], id="one"),
        pytest.param(
            [ChatDelta(content="a"), ChatDelta(content="b"), ChatDelta(content="c")],
            [ChatDelta(content="abc")],
            id="text",
        ),
        pytest.param(
            [
                ChatDelta(reasoning_content="x"),
                ChatDelta(reasoning_content="y"),
                ChatDelta(content="z"),
            ],
            [ChatDelta(reasoning_content="xy"), ChatDelta(content="z")],
            id="reasoning-then-text-keeps-order",
        ),
        pytest.param(
            [ChatDelta(content="a"), ChatDelta(tool_calls=(CALL,)), ChatDelta(content="b")],
            [ChatDelta(content="a"), ChatDelta(tool_calls=(CALL,)), ChatDelta(content="b")],
            id="tool-calls-never-merge",
        ),
        pytest.param(
            [ChatDelta(content="a"), ChatFinish("stop"), ChatDelta(content="b")],
            [ChatDelta(content="a"), ChatFinish("stop"), ChatDelta(content="b")],
            id="finish-is-a-boundary",
        ),
    ],
)
def test_coalesce(items: list[Any], expected: list[Any]) -> None:
    assert _coalesce(items) == expected


class _Translator:
    def feed(self, event: Any) -> list[Any]:
        if event.get("fail"):
            raise StreamError("failed in band", code="server_error")
        return [ChatDelta(content=event["t"])]

    def finish(self) -> list[Any]:
        return []


def test_feed_keeps_items_before_an_in_band_failure() -> None:
    events = [
        ServerSentEvent('{"t": "a"}'),
        ServerSentEvent("[DONE]"),
        ServerSentEvent('{"t": "b"}'),
        ServerSentEvent('{"fail": true}'),
        ServerSentEvent('{"t": "never"}'),
    ]
    items, error = _feed(_Translator(), events)
    assert items == [ChatDelta(content="ab")]
    assert isinstance(error, StreamError)


def test_feed_reports_malformed_json() -> None:
    items, error = _feed(_Translator(), [ServerSentEvent('{"t": "a"}'), ServerSentEvent("{oops")])
    assert items == [ChatDelta(content="a")]
    assert error is not None and "malformed" in error.message
