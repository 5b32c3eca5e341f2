"""A pure, incremental Server-Sent Events decoder (WHATWG HTML, "Parsing an event stream").

:class:`SSEDecoder` never sees a socket: feed it bytes as they arrive and it returns the
complete events; :meth:`SSEDecoder.finish` flushes what is left when the stream ends.
:func:`iter_sse` / :func:`aiter_sse` are thin wrappers over byte iterators.

Spec points handled (https://html.spec.whatwg.org/multipage/server-sent-events.html):

- Lines end in ``\\r\\n``, ``\\n`` or a lone ``\\r``; a ``\\r\\n`` split across two chunks
  is one line ending (we remember a trailing ``\\r``).
- Lines are split as bytes and decoded one at a time: CR and LF never occur inside a UTF-8
  multi-byte sequence, so a character split across chunks cannot break decoding.
- A UTF-8 BOM at the very start is ignored.
- ``:comment`` lines are ignored; ``field:value`` drops one leading space of the value;
  a line without a colon is a field with an empty value.
- ``data`` lines accumulate joined by ``\\n``; an event is dispatched at a blank line, and
  only if it has data (an ``event:`` line alone dispatches nothing).
- ``id`` containing NUL is ignored; ``retry`` must be all digits.
- At end of stream an unterminated event is dropped by the spec; :meth:`finish` with
  ``flush_partial=True`` (the default here) dispatches it anyway, because some upstreams
  close the connection right after the last ``data:`` line without the blank line.

Memory is bounded: one line, and one event's accumulated ``data``, may hold at most
``max_event_bytes`` (default :data:`DEFAULT_MAX_EVENT_BYTES`, 32 MiB; the provider reads
``LITELLM_CODEX_MAX_EVENT_BYTES``). Past it :meth:`SSEDecoder.feed` raises
:class:`~litellm_codex.errors.ResponseTooLarge` at once, without buffering the rest.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from litellm_codex.errors import ResponseTooLarge
from litellm_codex.settings import DEFAULT_MAX_EVENT_BYTES

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEDecoder", "ServerSentEvent", "aiter_sse", "iter_sse"]

# Largest SSE line or event we buffer (DEFAULT_MAX_EVENT_BYTES, from litellm_codex.settings).
# Codex's largest events carry whole output items (an image generation result is a few MB
# of base64); 32 MiB leaves room for those.
#: The environment variable named in the error (read by the provider layer, not here).
MAX_EVENT_SETTING = "LITELLM_CODEX_MAX_EVENT_BYTES"


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        """The data parsed as JSON (raises ``ValueError`` when it is not JSON)."""
        return json.loads(self.data)


class SSEDecoder:
    """Incremental decoder: ``feed(bytes) -> list[ServerSentEvent]`` and ``finish()``."""

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._max = max_event_bytes
        self._size = 0  # bytes of data accumulated in the current event
        self._buffer = bytearray()
        self._pending_cr = False  # last chunk ended in \r: a following \n belongs to it
        self._started = False
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode ``chunk``; return the events it completed."""
        if not chunk:
            return []
        events: list[ServerSentEvent] = []
        start = 0
        if self._pending_cr:
            self._pending_cr = False
            if chunk[:1] == b"\n":
                start = 1
        buf = self._buffer
        n = len(chunk)
        i = start
        while i < n:
            # Find the next CR or LF from i.
            lf = chunk.find(b"\n", i)
            cr = chunk.find(b"\r", i, lf if lf != -1 else n)
            end = cr if cr != -1 else lf
            if end == -1:
                if len(buf) + n - i > self._max:
                    self._too_large("a line")
                buf += chunk[i:]
                break
            if len(buf) + end - i > self._max:
                self._too_large("a line")
            buf += chunk[i:end]
            line = bytes(buf)
            buf.clear()
            event = self._line(line)
            if event is not None:
                events.append(event)
            if chunk[end : end + 1] == b"\r":
                if end + 1 == n:
                    self._pending_cr = True
                    i = n
                    break
                i = end + 2 if chunk[end + 1 : end + 2] == b"\n" else end + 1
            else:
                i = end + 1
        return events

    def finish(self, *, flush_partial: bool = True) -> list[ServerSentEvent]:
        """End of stream: decode a last unterminated line and, if asked, dispatch a last
        event that lacked its blank line."""
        events: list[ServerSentEvent] = []
        if self._buffer:
            line = bytes(self._buffer)
            self._buffer.clear()
            event = self._line(line)
            if event is not None:
                events.append(event)
        if flush_partial:
            event = self._dispatch()
            if event is not None:
                events.append(event)
        else:
            self._reset()
        return events

    # -- internals ------------------------------------------------------------------

    def _line(self, raw: bytes) -> ServerSentEvent | None:
        if not self._started:
            self._started = True
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
        if not raw:
            return self._dispatch()
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            return None
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._size += len(value) + 1
            if self._size > self._max:
                self._too_large("an event")
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self._id = value
        elif field == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if self._id is not None:
            self._last_id = self._id
        if not self._data:
            self._reset()
            return None
        event = ServerSentEvent(
            data="\n".join(self._data),
            event=self._event or "message",
            id=self._last_id,
            retry=self._retry,
        )
        self._reset()
        return event

    def _too_large(self, what: str) -> None:
        self._buffer.clear()
        self._reset()
        raise ResponseTooLarge(f"{what} in its event stream", self._max, MAX_EVENT_SETTING)

    def _reset(self) -> None:
        self._size = 0
        self._data = []
        self._event = ""
        self._id = None
        self._retry = None


def iter_sse(chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """Decode a byte iterator (e.g. ``response.iter_bytes()``) into events."""
    decoder = SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.finish()


async def aiter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[ServerSentEvent]:
    """Decode an async byte iterator (e.g. ``response.aiter_bytes()``) into events."""
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.finish():
        yield event
