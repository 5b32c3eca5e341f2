"""The pure SSE decoder: framing rules, and identical results however the bytes are split."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import pytest

from litellm_codex.sse import ServerSentEvent, SSEDecoder, aiter_sse, iter_sse

STREAM = (
    b": keep-alive comment\n"
    b"event: response.created\n"
    b'data: {"type":"response.created"}\n'
    b"\n"
    b"id: 7\n"
    b"retry: 1500\n"
    b"data: first line\n"
    b"data:second line\n"
    b"\n"
    b'data: {"text":"caf\xc3\xa9 \xe2\x98\x95"}\n'
    b"\n"
    b"event: only-event-no-data\n"
    b"\n"
    b"data: [DONE]\n"
    b"\n"
)
EXPECTED = [
    ServerSentEvent(data='{"type":"response.created"}', event="response.created"),
    ServerSentEvent(data="first line\nsecond line", id="7", retry=1500),
    ServerSentEvent(data='{"text":"café ☕"}', id="7"),
    ServerSentEvent(data="[DONE]", id="7"),
]


def decode(chunks: Iterable[bytes]) -> list[ServerSentEvent]:
    return list(iter_sse(chunks))


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_line_endings(newline: bytes) -> None:
    assert decode([STREAM.replace(b"\n", newline)]) == EXPECTED


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_split_at_every_byte_gives_the_same_events(newline: bytes) -> None:
    data = STREAM.replace(b"\n", newline)
    for cut in range(1, len(data)):
        assert decode([data[:cut], data[cut:]]) == EXPECTED, f"split at {cut}"


def test_one_byte_at_a_time() -> None:
    data = STREAM.replace(b"\n", b"\r\n")
    assert decode([data[i : i + 1] for i in range(len(data))]) == EXPECTED


def test_crlf_split_across_chunks_is_one_line_ending() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    # The \n completing the \r\n must not count as a blank line (that would dispatch).
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"data: b\r") == []
    assert decoder.feed(b"\r") == [ServerSentEvent(data="a\nb")]


def test_bom_only_at_start_and_field_without_colon() -> None:
    events = decode([b"\xef\xbb\xbfdata: x\n\ndata\n\n"])
    assert events == [ServerSentEvent(data="x"), ServerSentEvent(data="")]


def test_value_keeps_all_but_one_leading_space_and_unknown_fields_are_ignored() -> None:
    events = decode([b"data:  two spaces\nfoo: bar\n\n"])
    assert events == [ServerSentEvent(data=" two spaces")]


def test_id_with_nul_and_bad_retry_are_ignored() -> None:
    events = decode([b"id: a\x00b\nretry: 12x\ndata: d\n\n"])
    assert events == [ServerSentEvent(data="d")]


def test_finish_flushes_unterminated_event_by_default() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"last":1}') == []
    assert decoder.finish() == [ServerSentEvent(data='{"last":1}')]


def test_finish_without_flush_drops_unterminated_event_as_the_spec_says() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: partial\n")
    assert decoder.finish(flush_partial=False) == []
    # The decoder starts clean afterwards.
    assert decoder.feed(b"data: next\n\n") == [ServerSentEvent(data="next")]


def test_empty_chunks_are_harmless() -> None:
    assert decode([b"", b"data: x\n", b"", b"\n", b""]) == [ServerSentEvent(data="x")]


def test_json_helper() -> None:
    assert ServerSentEvent(data='{"a": [1]}').json() == {"a": [1]}
    with pytest.raises(ValueError, match="Expecting"):
        ServerSentEvent(data="{nope").json()


async def test_async_wrapper_matches_sync() -> None:
    data = STREAM.replace(b"\n", b"\r\n")

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 3):
            yield data[i : i + 3]

    assert [e async for e in aiter_sse(chunks())] == EXPECTED


# -- bounded memory (issue #13) ------------------------------------------------------------


def test_a_line_longer_than_the_limit_is_refused_without_buffering_it() -> None:
    from litellm_codex.errors import ResponseTooLarge

    decoder = SSEDecoder(max_event_bytes=1024)
    decoder.feed(b"data: " + b"x" * 1000)
    with pytest.raises(ResponseTooLarge, match="LITELLM_CODEX_MAX_EVENT_BYTES"):
        decoder.feed(b"x" * 100)
    assert len(decoder._buffer) == 0


def test_an_event_of_many_lines_is_limited_too() -> None:
    from litellm_codex.errors import ResponseTooLarge

    decoder = SSEDecoder(max_event_bytes=1024)
    with pytest.raises(ResponseTooLarge):
        decoder.feed(b"data: " + b"y" * 500 + b"\n" + b"data: " + b"y" * 600 + b"\n")


def test_events_under_the_limit_pass_one_after_another() -> None:
    decoder = SSEDecoder(max_event_bytes=1024)
    for _ in range(10):
        assert [e.data for e in decoder.feed(b"data: " + b"z" * 900 + b"\n\n")] == ["z" * 900]
