"""The shared LiteLLM handler: four ``CustomLLM`` entry points over one pipeline.

A provider subclass says *what* to send (:meth:`BaseProvider.build_call`, from a
:class:`CallContext` and the current :class:`~litellm_codex.auth.access.Access`) and which
credentials to use (:meth:`BaseProvider.credentials`). This base does everything else, the
same way for all four entry points:

1. get credentials (cached in memory by the credentials layer; no keyring on this path;
   the calling user's own in per-user mode, :meth:`BaseProvider.credentials_for`);
2. send, streaming the body, with: one refresh / re-exchange and retry after a 401;
   jittered backoff retries for 5xx and connection failures *before the first byte*
   (LiteLLM's Router does not retry async streams, see litellm-plugin-mechanics.md §2);
   a provider hook (:meth:`BaseProvider.on_error`) that may re-plan the call once (Copilot
   reroutes ``unsupported_api_for_model`` to ``/responses``);
3. decode SSE with :mod:`litellm_codex.sse`, translate upstream events to neutral
   :class:`~litellm_codex.translate.deltas.ChatDelta` items with the call's translator;
4. ``streaming``/``astreaming`` turn each delta into one ``ModelResponseStream`` and end with
   one ``GenericStreamingChunk`` dict that carries ``finish_reason`` and usage (the only
   shape whose usage LiteLLM keeps, litellm-plugin-mechanics.md §1.5);
   ``completion``/``acompletion`` feed the very same items to a ``ChatAccumulator``.

Every failure leaves through :func:`litellm_codex.errors.to_litellm`. The sync and async
halves mirror each other method by method: change one, change its twin.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import heapq
import itertools
import json
import logging
import socket
import threading
import time
import uuid
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Hashable,
    Iterator,
    Mapping,
)
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

import httpx
from litellm import CustomLLM
from litellm.types.utils import (
    ChatCompletionMessageToolCall,
    Delta,
    Function,
    Message,
    ModelResponse,
    ModelResponseStream,
    StreamingChoices,
)
from litellm.types.utils import Usage as LiteLLMUsage

from litellm_codex import settings
from litellm_codex._flow import (
    Deadline,
    GetAccess,
    Outcome,
    Plan,
    Policy,
    Reauthorize,
    Send,
    Sleep,
    call_flow,
)
from litellm_codex._tls import shared_ssl_context
from litellm_codex._trust import acheck_trusted, check_trusted, is_trusted, untrusted_error
from litellm_codex.auth._flight import sync_flight
from litellm_codex.auth.access import Access, CredentialSource
from litellm_codex.errors import (
    DeadlineExceeded,
    ResponseTooLarge,
    StreamError,
    UpstreamError,
    is_model_unavailable,
    to_litellm,
    upstream_error,
)
from litellm_codex.providers._proxy_headers import remember_stream_headers
from litellm_codex.sse import SSEDecoder
from litellm_codex.translate.deltas import ChatAccumulator, ChatDelta, ChatFinish, ChatResult
from litellm_codex.translate.responses_stream import decode_event
from litellm_codex.validate import validate_call

__all__ = ["BaseProvider", "CallContext", "StreamTranslator", "UpstreamCall"]

log = logging.getLogger("litellm_codex")

Item = ChatDelta | ChatFinish
T = TypeVar("T")


class StreamTranslator(Protocol):
    """Turns upstream stream events (parsed JSON) into neutral items."""

    def feed(self, event: Mapping[str, Any]) -> list[Item]: ...

    def finish(self) -> list[Item]: ...


@dataclass
class CallContext:
    """One LiteLLM call, as the handler received it."""

    model: str
    messages: list[dict[str, Any]]
    optional_params: dict[str, Any]
    headers: dict[str, str]
    api_base: str | None
    timeout: float | None
    stream: bool
    litellm_params: dict[str, Any] = field(default_factory=dict)
    model_response: ModelResponse | None = None
    #: The call's one deadline (``timeout``, else :data:`DEFAULT_TIMEOUT`), from its start.
    deadline: Deadline = field(default_factory=lambda: Deadline(DEFAULT_TIMEOUT))
    #: Names of parameters LiteLLM handed over in a shape we cannot use (see ``validate``).
    invalid: tuple[str, ...] = ()


@dataclass
class UpstreamCall:
    """What to send upstream and how to read the answer."""

    url: str
    body: dict[str, Any]
    headers: dict[str, str]
    #: Ask for (and read) an SSE stream; otherwise a JSON body read by ``parse_body``.
    stream: bool
    translator: Callable[[], StreamTranslator] | None = None
    parse_body: Callable[[Mapping[str, Any]], ChatResult] | None = None
    #: Parameters dropped because the backend rejects them (warned about once).
    dropped: tuple[str, ...] = ()
    #: Free-form provider data (e.g. the endpoint chosen), for ``on_error``.
    meta: dict[str, Any] = field(default_factory=dict)
    #: The encoded body to send instead of ``body`` as JSON (e.g. zstd-compressed; the
    #: provider sets the matching ``content-encoding`` header). ``body`` stays the truth.
    content: bytes | None = None
    method: str = "POST"
    params: dict[str, str] | None = None

    def payload(self) -> dict[str, Any]:
        """``httpx.build_request`` keyword for the body (none for a GET)."""
        if self.method != "POST":
            return {}
        return {"content": self.content} if self.content is not None else {"json": self.body}


class BaseProvider(CustomLLM):
    """Shared handler. Subclasses set :attr:`provider_name` and implement the hooks."""

    provider_name: ClassVar[str] = ""
    #: Response header prefixes passed on in ``_hidden_params["additional_headers"]``.
    exposed_header_prefixes: ClassVar[tuple[str, ...]] = (
        "x-ratelimit-",
        "retry-after",
        "x-request-id",
    )

    #: Environment variables that set the API base (named when they point elsewhere).
    api_base_settings: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._aclients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._warned: set[str] = set()
        self._announced = False

    # -- hooks for subclasses ---------------------------------------------------------

    def forget_models(self) -> None:
        """Forget the model lists this process holds, as a fresh process starts (see
        :func:`litellm_codex.providers.forget_model_lists`)."""

    def credentials(self) -> CredentialSource:
        """The credential source (created lazily: no I/O at import or registration)."""
        raise NotImplementedError

    def credentials_for(self, ctx: CallContext) -> CredentialSource:
        """The credentials of one call: with ``LITELLM_CODEX_CREDENTIALS=per-user``, the
        calling LiteLLM user's own login (:mod:`litellm_codex.auth.users`), else
        :meth:`credentials`."""
        from litellm_codex.auth.users import caller_credentials

        return caller_credentials(self.provider_name, ctx.litellm_params) or self.credentials()

    def build_call(self, ctx: CallContext, access: Access) -> UpstreamCall:
        """Plan the upstream request for ``ctx`` (pure apart from cached lookups)."""
        raise NotImplementedError

    async def abuild_call(self, ctx: CallContext, access: Access) -> UpstreamCall:
        """Async :meth:`build_call` (override when planning needs I/O, e.g. a model list)."""
        return self.build_call(ctx, access)

    def on_error(
        self, err: UpstreamError, ctx: CallContext, call: UpstreamCall
    ) -> UpstreamCall | None:
        """Return a new plan to retry once after ``err``, or ``None`` to fail with it."""
        return None

    def error_hint(self, err: UpstreamError, ctx: CallContext) -> str | None:
        """Extra text for the error message (e.g. the models that are available)."""
        return None

    # -- settings ---------------------------------------------------------------------

    # (from :mod:`litellm_codex.settings`: read once, not per request)

    @property
    def max_retries(self) -> int:
        """Retries of 5xx / connection failures before the first byte."""
        return settings.current().max_retries

    @property
    def retry_base_delay(self) -> float:
        """First backoff delay in seconds (doubles each retry, ±10% jitter)."""
        return settings.current().retry_base_delay

    @property
    def stream_idle_timeout(self) -> float:
        """Seconds without a byte after which a stream is ended with ``litellm.Timeout``."""
        return settings.current().stream_idle_timeout

    @property
    def max_event_bytes(self) -> int:
        """Largest SSE line / event buffered (``LITELLM_CODEX_MAX_EVENT_BYTES``)."""
        return settings.current().max_event_bytes

    @property
    def max_body_bytes(self) -> int:
        """Largest non-streamed body read (``LITELLM_CODEX_MAX_BODY_BYTES``)."""
        return settings.current().max_body_bytes

    def _policy(self) -> Policy:
        found = settings.current()
        return Policy(
            max_retries=found.max_retries,
            base_delay=found.retry_base_delay,
            # Test mode: no back-off (or retry-after) wait longer than a blink.
            max_delay=found.wait(Policy.max_delay),
        )

    def _timeout(self, deadline: Deadline) -> httpx.Timeout:
        # Each phase gets at most what is left of the call; a read also at most the idle
        # timeout (a stream may then run past the deadline, one read at a time).
        left = max(deadline.remaining(), 0.001)
        return httpx.Timeout(
            connect=min(left, 15.0),
            read=min(left, self.stream_idle_timeout),
            write=left,
            pool=left,
        )

    # -- clients ----------------------------------------------------------------------

    def _sync_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    verify=shared_ssl_context(),
                    limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                    follow_redirects=False,
                    event_hooks={"request": [check_trusted]},
                )
            return self._client

    def _async_client(self) -> httpx.AsyncClient:
        # One pool per event loop: an AsyncClient's connections belong to the loop that
        # opened them (tests and `asyncio.run` callers make many loops; the proxy one).
        loop = asyncio.get_running_loop()
        client = self._aclients.get(loop)
        if client is None:
            client = httpx.AsyncClient(
                verify=shared_ssl_context(),
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                follow_redirects=False,
                event_hooks={"request": [acheck_trusted]},
            )
            self._aclients[loop] = client
        return client

    def close(self) -> None:
        """Close the sync connection pool."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the async connection pool of the running event loop (and the sync one)."""
        client = self._aclients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
        self.close()

    # -- the four LiteLLM entry points --------------------------------------------------

    def completion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        ctx = self._context(kwargs, stream=False)
        try:
            self.validate(ctx)
            result, headers = self._run(ctx, self._receive_complete)
        except Exception as exc:
            raise self._convert(exc, ctx) from exc
        return self._model_response(ctx, result, headers)

    async def acompletion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        ctx = self._context(kwargs, stream=False)
        try:
            self.validate(ctx)
            result, headers = await self._arun(ctx, self._areceive_complete)
        except Exception as exc:
            raise self._convert(exc, ctx) from exc
        return self._model_response(ctx, result, headers)

    def streaming(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        # A plain function that opens the request eagerly, so connection, auth and HTTP
        # errors surface at call time, before the caller starts iterating.
        ctx = self._context(kwargs, stream=True)
        try:
            self.validate(ctx)
            response, head, items = self._run(ctx, self._receive_head)
        except Exception as exc:
            raise self._convert(exc, ctx) from exc
        remember_stream_headers(kwargs.get("logging_obj"), self._exposed_headers(response.headers))
        return self._stream_chunks(ctx, response, head, items)

    async def astreaming(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:  # type: ignore[override]
        # An async generator, although LiteLLM's signature says coroutine: LiteLLM iterates
        # the call without awaiting it. Opening and retrying happen before the first yield.
        ctx = self._context(kwargs, stream=True)
        try:
            self.validate(ctx)
            response, head, items = await self._arun(ctx, self._areceive_head)
        except Exception as exc:
            raise self._convert(exc, ctx) from exc
        remember_stream_headers(kwargs.get("logging_obj"), self._exposed_headers(response.headers))
        try:
            chunk_id = _chunk_id()
            first = True
            for item in head:
                out = self._chunk(ctx, item, chunk_id, first, response.headers)
                if out is not None:
                    first = False
                    yield out
            async for item in items:
                out = self._chunk(ctx, item, chunk_id, first, response.headers)
                if out is not None:
                    first = False
                    yield out
        except Exception as exc:
            raise self._convert(exc, ctx) from exc
        finally:
            await items.aclose()
            await response.aclose()

    def validate(self, ctx: CallContext) -> None:
        """Refuse bad input before any network I/O (raises ``ConfigurationError``)."""
        validate_call(ctx.messages, ctx.optional_params)

    # -- the driver: sync ---------------------------------------------------------------

    def _run(
        self,
        ctx: CallContext,
        receive: Callable[[httpx.Response, UpstreamCall, Deadline], Any],
        plan: Callable[[CallContext, Access], UpstreamCall] | None = None,
        client: httpx.Client | None = None,
    ) -> Any:
        """Perform :func:`~litellm_codex._flow.call_flow`'s actions, blocking (on
        ``client``, by default the provider's pool)."""
        plan = plan or self.build_call
        creds = self.credentials_for(ctx)
        flow = call_flow(self._policy(), ctx.deadline)
        result: Any = None
        try:
            while True:
                action = flow.send(result)
                if isinstance(action, Send):
                    result = self._send(action, receive, client)
                elif isinstance(action, GetAccess):
                    result = creds.peek() or _bounded(
                        (id(creds), "get"), creds.get, action.deadline, "getting credentials"
                    )
                elif isinstance(action, Reauthorize):
                    result = _bounded(
                        (id(creds), "401", action.stale.token),
                        functools.partial(creds.after_unauthorized, action.stale),
                        action.deadline,
                        "refreshing credentials after a 401",
                    )
                elif isinstance(action, Plan):
                    self._check_bases(ctx, action.access)
                    result = plan(ctx, action.access)
                elif isinstance(action, Sleep):
                    time.sleep(action.seconds)
                    result = None
                else:
                    result = self.on_error(action.error, ctx, action.call)
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    def _send(
        self,
        action: Send,
        receive: Callable[[httpx.Response, UpstreamCall, Deadline], Any],
        client: httpx.Client | None = None,
    ) -> Outcome:
        call: UpstreamCall = action.call
        deadline = action.deadline
        self._before_send(call, action.access)
        client = client or self._sync_client()
        request = self._request(client, call, action.access, deadline)
        try:
            response = client.send(request, stream=True)
        except httpx.TransportError as exc:
            return Outcome(error=exc)
        try:
            if _refused(response):
                body = self._read_body(response, deadline, _ERROR_BODY_LIMIT)
                return Outcome(error=_status_error(response, body))
            return Outcome(value=receive(response, call, deadline))
        except (UpstreamError, httpx.TransportError) as exc:
            response.close()
            return Outcome(error=exc)
        except BaseException:
            response.close()
            raise

    def _read_body(self, response: httpx.Response, deadline: Deadline, limit: int) -> bytes:
        """The whole body (then closed), within the deadline and ``limit`` bytes."""
        _check_length(response, limit)
        buf = bytearray()
        try:
            with _watchdog.guard(response, deadline):
                for chunk in response.iter_bytes():
                    buf += chunk
                    if len(buf) > limit:
                        raise ResponseTooLarge("a response body", limit, MAX_BODY_SETTING)
                    if deadline.expired():
                        raise deadline.exceeded("reading the response body")
        except httpx.TransportError as exc:
            raise _body_error(exc, deadline, self.stream_idle_timeout) from exc
        finally:
            response.close()
        return bytes(buf)

    def _receive_complete(
        self, response: httpx.Response, call: UpstreamCall, deadline: Deadline
    ) -> tuple[ChatResult, httpx.Headers]:
        if not call.stream:
            body = self._read_body(response, deadline, self.max_body_bytes)
            return self._parse_json(call, body), response.headers
        acc = ChatAccumulator()
        try:
            with _watchdog.guard(response, deadline):
                for item in self._items(response, self._translator(call), deadline):
                    acc.add(item)
        finally:
            response.close()
        return acc.result(), response.headers

    def _receive_head(
        self, response: httpx.Response, call: UpstreamCall, deadline: Deadline
    ) -> tuple[httpx.Response, list[Item], Generator[Item, None, None]]:
        """Read the stream up to the first real item, within the deadline.

        Failures before any content (a ``response.failed`` for a too-long prompt, a
        connection dropped early) then surface at call time as their own class, before
        LiteLLM wraps the stream, and connection-level ones are retried like a 5xx. The
        rest of the stream is bounded by the idle timeout only.
        """
        watch = _Until(deadline)
        items = self._items(response, self._translator(call), watch)
        head: list[Item] = []
        try:
            with _watchdog.guard(response, deadline):
                for item in items:
                    head.append(item)
                    if isinstance(item, ChatFinish) or not item.is_empty():
                        break
        except BaseException:
            items.close()
            raise
        watch.deadline = None
        return response, head, items

    def _items(
        self,
        response: httpx.Response,
        translator: StreamTranslator,
        deadline: Deadline | _Until | None,
    ) -> Generator[Item, None, None]:
        watch = deadline if isinstance(deadline, _Until) else _Until(deadline)
        decoder = SSEDecoder(max_event_bytes=self.max_event_bytes)
        try:
            for chunk in response.iter_bytes():
                items, error = _feed(translator, decoder, chunk)
                yield from items
                if error is not None:
                    raise error
                watch.check()
            items, error = _feed(translator, decoder, None)
            yield from items
            if error is not None:
                raise error
        except httpx.TransportError as exc:
            raise _body_error(exc, watch.deadline, self.stream_idle_timeout) from exc
        yield from translator.finish()

    def _stream_chunks(
        self, ctx: CallContext, response: httpx.Response, head: list[Item], items: Iterator[Item]
    ) -> Iterator[Any]:
        try:
            chunk_id = _chunk_id()
            first = True
            for item in itertools.chain(head, items):
                out = self._chunk(ctx, item, chunk_id, first, response.headers)
                if out is not None:
                    first = False
                    yield out
        except Exception as exc:
            raise self._convert(exc, ctx) from exc
        finally:
            response.close()

    def _open(
        self, ctx: CallContext, plan: Callable[[CallContext, Access], UpstreamCall] | None = None
    ) -> tuple[httpx.Response, UpstreamCall]:
        """Send with the full policy; return the open response (the caller reads it)."""
        result: tuple[httpx.Response, UpstreamCall] = self._run(
            ctx, lambda response, call, deadline: (response, call), plan
        )
        return result

    def _fetch(
        self,
        build: Callable[[Access], UpstreamCall],
        *,
        timeout: float | None,
        api_base: str | None,
        client: httpx.Client | None = None,
    ) -> tuple[int, httpx.Headers, bytes]:
        """A side request (``/models``) under the same policy and deadline as a call:
        ``(status, headers, body)`` of the first answer that is not an error."""
        ctx = CallContext(
            model="",
            messages=[],
            optional_params={},
            headers={},
            api_base=api_base,
            timeout=timeout,
            stream=False,
            deadline=Deadline(timeout or DEFAULT_SIDE_TIMEOUT),
        )

        def receive(
            response: httpx.Response, call: UpstreamCall, deadline: Deadline
        ) -> tuple[int, httpx.Headers, bytes]:
            body = self._read_body(response, deadline, self.max_body_bytes)
            return response.status_code, response.headers, body

        result: tuple[int, httpx.Headers, bytes] = self._run(
            ctx, receive, lambda _ctx, access: build(access), client=client
        )
        return result

    # -- the driver: async (mirror of the sync half) ----------------------------------

    async def _arun(
        self,
        ctx: CallContext,
        receive: Callable[[httpx.Response, UpstreamCall, Deadline], Awaitable[Any]],
        plan: Callable[[CallContext, Access], Awaitable[UpstreamCall]] | None = None,
    ) -> Any:
        """Perform :func:`~litellm_codex._flow.call_flow`'s actions, awaiting."""
        plan = plan or self.abuild_call
        creds = self.credentials_for(ctx)
        flow = call_flow(self._policy(), ctx.deadline)
        result: Any = None
        try:
            while True:
                action = flow.send(result)
                if isinstance(action, Send):
                    result = await self._asend(action, receive)
                elif isinstance(action, GetAccess):
                    result = creds.peek() or await _abounded(
                        creds.aget(), action.deadline, "getting credentials"
                    )
                elif isinstance(action, Reauthorize):
                    result = await _abounded(
                        creds.aafter_unauthorized(action.stale),
                        action.deadline,
                        "refreshing credentials after a 401",
                    )
                elif isinstance(action, Plan):
                    self._check_bases(ctx, action.access)
                    result = await plan(ctx, action.access)
                elif isinstance(action, Sleep):
                    await asyncio.sleep(action.seconds)
                    result = None
                else:
                    result = self.on_error(action.error, ctx, action.call)
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    async def _asend(
        self,
        action: Send,
        receive: Callable[[httpx.Response, UpstreamCall, Deadline], Awaitable[Any]],
    ) -> Outcome:
        call: UpstreamCall = action.call
        deadline = action.deadline
        self._before_send(call, action.access)
        client = self._async_client()
        request = self._request(client, call, action.access, deadline)
        try:
            response = await client.send(request, stream=True)
        except httpx.TransportError as exc:
            return Outcome(error=exc)
        try:
            if _refused(response):
                body = await self._aread_body(response, deadline, _ERROR_BODY_LIMIT)
                return Outcome(error=_status_error(response, body))
            try:
                value = await asyncio.wait_for(
                    receive(response, call, deadline), max(deadline.remaining(), 0.001)
                )
            except asyncio.TimeoutError:
                raise deadline.exceeded("reading the response") from None
            return Outcome(value=value)
        except (UpstreamError, httpx.TransportError) as exc:
            await response.aclose()
            return Outcome(error=exc)
        except BaseException:
            await response.aclose()
            raise

    async def _aread_body(self, response: httpx.Response, deadline: Deadline, limit: int) -> bytes:
        """Async :meth:`_read_body`."""
        _check_length(response, limit)
        buf = bytearray()

        async def read() -> None:
            async for chunk in response.aiter_bytes():
                buf.extend(chunk)
                if len(buf) > limit:
                    raise ResponseTooLarge("a response body", limit, MAX_BODY_SETTING)

        try:
            await asyncio.wait_for(read(), max(deadline.remaining(), 0.001))
        except asyncio.TimeoutError:
            raise deadline.exceeded("reading the response body") from None
        except httpx.TransportError as exc:
            raise _body_error(exc, deadline, self.stream_idle_timeout) from exc
        finally:
            await response.aclose()
        return bytes(buf)

    async def _areceive_complete(
        self, response: httpx.Response, call: UpstreamCall, deadline: Deadline
    ) -> tuple[ChatResult, httpx.Headers]:
        if not call.stream:
            body = await self._aread_body(response, deadline, self.max_body_bytes)
            return self._parse_json(call, body), response.headers
        acc = ChatAccumulator()
        items = self._aitems(response, self._translator(call), deadline)
        try:
            async for item in items:
                acc.add(item)
        finally:
            await items.aclose()
            await response.aclose()
        return acc.result(), response.headers

    async def _areceive_head(
        self, response: httpx.Response, call: UpstreamCall, deadline: Deadline
    ) -> tuple[httpx.Response, list[Item], AsyncGenerator[Item, None]]:
        """Async :meth:`_receive_head` (the caller bounds it with the deadline)."""
        watch = _Until(deadline)
        items = self._aitems(response, self._translator(call), watch)
        head: list[Item] = []
        try:
            async for item in items:
                head.append(item)
                if isinstance(item, ChatFinish) or not item.is_empty():
                    break
        except BaseException:
            await items.aclose()
            raise
        watch.deadline = None
        return response, head, items

    async def _aitems(
        self,
        response: httpx.Response,
        translator: StreamTranslator,
        deadline: Deadline | _Until | None,
    ) -> AsyncGenerator[Item, None]:
        watch = deadline if isinstance(deadline, _Until) else _Until(deadline)
        decoder = SSEDecoder(max_event_bytes=self.max_event_bytes)
        try:
            async for chunk in response.aiter_bytes():
                items, error = _feed(translator, decoder, chunk)
                for item in items:
                    yield item
                if error is not None:
                    raise error
                watch.check()
            items, error = _feed(translator, decoder, None)
            for item in items:
                yield item
            if error is not None:
                raise error
        except httpx.TransportError as exc:
            raise _body_error(exc, watch.deadline, self.stream_idle_timeout) from exc
        for item in translator.finish():
            yield item

    async def _aopen(
        self,
        ctx: CallContext,
        plan: Callable[[CallContext, Access], Awaitable[UpstreamCall]] | None = None,
    ) -> tuple[httpx.Response, UpstreamCall]:
        """Async :meth:`_open`."""

        async def keep(
            response: httpx.Response, call: UpstreamCall, deadline: Deadline
        ) -> tuple[httpx.Response, UpstreamCall]:
            return response, call

        result: tuple[httpx.Response, UpstreamCall] = await self._arun(ctx, keep, plan)
        return result

    # -- shared helpers ---------------------------------------------------------------

    def _context(self, kwargs: Mapping[str, Any], *, stream: bool) -> CallContext:
        # Never raises: what cannot be used is recorded in `invalid` and refused by
        # `validate`, inside the entry point's error conversion.
        invalid: list[str] = []
        timeout = _timeout_seconds(kwargs.get("timeout"))
        if timeout is False:
            invalid.append("timeout")
            timeout = None
        messages = kwargs.get("messages")
        if messages is not None and not isinstance(messages, list):
            invalid.append("messages")
            messages = None
        optional = kwargs.get("optional_params")
        headers = kwargs.get("headers")
        if headers is not None and not isinstance(headers, Mapping):
            invalid.append("headers")
            headers = None
        api_base = kwargs.get("api_base") or None
        if api_base is not None and not isinstance(api_base, str):
            invalid.append("api_base")
            api_base = None
        return CallContext(
            model=str(kwargs.get("model", "")),
            messages=list(messages or []),
            optional_params=dict(optional) if isinstance(optional, Mapping) else {},
            headers={str(k): str(v) for k, v in (headers or {}).items()},
            api_base=api_base,
            timeout=timeout,
            stream=stream,
            litellm_params=dict(kwargs.get("litellm_params") or {}),
            model_response=kwargs.get("model_response"),
            deadline=Deadline(timeout or DEFAULT_TIMEOUT),
            invalid=tuple(invalid),
        )

    def _check_bases(self, ctx: CallContext, access: Access) -> None:
        """Name the setting that points credentials at an untrusted host (the request hook
        of the clients refuses such a request anyway)."""
        if ctx.api_base and not is_trusted(ctx.api_base):
            raise untrusted_error(ctx.api_base, "the `api_base` parameter")
        found = settings.current()
        for name in self.api_base_settings:
            value = found.url_setting(name)
            if value and not is_trusted(value):
                raise untrusted_error(value, f"the environment variable {name}")
        if access.api_base and not is_trusted(access.api_base):
            raise untrusted_error(
                access.api_base, f"the {self.provider_name} token's `endpoints.api`"
            )

    def _request(
        self,
        client: httpx.Client | httpx.AsyncClient,
        call: UpstreamCall,
        access: Access,
        deadline: Deadline,
    ) -> httpx.Request:
        return client.build_request(
            call.method,
            call.url,
            **call.payload(),
            params=call.params,
            headers={**call.headers, **access.headers},
            timeout=self._timeout(deadline),
        )

    def _before_send(self, call: UpstreamCall, access: Access) -> None:
        for name in call.dropped:
            if name not in self._warned:
                self._warned.add(name)
                log.warning(
                    "litellm-codex: %s does not accept `%s`; it is dropped (warned once)",
                    self.provider_name,
                    name,
                )
        if not self._announced:
            self._announced = True
            log.info(
                "litellm-codex: %s requests go to %s (account %s)",
                self.provider_name,
                call.url,
                access.label or "unknown",
            )

    def _translator(self, call: UpstreamCall) -> StreamTranslator:
        if call.translator is None:
            raise RuntimeError(f"{self.provider_name}: streamed call without a translator")
        return call.translator()

    def _parse_json(self, call: UpstreamCall, body: bytes) -> ChatResult:
        if call.parse_body is None:
            raise RuntimeError(f"{self.provider_name}: non-streamed call without a parser")
        try:
            data = _event_json(body.decode("utf-8", "replace"))
        except StreamError as exc:
            raise UpstreamError(f"upstream sent a body that is not JSON: {exc.message}") from exc
        if not isinstance(data, Mapping):
            raise UpstreamError(f"upstream sent a body that is not a JSON object: {body[:80]!r}")
        return call.parse_body(data)

    def _convert(self, exc: BaseException, ctx: CallContext) -> Exception:
        from litellm_codex.auth.users import caller_user_id, per_user

        # A hint (e.g. the models available) only when the error is about the model.
        hint = (
            self.error_hint(exc, ctx)
            if isinstance(exc, UpstreamError) and is_model_unavailable(exc)
            else None
        )
        try:
            caller = per_user() and caller_user_id(ctx.litellm_params) is not None
        except Exception:  # a bad LITELLM_CODEX_CREDENTIALS is reported elsewhere
            caller = False
        return to_litellm(
            exc, provider=self.provider_name, model=ctx.model, hint=hint, caller=caller
        )

    def _exposed_headers(self, headers: httpx.Headers) -> dict[str, str]:
        return {
            k: v for k, v in headers.items() if k.lower().startswith(self.exposed_header_prefixes)
        }

    def _chunk(
        self,
        ctx: CallContext,
        item: Item,
        chunk_id: str,
        first: bool,
        headers: httpx.Headers,
    ) -> Any:
        if isinstance(item, ChatFinish):
            # Usage rides on a final GenericStreamingChunk dict: on a ModelResponseStream
            # without content LiteLLM replaces it with a tokenizer estimate.
            return {
                "text": "",
                "tool_use": None,
                "is_finished": True,
                "finish_reason": item.finish_reason,
                "index": 0,
                "usage": item.usage.to_openai() if item.usage is not None else None,
            }
        if item.is_empty():
            return None
        delta: dict[str, Any] = {}
        if first:
            delta["role"] = "assistant"
        if item.content:
            delta["content"] = item.content
        if item.reasoning_content:
            delta["reasoning_content"] = item.reasoning_content
        if item.thinking_blocks:
            delta["thinking_blocks"] = [dict(b) for b in item.thinking_blocks]
        if item.provider_fields:
            delta["provider_specific_fields"] = dict(item.provider_fields)
        if item.tool_calls:
            delta["tool_calls"] = [
                {
                    "index": part.index,
                    "id": part.id,
                    "type": "function",
                    "function": {"name": part.name, "arguments": part.arguments},
                }
                for part in item.tool_calls
            ]
        chunk = ModelResponseStream(
            id=chunk_id,
            model=ctx.model,
            choices=[StreamingChoices(index=0, delta=Delta(**delta))],
        )
        if first:
            chunk._hidden_params["additional_headers"] = self._exposed_headers(headers)
        return chunk

    def _model_response(
        self, ctx: CallContext, result: ChatResult, headers: httpx.Headers
    ) -> ModelResponse:
        response = ctx.model_response if ctx.model_response is not None else ModelResponse()
        response.id = _chunk_id()
        response.model = ctx.model
        response.created = int(time.time())
        tool_calls = [
            ChatCompletionMessageToolCall(
                id=call.id,
                type="function",
                function=Function(name=call.name, arguments=call.arguments),
            )
            for call in result.tool_calls
        ]
        # LiteLLM types these as its TypedDicts; ours are plain dicts of the same shape.
        thinking: Any = [dict(b) for b in result.thinking_blocks] or None
        message = Message(
            content=result.content,
            role="assistant",
            tool_calls=tool_calls or None,
            reasoning_content=result.reasoning_content,
            thinking_blocks=thinking,
            provider_specific_fields=result.provider_fields or None,
        )
        choice: Any = response.choices[0]
        choice.message = message
        choice.finish_reason = result.finish_reason
        if result.usage is not None:
            setattr(response, "usage", LiteLLMUsage(**result.usage.to_openai()))  # noqa: B010
        response._hidden_params["additional_headers"] = self._exposed_headers(headers)
        return response


# -- deadline plumbing ---------------------------------------------------------------------

#: Default deadline when LiteLLM passes no ``timeout`` (LiteLLM's own default is 600 s).
DEFAULT_TIMEOUT = 600.0
#: Deadline of a side request (``/models``) when the caller gives none.
DEFAULT_SIDE_TIMEOUT = 30.0
#: Largest non-streamed body read (JSON answers, embeddings): :mod:`litellm_codex.settings`.
MAX_BODY_SETTING = "LITELLM_CODEX_MAX_BODY_BYTES"
#: Error bodies are only read for their message.
_ERROR_BODY_LIMIT = 1024 * 1024


class _Until:
    """A deadline that applies while it is set (the head of a stream), then no longer."""

    __slots__ = ("deadline",)

    def __init__(self, deadline: Deadline | None) -> None:
        self.deadline = deadline

    def check(self) -> None:
        if self.deadline is not None and self.deadline.expired():
            raise self.deadline.exceeded("reading the response")


def _body_error(
    exc: httpx.TransportError, deadline: Deadline | None, idle: float
) -> UpstreamError | DeadlineExceeded:
    """What a transport failure while reading a body means."""
    if deadline is not None and deadline.expired():
        return deadline.exceeded("reading the response")
    if isinstance(exc, httpx.TimeoutException):
        return StreamError(f"stream stalled: no data for {idle:g}s", timed_out=True)
    # Dropped mid-body: retryable (StreamError without status or code).
    return StreamError(f"connection dropped mid-response: {type(exc).__name__}")


def _refused(response: httpx.Response) -> bool:
    """An error status, or a redirect (never followed). ``304 Not Modified``, the answer
    to an ETag revalidation, is neither (httpx counts it among the redirects)."""
    if response.status_code == 304:
        return False
    return response.is_error or response.is_redirect


def _status_error(response: httpx.Response, body: bytes) -> UpstreamError:
    if response.is_redirect:
        # Redirects are never followed: credentials must not travel to another host.
        target = httpx.URL(response.headers.get("location", ""))
        return UpstreamError(
            f"upstream redirected to {target.scheme}://{target.host or '?'}; not followed "
            "(credentials never go to another host; check the API base)",
            status=response.status_code,
        )
    return upstream_error(response.status_code, response.headers, body)


def _check_length(response: httpx.Response, limit: int) -> None:
    length = response.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        response.close()
        raise ResponseTooLarge("a response body", limit, MAX_BODY_SETTING)


class _Watchdog:
    """Shuts a socket down when its deadline passes, so a blocking read returns.

    httpx's sync client cannot be cancelled and its read timeout applies per read, so a
    body trickling one byte a second would never time out. One daemon thread keeps the
    armed deadlines in a heap; a call disarms its entry when its read is over.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[list[Any]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def guard(self, response: httpx.Response, deadline: Deadline) -> Iterator[None]:
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:
            yield
            return
        entry: list[Any] = [deadline.at, next(self._seq), sock, False]  # ..., fired
        with self._cond:
            heapq.heappush(self._heap, entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="litellm-codex-deadlines", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        try:
            yield
        except Exception as exc:
            if entry[3] and not isinstance(exc, DeadlineExceeded):
                # Whatever the shut-down socket made the read raise, it is the deadline.
                raise deadline.exceeded("reading the response") from exc
            raise
        finally:
            with self._cond:
                entry[2] = None  # disarmed; popped lazily

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2] is None:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                entry = heapq.heappop(self._heap)
                entry[3] = True
                with contextlib.suppress(OSError, ValueError):
                    # socket.socket's own shutdown, also for an SSLSocket (whose override
                    # would drop its SSL object under the reading thread): the read then
                    # sees end of file.
                    socket.socket.shutdown(entry[2], socket.SHUT_RDWR)


_watchdog = _Watchdog()


def _bounded(key: Hashable, fn: Callable[[], T], deadline: Deadline, stage: str) -> T:
    """Run ``fn`` (a credentials step that may wait on locks and the network) and wait for
    it at most until the deadline. The step runs in a daemon worker, shared by concurrent
    callers with the same ``key``, and runs on when they stop waiting: a refresh that has
    spent its refresh token must still store the new one, for the next call."""
    future = sync_flight.submit(key, fn)
    try:
        return future.result(timeout=max(deadline.remaining(), 0.001))
    except concurrent.futures.TimeoutError:
        raise deadline.exceeded(stage) from None


async def _abounded(step: Awaitable[T], deadline: Deadline, stage: str) -> T:
    """Async :func:`_bounded` (the credential managers shield the shared run)."""
    try:
        return await asyncio.wait_for(step, max(deadline.remaining(), 0.001))
    except asyncio.TimeoutError:
        raise deadline.exceeded(stage) from None


def _feed(
    translator: StreamTranslator, decoder: SSEDecoder, chunk: bytes | None
) -> tuple[list[Item], StreamError | None]:
    """Decode one network read (``None``: the end of the stream) and translate its events;
    return the items (coalesced) and the error that ended them, if any, so items before
    an in-stream failure still go out.

    The one event path of production and tests: SSE decoding (bounded, see
    :mod:`litellm_codex.sse`), :func:`~litellm_codex.translate.responses_stream.decode_event`, the
    translator. Whatever the upstream sends, the error is a :class:`StreamError`.
    """
    batch: list[Item] = []
    try:
        events = decoder.feed(chunk) if chunk is not None else decoder.finish()
        for event in events:
            payload = decode_event(event)
            if payload is not None:
                batch.extend(_translate(translator, payload))
    except StreamError as exc:
        return _coalesce(batch), exc
    return _coalesce(batch), None


def _translate(translator: StreamTranslator, payload: Mapping[str, Any]) -> list[Item]:
    try:
        return translator.feed(payload)
    except StreamError:
        raise
    except (TypeError, AttributeError, KeyError, ValueError, IndexError) as exc:
        # A JSON object of the wrong shape (a field of the wrong type...): the same
        # documented stream error as a frame that is not JSON at all.
        raise StreamError(
            f"malformed stream event ({type(exc).__name__}): {json.dumps(payload)[:200]}"
        ) from exc


def _coalesce(items: list[Item]) -> list[Item]:
    """Merge adjacent text-only (or reasoning-only) deltas that arrived in one read.

    LiteLLM spends 0.2-0.35 ms on every chunk it passes on (benchmarks/README.md), so
    one chunk per network read instead of one per upstream event is measurably cheaper,
    and nothing is delayed: these items were all available at the same moment.
    """
    if len(items) < 2:
        return items
    out: list[Item] = []
    for item in items:
        last = out[-1] if out else None
        if (
            isinstance(item, ChatDelta)
            and isinstance(last, ChatDelta)
            and not item.tool_calls
            and not last.tool_calls
            # Thinking fragments and provider fields go out as they came.
            and not (item.thinking_blocks or last.thinking_blocks)
            and not (item.provider_fields or last.provider_fields)
        ):
            if item.reasoning_content is None and last.reasoning_content is None:
                out[-1] = ChatDelta(content=(last.content or "") + (item.content or ""))
                continue
            if item.content is None and last.content is None:
                out[-1] = ChatDelta(
                    reasoning_content=(last.reasoning_content or "")
                    + (item.reasoning_content or "")
                )
                continue
        out.append(item)
    return out


def _timeout_seconds(value: Any) -> float | bool | None:
    """LiteLLM's ``timeout`` as seconds; ``None`` when unset, ``False`` when unusable."""
    if value is None:
        return None
    if isinstance(value, httpx.Timeout):
        value = value.read or value.connect
        if value is None:
            return None
    if isinstance(value, bool):
        return False
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return False
    if seconds != seconds or seconds < 0:  # NaN or negative
        return False
    return seconds or None


def _chunk_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def _event_json(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise StreamError(f"malformed event from upstream: {data[:80]!r}") from exc
