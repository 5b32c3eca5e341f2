"""The ``github_copilot/`` handler: GitHub Copilot chat models (GPT, Claude, Gemini, codex).

Routing per model comes from Copilot's ``/models`` (``supported_endpoints``, cached), in the
reference client's order: ``/v1/messages`` when listed (Claude, the Anthropic Messages API,
:mod:`litellm_codex.translate.copilot_messages`), else ``/responses`` (through the same
Responses translation as the ``openai-codex/`` provider), else ``/chat/completions``. A model
that answers ``unsupported_api_for_model`` is rerouted once and remembered.
Chat bodies live in :mod:`litellm_codex.translate.copilot_chat` (answers:
``copilot_chat_stream`` / ``copilot_chat_body``), headers in
:mod:`litellm_codex.translate.copilot_headers`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from litellm.types.utils import EmbeddingResponse
from litellm.types.utils import Usage as LiteLLMUsage

from litellm_codex import copilot_identity, settings
from litellm_codex.auth.access import Access, CredentialSource
from litellm_codex.errors import UpstreamError, to_litellm
from litellm_codex.providers import _models_snapshot
from litellm_codex.providers._base import BaseProvider, CallContext, UpstreamCall
from litellm_codex.translate import _litellm_anthropic
from litellm_codex.translate.copilot_headers import request_headers

__all__ = ["CopilotProvider"]

CHAT = "/chat/completions"
RESPONSES = "/responses"
MESSAGES = "/v1/messages"
#: Seconds a model list is used before it is revalidated (in the background: the call that
#: finds it older is not delayed).
_MODELS_TTL = 1800.0
#: Seconds a model list (from memory or the on-disk snapshot) may still route a call while
#: it is revalidated; an older one is fetched again before the call.
_MODELS_MAX_AGE = 86400.0

log = logging.getLogger(__name__)


def _embedding_inputs(value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)):
        return [value]
    return list(value or [])


def _enabled(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The chat models of a ``/models`` answer that the account may use."""
    return [
        dict(e)
        for e in entries
        if (e.get("capabilities") or {}).get("type", "chat") == "chat"
        # "unconfigured" models answer `model_not_supported` until enabled in settings.
        and (e.get("policy") or {}).get("state", "enabled") == "enabled"
    ]


def route_for(model: str, entries: Mapping[str, Mapping[str, Any]]) -> str:
    """The endpoint for ``model``, from its ``/models`` ``supported_endpoints``.

    ``/v1/messages`` when listed (Claude: the Anthropic Messages API), else ``/responses``,
    else ``/chat/completions`` (also when the model or the list is unknown), the reference
    client's order (reference-clients-2026-11.md §2).
    """
    info = entries.get(model)
    endpoints = info.get("supported_endpoints") if info else None
    if not isinstance(endpoints, list):
        return CHAT
    if MESSAGES in endpoints and _litellm_anthropic.available():
        return MESSAGES
    if RESPONSES in endpoints:
        return RESPONSES
    return CHAT


def _max_output(info: Mapping[str, Any]) -> int | None:
    limits = (info.get("capabilities") or {}).get("limits") or {}
    value = limits.get("max_output_tokens")
    return value if isinstance(value, int) and value > 0 else None


def _supports(info: Mapping[str, Any]) -> Mapping[str, Any]:
    """The model's ``/models`` ``capabilities.supports`` (``{}`` when unknown)."""
    supports = (info.get("capabilities") or {}).get("supports")
    return supports if isinstance(supports, Mapping) else {}


@dataclass(frozen=True)
class _ModelList:
    """One API base's ``/models`` entries: when they were fetched (``time.monotonic``) and
    whether this process fetched them (``live``) or read them from the disk snapshot."""

    fetched: float
    entries: dict[str, dict[str, Any]]
    live: bool

    def age(self) -> float:
        return time.monotonic() - self.fetched


