"""Merging the deltas of one network read (providers._base._coalesce / _feed)."""

from __future__ import annotations

from typing import Any

import pytest

from litellm_codex.errors import StreamError
from litellm_codex.providers._base import _coalesce, _feed
from litellm_codex.sse import SSEDecoder
from litellm_codex.translate.deltas import ChatDelta, ChatFinish, ToolCallDelta

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
        return [ChatDelta(content=event["t"] + "")]  # TypeError for a non-string

    def finish(self) -> list[Any]:
        return []


def _frames(*data: str) -> bytes:
    return b"".join(f"data: {d}\n\n".encode() for d in data)


def test_feed_keeps_items_before_an_in_band_failure() -> None:
    chunk = _frames('{"t": "a"}', "[DONE]", '{"t": "b"}', '{"fail": true}', '{"t": "never"}')
    items, error = _feed(_Translator(), SSEDecoder(), chunk)
    assert items == [ChatDelta(content="ab")]
    assert isinstance(error, StreamError)


def test_feed_reports_malformed_json() -> None:
    items, error = _feed(_Translator(), SSEDecoder(), _frames('{"t": "a"}', "{oops"))
    assert items == [ChatDelta(content="a")]
    assert error is not None and "malformed" in error.message


@pytest.mark.parametrize(
    "data",
    ["[1,2]", '"text"', "42", "null", '{"t": 5}', '{"u": 1}'],
    ids=["list", "string", "number", "null", "wrong-field-type", "missing-field"],
)
def test_feed_turns_every_malformed_shape_into_a_stream_error(data: str) -> None:
    # Before: `data: [1,2]` reached the translator and left as AttributeError.
    items, error = _feed(_Translator(), SSEDecoder(), _frames('{"t": "a"}', data))
    assert items == [ChatDelta(content="a")]
    assert isinstance(error, StreamError) and "malformed" in error.message


def test_feed_at_end_of_stream_flushes_the_last_event() -> None:
    decoder = SSEDecoder()
    assert _feed(_Translator(), decoder, b'data: {"t": "z"}') == ([], None)
    assert _feed(_Translator(), decoder, None) == ([ChatDelta(content="z")], None)
