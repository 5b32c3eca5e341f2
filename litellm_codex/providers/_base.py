"""The shared LiteLLM handler: four ``CustomLLM`` entry points over one pipeline.

A provider subclass says *what* to send (:meth:`BaseProvider.build_call`, from a
:class:`CallContext` and the current :class:`~litellm_codex.auth._types.Access`) and which
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
   :class:`~litellm_codex.translate.chat.ChatDelta` items with the call's translator;
4. ``streaming``/``astreaming`` turn each delta into one ``ModelResponseStream`` and end with
   one ``GenericStreamingChunk`` dict that carries ``finish_reason`` and usage (the only
   shape whose usage LiteLLM keeps, litellm-plugin-mechanics.md §1.5);
   ``completion``/``acompletion`` feed the very same items to a ``ChatAccumulator``.

Every failure leaves through :func:`litellm_codex.errors.to_litellm`. The sync and async
halves mirror each other method by method: change one, change its twin.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import os
import random
import ssl
import threading
import time
import uuid
import weakref
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
)
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

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

from litellm_codex.auth._types import Access, CredentialSource
from litellm_codex.errors import StreamError, UpstreamError, to_litellm, upstream_error
from litellm_codex.providers._proxy_headers import remember_stream_headers
from litellm_codex.sse import ServerSentEvent, SSEDecoder
from litellm_codex.translate.chat import ChatAccumulator, ChatDelta, ChatFinish, ChatResult

__all__ = ["BaseProvider", "CallContext", "StreamTranslator", "UpstreamCall"]

log = logging.getLogger("litellm_codex")

Item = ChatDelta | ChatFinish


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

    def payload(self) -> dict[str, Any]:
        """``httpx.build_request`` keyword for the body."""
        return {"content": self.content} if self.content is not None else {"json": self.body}


@functools.lru_cache(maxsize=4)
def _ssl_context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    # httpx reads SSL_CERT_FILE / SSL_CERT_DIR itself; the arguments key the cache.
    return httpx.create_ssl_context()


def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process (per CA setting).

    Building one costs 20-30 ms (loading the CA bundle); without sharing, every new
    client (one per event loop, e.g. each `asyncio.run`) would pay it again.
    """
    return _ssl_context(
        os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None
    )


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class BaseProvider(CustomLLM):
    """Shared handler. Subclasses set :attr:`provider_name` and implement the hooks."""

    provider_name: ClassVar[str] = ""
    #: Response header prefixes passed on in ``_hidden_params["additional_headers"]``.
    exposed_header_prefixes: ClassVar[tuple[str, ...]] = (
        "x-ratelimit-",
        "retry-after",
        "x-request-id",
    )

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

    @property
    def max_retries(self) -> int:
        """Retries of 5xx / connection failures before the first byte."""
        return int(_env_float("LITELLM_CODEX_MAX_RETRIES", 2))

    @property
    def retry_base_delay(self) -> float:
        """First backoff delay in seconds (doubles each retry, ±10% jitter)."""
        return _env_float("LITELLM_CODEX_RETRY_BASE_DELAY", 0.25)

    @property
    def stream_idle_timeout(self) -> float:
        """Seconds without a byte after which a stream is ended with ``litellm.Timeout``."""
        return _env_float("LITELLM_CODEX_STREAM_IDLE_TIMEOUT", 300.0)

    def _timeout(self, ctx: CallContext) -> httpx.Timeout:
        total = ctx.timeout if ctx.timeout and ctx.timeout > 0 else 600.0
        return httpx.Timeout(
            connect=min(total, 15.0),
            read=min(total, self.stream_idle_timeout),
            write=total,
            pool=total,
        )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, 30.0)
        jitter = random.uniform(0.9, 1.1)  # noqa: S311  (jitter, not security)
        return float(self.retry_base_delay * (2**attempt) * jitter)

    # -- clients ----------------------------------------------------------------------

    def _sync_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    verify=shared_ssl_context(),
                    limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                    follow_redirects=False,
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
            result, headers = self._complete(ctx)
        except Exception as exc:
            raise self._convert(exc, ctx) from exc
        return self._model_response(ctx, result, headers)

    async def acompletion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        ctx = self._context(kwargs, stream=False)
        try:
            result, headers = await self._acomplete(ctx)
        except Exception as exc:
            raise self._convert(exc, ctx) from exc
        return self._model_response(ctx, result, headers)

    def streaming(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        # A plain function that opens the request eagerly, so connection, auth and HTTP
        # errors surface at call time, before the caller starts iterating.
        ctx = self._context(kwargs, stream=True)
        try:
            response, head, items = self._open_stream(ctx)
        except Exception as exc:
            raise self._convert(exc, ctx) from exc
        remember_stream_headers(kwargs.get("logging_obj"), self._exposed_headers(response.headers))
        return self._stream_chunks(ctx, response, head, items)

    async def astreaming(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:  # type: ignore[override]
        # An async generator, although LiteLLM's signature says coroutine: LiteLLM iterates
        # the call without awaiting it. Opening and retrying happen before the first yield.
        ctx = self._context(kwargs, stream=True)
        try:
            response, head, items = await self._aopen_stream(ctx)
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

    # -- pipeline: sync ---------------------------------------------------------------

    def _complete(self, ctx: CallContext) -> tuple[ChatResult, httpx.Headers]:
        deadline = time.monotonic() + ctx.timeout if ctx.timeout else None
        attempt = 0
        while True:
            response, call = self._open(ctx)
            try:
                if not call.stream:
                    return self._parse_json(call, response.read()), response.headers
                acc = ChatAccumulator()
                for item in self._items(response, self._translator(call), deadline):
                    acc.add(item)
                return acc.result(), response.headers
            except StreamError as exc:
                # Nothing has reached the caller yet, so a broken stream can be re-run.
                if not _retryable(exc) or attempt >= self.max_retries:
                    raise
            finally:
                response.close()
            time.sleep(self._backoff(attempt, None))
            attempt += 1

    def _open(
        self, ctx: CallContext, plan: Callable[[CallContext, Access], UpstreamCall] | None = None
    ) -> tuple[httpx.Response, UpstreamCall]:
        plan = plan or self.build_call
        creds = self.credentials_for(ctx)
        access = creds.get()
        call = plan(ctx, access)
        client = self._sync_client()
        attempt = 0
        reauthed = replanned = False
        while True:
            self._before_send(call, access)
            request = client.build_request(
                "POST",
                call.url,
                **call.payload(),
                headers={**call.headers, **access.headers},
                timeout=self._timeout(ctx),
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TransportError as exc:
                if attempt < self.max_retries and not isinstance(exc, httpx.UnsupportedProtocol):
                    time.sleep(self._backoff(attempt, None))
                    attempt += 1
                    continue
                raise
            if not response.is_error:
                return response, call
            body = response.read()
            response.close()
            err = upstream_error(response.status_code, response.headers, body)
            if response.status_code == 401 and not reauthed:
                reauthed = True
                access = creds.after_unauthorized(access)
                call = plan(ctx, access)
                continue
            if response.status_code >= 500 and attempt < self.max_retries:
                time.sleep(self._backoff(attempt, err.retry_after))
                attempt += 1
                continue
            new_call = None if replanned else self.on_error(err, ctx, call)
            if new_call is not None:
                replanned = True
                call = new_call
                continue
            raise err

    def _items(
        self, response: httpx.Response, translator: StreamTranslator, deadline: float | None
    ) -> Iterator[Item]:
        decoder = SSEDecoder()
        try:
            for chunk in response.iter_bytes():
                items, error = _feed(translator, decoder.feed(chunk))
                yield from items
                if error is not None:
                    raise error
                if deadline is not None and time.monotonic() > deadline:
                    raise StreamError("request timed out (caller's timeout)", timed_out=True)
            items, error = _feed(translator, decoder.finish())
            yield from items
            if error is not None:
                raise error
        except httpx.TimeoutException as exc:
            raise StreamError(
                f"stream stalled: no data for {self.stream_idle_timeout:g}s", timed_out=True
            ) from exc
        except httpx.TransportError as exc:
            raise StreamError(f"connection dropped mid-stream: {type(exc).__name__}") from exc
        yield from translator.finish()

    def _open_stream(self, ctx: CallContext) -> tuple[httpx.Response, list[Item], Iterator[Item]]:
        """Open the stream and read it up to the first real item.

        Failures before any content (a ``response.failed`` for a too-long prompt, a
        connection dropped early) then surface here as their own class, before LiteLLM
        wraps the stream, and connection-level ones are retried like a 5xx.
        """
        attempt = 0
        while True:
            response, call = self._open(ctx)
            items = self._items(response, self._translator(call), deadline=None)
            head: list[Item] = []
            try:
                for item in items:
                    head.append(item)
                    if isinstance(item, ChatFinish) or not item.is_empty():
                        break
                return response, head, items
            except StreamError as exc:
                response.close()
                if not _retryable(exc) or attempt >= self.max_retries:
                    raise
            except BaseException:
                response.close()
                raise
            time.sleep(self._backoff(attempt, None))
            attempt += 1

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

    # -- pipeline: async (mirror of the sync half) ------------------------------------

    async def _acomplete(self, ctx: CallContext) -> tuple[ChatResult, httpx.Headers]:
        deadline = time.monotonic() + ctx.timeout if ctx.timeout else None
        attempt = 0
        while True:
            response, call = await self._aopen(ctx)
            try:
                if not call.stream:
                    return self._parse_json(call, await response.aread()), response.headers
                acc = ChatAccumulator()
                async for item in self._aitems(response, self._translator(call), deadline):
                    acc.add(item)
                return acc.result(), response.headers
            except StreamError as exc:
                if not _retryable(exc) or attempt >= self.max_retries:
                    raise
            finally:
                await response.aclose()
            await asyncio.sleep(self._backoff(attempt, None))
            attempt += 1

    async def _aopen(
        self,
        ctx: CallContext,
        plan: Callable[[CallContext, Access], Awaitable[UpstreamCall]] | None = None,
    ) -> tuple[httpx.Response, UpstreamCall]:
        plan = plan or self.abuild_call
        creds = self.credentials_for(ctx)
        access = await creds.aget()
        call = await plan(ctx, access)
        client = self._async_client()
        attempt = 0
        reauthed = replanned = False
        while True:
            self._before_send(call, access)
            request = client.build_request(
                "POST",
                call.url,
                **call.payload(),
                headers={**call.headers, **access.headers},
                timeout=self._timeout(ctx),
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.TransportError as exc:
                if attempt < self.max_retries and not isinstance(exc, httpx.UnsupportedProtocol):
                    await asyncio.sleep(self._backoff(attempt, None))
                    attempt += 1
                    continue
                raise
            if not response.is_error:
                return response, call
            body = await response.aread()
            await response.aclose()
            err = upstream_error(response.status_code, response.headers, body)
            if response.status_code == 401 and not reauthed:
                reauthed = True
                access = await creds.aafter_unauthorized(access)
                call = await plan(ctx, access)
                continue
            if response.status_code >= 500 and attempt < self.max_retries:
                await asyncio.sleep(self._backoff(attempt, err.retry_after))
                attempt += 1
                continue
            new_call = None if replanned else self.on_error(err, ctx, call)
            if new_call is not None:
                replanned = True
                call = new_call
                continue
            raise err

    async def _aopen_stream(
        self, ctx: CallContext
    ) -> tuple[httpx.Response, list[Item], AsyncGenerator[Item, None]]:
        """Async :meth:`_open_stream`."""
        attempt = 0
        while True:
            response, call = await self._aopen(ctx)
            items = self._aitems(response, self._translator(call), deadline=None)
            head: list[Item] = []
            try:
                async for item in items:
                    head.append(item)
                    if isinstance(item, ChatFinish) or not item.is_empty():
                        break
                return response, head, items
            except StreamError as exc:
                await items.aclose()
                await response.aclose()
                if not _retryable(exc) or attempt >= self.max_retries:
                    raise
            except BaseException:
                await items.aclose()
                await response.aclose()
                raise
            await asyncio.sleep(self._backoff(attempt, None))
            attempt += 1

    async def _aitems(
        self, response: httpx.Response, translator: StreamTranslator, deadline: float | None
    ) -> AsyncGenerator[Item, None]:
        decoder = SSEDecoder()
        try:
            async for chunk in response.aiter_bytes():
                items, error = _feed(translator, decoder.feed(chunk))
                for item in items:
                    yield item
                if error is not None:
                    raise error
                if deadline is not None and time.monotonic() > deadline:
                    raise StreamError("request timed out (caller's timeout)", timed_out=True)
            items, error = _feed(translator, decoder.finish())
            for item in items:
                yield item
            if error is not None:
                raise error
        except httpx.TimeoutException as exc:
            raise StreamError(
                f"stream stalled: no data for {self.stream_idle_timeout:g}s", timed_out=True
            ) from exc
        except httpx.TransportError as exc:
            raise StreamError(f"connection dropped mid-stream: {type(exc).__name__}") from exc
        for item in translator.finish():
            yield item

    # -- shared helpers ---------------------------------------------------------------

    def _context(self, kwargs: Mapping[str, Any], *, stream: bool) -> CallContext:
        timeout = kwargs.get("timeout")
        if isinstance(timeout, httpx.Timeout):
            timeout = timeout.read or timeout.connect
        return CallContext(
            model=str(kwargs.get("model", "")),
            messages=list(kwargs.get("messages") or []),
            optional_params=dict(kwargs.get("optional_params") or {}),
            headers={str(k): str(v) for k, v in (kwargs.get("headers") or {}).items()},
            api_base=kwargs.get("api_base") or None,
            timeout=float(timeout) if timeout else None,
            stream=stream,
            litellm_params=dict(kwargs.get("litellm_params") or {}),
            model_response=kwargs.get("model_response"),
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
        return call.parse_body(data)

    def _convert(self, exc: BaseException, ctx: CallContext) -> Exception:
        from litellm_codex.auth.users import caller_user_id, per_user

        hint = self.error_hint(exc, ctx) if isinstance(exc, UpstreamError) else None
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


def _feed(
    translator: StreamTranslator, events: list[ServerSentEvent]
) -> tuple[list[Item], StreamError | None]:
    """Translate the events of one network read; return the items (coalesced) and the
    error that ended them, if any, so items before an in-stream failure still go out."""
    batch: list[Item] = []
    try:
        for event in events:
            if event.data != "[DONE]":  # OpenAI-style streams end with `data: [DONE]`
                batch.extend(translator.feed(_event_json(event.data)))
    except StreamError as exc:
        return _coalesce(batch), exc
    return _coalesce(batch), None


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


def _retryable(exc: StreamError) -> bool:
    """A stream that broke at the connection level (dropped, ended early); not a stall,
    not a failure the upstream reported."""
    return exc.status is None and exc.code is None and not exc.timed_out


def _chunk_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def _event_json(data: str) -> Any:
    import json

    try:
        return json.loads(data)
    except ValueError as exc:
        raise StreamError(f"malformed event from upstream: {data[:80]!r}") from exc