def _by_id(data: Any) -> dict[str, dict[str, Any]]:
    return {
        str(e["id"]): dict(e)
        for e in (data if isinstance(data, list) else [])
        if isinstance(e, Mapping) and isinstance(e.get("id"), str)
    }


class CopilotProvider(BaseProvider):
    """Handler for ``github_copilot/<model>`` (and the alias ``github-copilot/``)."""

    provider_name: ClassVar[str] = "github_copilot"
    api_base_settings: ClassVar[tuple[str, ...]] = ("GITHUB_COPILOT_API_BASE",)
    exposed_header_prefixes: ClassVar[tuple[str, ...]] = (
        "x-quota-snapshot-",
        "x-ratelimit-",
        "retry-after",
        "x-request-id",
        "x-github-request-id",
    )

    def __init__(self) -> None:
        super().__init__()
        self._models_lock = threading.Lock()
        # api base -> its /models entries
        self._models: dict[str, _ModelList] = {}
        # API bases whose disk snapshot was looked at, and those being revalidated now
        self._snapshot_read: set[str] = set()
        self._revalidating: set[str] = set()
        # (api base, model) -> endpoint learnt from an `unsupported_api_for_model` answer
        self._learnt: dict[tuple[str, str], str] = {}
        # The API base of the latest call (whose cached model list error messages cite).
        self._last_base: str | None = None

    def forget_models(self) -> None:
        """Forget the cached ``/models`` lists and learnt routes (keyed by API base).

        The next call to each base reads the disk snapshot or asks ``/models`` again, as a
        fresh process would: for a server that came back on the same address (tests, a
        restarted local gateway).
        """
        with self._models_lock:
            self._models.clear()
            self._learnt.clear()
            self._snapshot_read.clear()
            self._last_base = None

    # -- hooks ------------------------------------------------------------------------

    def credentials(self) -> CredentialSource:
        from litellm_codex.auth.copilot_exchange import copilot_credentials

        return copilot_credentials()

    def api_base(self, ctx_api_base: str | None, access: Access | None) -> str:
        """Per-call ``api_base``, else ``GITHUB_COPILOT_API_BASE``, else the token's."""
        return copilot_identity.api_base(
            ctx_api_base,
            settings.current().copilot_api_base,
            access.api_base if access is not None else None,
        )

    def build_call(self, ctx: CallContext, access: Access) -> UpstreamCall:
        base = self.api_base(ctx.api_base, access)
        learnt = self._learnt.get((base, ctx.model))
        if learnt is not None:  # no /models lookup for a route an answer taught us
            return self._plan(ctx, base, learnt)
        entries = self._entries(base, ctx.model, access, ctx.deadline.remaining())
        return self._plan(ctx, base, route_for(ctx.model, entries))

    async def abuild_call(self, ctx: CallContext, access: Access) -> UpstreamCall:
        await copilot_identity.amachine_id()  # its first read off the event loop
        base = self.api_base(ctx.api_base, access)
        learnt = self._learnt.get((base, ctx.model))
        if learnt is not None:
            return self._plan(ctx, base, learnt)
        entries = await self._aentries(base, ctx.model, access, ctx.deadline.remaining())
        return self._plan(ctx, base, route_for(ctx.model, entries))

    def on_error(
        self, err: UpstreamError, ctx: CallContext, call: UpstreamCall
    ) -> UpstreamCall | None:
        if err.code == "unsupported_api_for_model" and call.meta.get("route") in (CHAT, MESSAGES):
            # The model list was unavailable or stale: chat or messages refused, try the
            # next endpoint once and remember it.
            base = str(call.meta["base"])
            route = RESPONSES if call.meta.get("route") == CHAT else CHAT
            self._learnt[(base, ctx.model)] = route
            return self._plan(ctx, base, route)
        return None

    def _convert(self, exc: BaseException, ctx: CallContext) -> Exception:
        if isinstance(exc, UpstreamError):
            too_old = copilot_identity.too_old_hint(exc.status, exc.message)
            if too_old is not None:
                # A client-version problem, not a missing model: a BadRequestError naming
                # the variable to set (whatever code GitHub put on it).
                plain = UpstreamError(exc.message, status=400, headers=exc.headers)
                return to_litellm(plain, provider=self.provider_name, model=ctx.model, hint=too_old)
        return super()._convert(exc, ctx)

    def error_hint(self, err: UpstreamError, ctx: CallContext) -> str | None:
        if err.code in ("model_not_supported", "model_not_found") or (
            err.status in (400, 404)
            and "model" in err.message.lower()
            and ("not supported" in err.message.lower() or "not found" in err.message.lower())
        ):
            enabled = self._enabled_ids()
            listed = (
                "enabled models: " + ", ".join(f"github_copilot/{m}" for m in enabled)
                if enabled
                else "`litellm-codex models github-copilot` lists the enabled ones"
            )
            return (
                f"Enable `{ctx.model}` in your GitHub Copilot settings "
                f"(https://github.com/settings/copilot) or pick another model; {listed}."
            )
        return None

    def _enabled_ids(self) -> list[str]:
        """Enabled chat models of the last ``/models`` answer (cached: no I/O)."""
        with self._models_lock:
            cached = self._models.get(self._last_base) if self._last_base else None
        return sorted(str(e["id"]) for e in _enabled(cached.entries.values())) if cached else []

    # -- embeddings -------------------------------------------------------------------

    def embedding(self, *args: Any, **kwargs: Any) -> EmbeddingResponse:
        """``litellm.embedding(model="github_copilot/text-embedding-3-small", ...)``."""
        ctx = self._context(kwargs, stream=False)
        inputs = _embedding_inputs(kwargs.get("input"))
        try:
            response, _ = self._open(ctx, plan=lambda c, a: self._plan_embedding(c, a, inputs))
            body = self._read_body(response, ctx.deadline, self.max_body_bytes)  # closes it
            data = json.loads(body)
        except Exception as exc:
            raise self._convert(exc, ctx) from exc
        return self._embedding_response(ctx, kwargs.get("model_response"), data, response.headers)

    async def aembedding(self, *args: Any, **kwargs: Any) -> EmbeddingResponse:
        """Async :meth:`embedding`."""
        ctx = self._context(kwargs, stream=False)
        inputs = _embedding_inputs(kwargs.get("input"))

        async def plan(c: CallContext, a: Access) -> UpstreamCall:
            await copilot_identity.amachine_id()  # its first read off the event loop
            return self._plan_embedding(c, a, inputs)

        try:
            response, _ = await self._aopen(ctx, plan=plan)
            body = await self._aread_body(response, ctx.deadline, self.max_body_bytes)
            data = json.loads(body)
        except Exception as exc:
            raise self._convert(exc, ctx) from exc
        return self._embedding_response(ctx, kwargs.get("model_response"), data, response.headers)

    def _plan_embedding(self, ctx: CallContext, access: Access, inputs: list[Any]) -> UpstreamCall:
        base = self.api_base(ctx.api_base, access)
        body: dict[str, Any] = {"model": ctx.model, "input": inputs}
        for name in ("dimensions", "encoding_format", "user"):
            if ctx.optional_params.get(name) is not None:
                body[name] = ctx.optional_params[name]
        headers = request_headers([], caller_headers=ctx.headers)
        return UpstreamCall(url=base + "/embeddings", body=body, headers=headers, stream=False)

    def _embedding_response(
        self, ctx: CallContext, response: Any, data: Any, headers: Any
    ) -> EmbeddingResponse:
        out = response if isinstance(response, EmbeddingResponse) else EmbeddingResponse()
        items = data.get("data") if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            raise self._convert(
                UpstreamError(f"unexpected embeddings answer: {str(data)[:200]}"), ctx
            )
        out.model = ctx.model
        out.object = "list"
        out.data = [
            {
                "object": "embedding",
                "index": item.get("index", i),
                "embedding": item.get("embedding"),
            }
            for i, item in enumerate(items)
            if isinstance(item, Mapping)
        ]
        usage = data.get("usage") if isinstance(data, Mapping) else None
        if isinstance(usage, Mapping):
            prompt = int(usage.get("prompt_tokens") or 0)
            out.usage = LiteLLMUsage(
                prompt_tokens=prompt,
                completion_tokens=0,
                total_tokens=int(usage.get("total_tokens") or prompt),
            )
        out._hidden_params["additional_headers"] = self._exposed_headers(headers)
        return out

    # -- planning ---------------------------------------------------------------------

    def _model_info(self, base: str, model: str) -> Mapping[str, Any]:
        """The model's cached ``/models`` entry (``{}`` when unknown; no I/O)."""
        with self._models_lock:
            cached = self._models.get(base)
        return (cached.entries.get(model) if cached else None) or {}

    def _plan(self, ctx: CallContext, base: str, route: str) -> UpstreamCall:
        self._last_base = base
        meta = {"route": route, "base": base}
        info = self._model_info(base, ctx.model)
        # Each route imports its own translation on first use: a process that only talks
        # to chat models never loads the Messages or Responses code (and vice versa).
        if route == MESSAGES:
            return self._plan_messages(ctx, base, info, meta)
        if route == RESPONSES:
            return self._plan_responses(ctx, base, info, meta)
        return self._plan_chat(ctx, base, info, meta)

    def _plan_messages(
        self, ctx: CallContext, base: str, info: Mapping[str, Any], meta: dict[str, Any]
    ) -> UpstreamCall:
        from litellm_codex.translate.copilot_messages import (
            MessagesStreamTranslator,
            build_messages_request,
        )

        # No Openai-Intent on /v1/messages; anthropic-version instead (reference §2).
        headers = request_headers(ctx.messages, caller_headers=ctx.headers, intent=None)
        headers.setdefault("anthropic-version", copilot_identity.ANTHROPIC_VERSION)
        headers["Accept"] = "text/event-stream"
        messages_body = build_messages_request(
            ctx.model,
            ctx.messages,
            ctx.optional_params,
            max_output_tokens=_max_output(info),
            supports=_supports(info),
        )
        return UpstreamCall(
            url=base + MESSAGES,
            body=messages_body.body,
            headers=headers,
            stream=True,
            translator=MessagesStreamTranslator,
            dropped=messages_body.dropped,
            meta=meta,
        )

    def _plan_responses(
        self, ctx: CallContext, base: str, info: Mapping[str, Any], meta: dict[str, Any]
    ) -> UpstreamCall:
        from litellm_codex.translate.copilot_responses import build_copilot_responses_request
        from litellm_codex.translate.responses_stream import ResponsesStreamTranslator

        headers = request_headers(ctx.messages, caller_headers=ctx.headers)
        built = build_copilot_responses_request(
            ctx.model, ctx.messages, ctx.optional_params, supports=_supports(info)
        )
        headers["Accept"] = "text/event-stream"
        return UpstreamCall(
            url=base + RESPONSES,
            body=built.body,
            headers=headers,
            stream=True,
            translator=ResponsesStreamTranslator,
            dropped=built.dropped,
            meta=meta,
        )

    def _plan_chat(
        self, ctx: CallContext, base: str, info: Mapping[str, Any], meta: dict[str, Any]
    ) -> UpstreamCall:
        from litellm_codex.translate.copilot_chat import ChatModelTraits, build_chat_request
        from litellm_codex.translate.copilot_chat_body import parse_chat_response
        from litellm_codex.translate.copilot_chat_stream import CopilotChatStreamTranslator

        headers = request_headers(ctx.messages, caller_headers=ctx.headers)
        chat = build_chat_request(
            ctx.model,
            ctx.messages,
            ctx.optional_params,
            stream=ctx.stream,
            traits=ChatModelTraits.from_entry(info),
        )
        ids = chat.tool_call_ids
        if ctx.stream:
            headers["Accept"] = "text/event-stream"
        return UpstreamCall(
            url=base + CHAT,
            body=chat.body,
            headers=headers,
            stream=ctx.stream,
            translator=lambda: CopilotChatStreamTranslator(tool_call_ids=ids),
            parse_body=lambda body: parse_chat_response(body, tool_call_ids=ids),
            dropped=chat.dropped,
            meta=meta,
        )

    # -- model list -------------------------------------------------------------------

    def _models_headers(self, access: Access) -> dict[str, str]:
        return {**copilot_identity.current().models_headers(), **access.headers}

    def _remember(
        self, base: str, entries: dict[str, dict[str, Any]], *, live: bool = True, age: float = 0.0
    ) -> _ModelList:
        """Keep ``entries`` as the model list of ``base`` (``age``: how old they already
        are) and register their metadata rows with LiteLLM."""
        remembered = _ModelList(time.monotonic() - age, entries, live)
        with self._models_lock:
            self._models[base] = remembered
        self._register_rows(list(entries.values()))
        return remembered

    def _usable(self, base: str, model: str) -> _ModelList | None:
        """The model list that may route a call to ``model`` now, without a request: one
        fetched within :data:`_MODELS_MAX_AGE` (within :data:`_MODELS_TTL` with
        ``LITELLM_CODEX_CATALOG_REFRESH=0``) that knows ``model`` (a snapshot that does not
        know it is older than the account's list: it is fetched again)."""
        with self._models_lock:
            cached = self._models.get(base)
        if cached is None or cached.age() >= _MODELS_MAX_AGE:
            return None
        if not cached.live and model not in cached.entries:
            return None
        if cached.age() >= _MODELS_TTL and not settings.current().catalog_refresh:
            return None  # no background fetches: revalidated before the call, as it used to be
        return cached

    def _needs_snapshot(self, base: str) -> bool:
        with self._models_lock:
            if base in self._models or base in self._snapshot_read:
                return False
            self._snapshot_read.add(base)
            return True

    def _read_snapshot(self, base: str) -> None:
        """Adopt the disk snapshot of ``base`` (once per process and base, blocking I/O)."""
        found = _models_snapshot.load("copilot", base)
        if found is not None:  # too old to route is still a fallback when /models fails
            with self._models_lock:
                if base in self._models:  # a live answer came first
                    return
            self._remember(base, _by_id(found.entries), live=False, age=found.age)

    def _revalidate_soon(self, base: str, cached: _ModelList, access: Access) -> None:
        """Fetch ``/models`` again in a daemon thread when ``cached`` is older than the TTL
        (one fetch per base at a time); the calls meanwhile use ``cached``."""
        if cached.age() < _MODELS_TTL:
            return
        with self._models_lock:
            if base in self._revalidating:
                return
            self._revalidating.add(base)
        headers = self._models_headers(access)

        def run() -> None:
            try:
                response = self._sync_client().get(base + "/models", headers=headers, timeout=15.0)
                if not response.is_error:
                    self._keep(base, response.json())
            except Exception as exc:  # the old list stays; the next call past the TTL retries
                log.debug("litellm-codex: could not revalidate the Copilot model list: %s", exc)
            finally:
                with self._models_lock:
                    self._revalidating.discard(base)

        threading.Thread(target=run, name="litellm-codex-copilot-models", daemon=True).start()

    def _keep(self, base: str, body: Any, *, save: bool = True) -> dict[str, dict[str, Any]]:
        """Remember a live ``/models`` answer (and, with ``save``, write it to the disk
        snapshot: blocking I/O, which async callers do in a thread instead)."""
        data = body.get("data") if isinstance(body, Mapping) else None
        entries = _by_id(data)
        self._remember(base, entries)
        if save and entries:
            _models_snapshot.save("copilot", base, list(entries.values()))
        return entries

    def _entries(
        self, base: str, model: str, access: Access, timeout: float = 15.0
    ) -> dict[str, dict[str, Any]]:
        if self._needs_snapshot(base):
            self._read_snapshot(base)
        cached = self._usable(base, model)
        if cached is not None:
            self._revalidate_soon(base, cached, access)
            return cached.entries
        try:
            response = self._sync_client().get(
                base + "/models",
                headers=self._models_headers(access),
                timeout=max(0.001, min(timeout, 15.0)),  # within the call's deadline
            )
        except Exception:  # routing falls back; the call itself reports real errors
            return self._fallback(base)
        if response.is_error:
            return self._fallback(base)
        return self._keep(base, response.json())

    async def _aentries(
        self, base: str, model: str, access: Access, timeout: float = 15.0
    ) -> dict[str, dict[str, Any]]:
        if self._needs_snapshot(base):
            await asyncio.to_thread(self._read_snapshot, base)  # file I/O off the event loop
        cached = self._usable(base, model)
        if cached is not None:
            self._revalidate_soon(base, cached, access)
            return cached.entries
        try:
            response = await self._async_client().get(
                base + "/models",
                headers=self._models_headers(access),
                timeout=max(0.001, min(timeout, 15.0)),  # within the call's deadline
            )
        except Exception:
            return self._fallback(base)
        if response.is_error:
            return self._fallback(base)
        entries = self._keep(base, response.json(), save=False)
        if entries:
            await asyncio.to_thread(_models_snapshot.save, "copilot", base, list(entries.values()))
        return entries

    def _fallback(self, base: str) -> dict[str, dict[str, Any]]:
        """When ``/models`` fails: the list held, however old (a stale route is rerouted
        once by ``unsupported_api_for_model``), else none (chat)."""
        with self._models_lock:
            cached = self._models.get(base)
        return cached.entries if cached is not None else {}

    def list_models(
        self, *, api_base: str | None = None, refresh: bool = False, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """Enabled chat models from ``/models`` (for ``litellm-codex models github-copilot``);
        the same policy and deadline as a call (401 -> re-exchange once, 5xx retried)."""
        planned: dict[str, str] = {}

        def build(access: Access) -> UpstreamCall:
            base = planned["base"] = self.api_base(api_base, access)
            if refresh:
                with self._models_lock:
                    self._models.pop(base, None)
                    self._snapshot_read.add(base)
            return UpstreamCall(
                url=base + "/models",
                body={},
                headers=copilot_identity.current().models_headers(),
                stream=False,
                method="GET",
            )

        _, _, body = self._fetch(build, timeout=timeout, api_base=api_base)
        entries = self._keep(planned["base"], json.loads(body or b"null"))
        return _enabled(entries.values())

    @staticmethod
    def describe_models(models: list[dict[str, Any]]) -> list[str]:
        """One line per model: name, endpoints and limits."""
        lines = []
        for info in models:
            caps = info.get("capabilities") or {}
            limits = caps.get("limits") or {}
            endpoints = ",".join(info.get("supported_endpoints") or [CHAT])
            lines.append(
                f"github_copilot/{info.get('id')}  vendor={info.get('vendor', '?')}"
                f"  endpoints={endpoints}"
                f"  context={limits.get('max_context_window_tokens', '?')}"
                f"  output={limits.get('max_output_tokens', '?')}"
            )
        return lines

    def _register_rows(self, models: list[dict[str, Any]]) -> None:
        from litellm_codex._registry import register_rows
        from litellm_codex.cost_map import rows_from_copilot_models

        rows = rows_from_copilot_models(models)
        if rows:
            register_rows(rows)  # litellm.register_model, one index rebuild (not one per row)
