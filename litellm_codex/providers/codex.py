"""The ``openai-codex/`` handler: ChatGPT subscription models over the Codex backend.

Every call is ``POST {api_base}/responses`` with ``stream: true`` and ``store: false``;
non-stream calls aggregate the same stream. Translation is
:mod:`litellm_codex.translate.responses_request` and
:mod:`litellm_codex.translate.responses_stream`; this module adds what is Codex-specific,
as Codex CLI 0.171.0 sends it (protocols/reference-clients-2026-11.md §1):

- the request shape and per-model parameters from the model catalog
  (:mod:`litellm_codex.codex_catalog`): "Responses Lite" or classic, verbosity, reasoning
  levels, parallel tool calls, image detail;
- the client identity (:mod:`litellm_codex.codex_client`): ``version``, ``originator``,
  User-Agent, and ``session-id`` / ``thread-id`` / ``x-client-request-id`` from the stable
  conversation key;
- zstd-compressed request bodies (``content-encoding: zstd``, §1.3), dropped for the rest
  of the process if the backend ever refuses them;
- ``/models``, ETag-revalidated into the shared catalog.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import threading
from typing import Any, ClassVar

import httpx

from litellm_codex import codex_client, settings
from litellm_codex._tls import shared_ssl_context
from litellm_codex._trust import check_trusted
from litellm_codex.auth.access import Access, CredentialSource
from litellm_codex.codex_catalog import CodexCatalog, ModelSpec, codex_catalog
from litellm_codex.errors import UpstreamError
from litellm_codex.providers import _models_snapshot
from litellm_codex.providers._base import BaseProvider, CallContext, UpstreamCall
from litellm_codex.translate.responses_request import (
    CODEX_PROFILE,
    ResponsesProfile,
    build_responses_request,
)
from litellm_codex.translate.responses_stream import ResponsesStreamTranslator

__all__ = ["CodexProvider", "profile_for"]

log = logging.getLogger("litellm_codex")

#: ``0`` / ``false`` turns request-body compression off.
ZSTD_ENV = "LITELLM_CODEX_ZSTD"
#: ``0`` / ``false``: never fetch ``/models`` in the background (the catalog stays the
#: bundled snapshot unless ``litellm-codex models`` or :meth:`list_models` is called).
CATALOG_REFRESH_ENV = "LITELLM_CODEX_CATALOG_REFRESH"
#: zstd level: the reference's bodies are compressed once per request; 3 is zstd's default
#: and costs well under a millisecond for a 100k-token history (benchmarks/).
_ZSTD_LEVEL = 3


@functools.lru_cache(maxsize=64)
def profile_for(spec: ModelSpec | None) -> ResponsesProfile:
    """The request profile for a catalog entry (classic Codex for models it does not list)."""
    if spec is None:
        return CODEX_PROFILE
    common: dict[str, Any] = {
        "supports_verbosity": spec.supports_verbosity,
        "default_verbosity": spec.default_verbosity if spec.supports_verbosity else None,
        "reasoning_levels": spec.reasoning_levels or None,
        "default_reasoning_effort": spec.default_reasoning if spec.reasoning_levels else None,
    }
    if spec.lite:
        return dataclasses.replace(
            CODEX_PROFILE,
            lite=True,
            parallel_tool_calls=False,
            default_image_detail=None,
            **common,
        )
    return dataclasses.replace(
        CODEX_PROFILE,
        parallel_tool_calls=spec.parallel_tool_calls,
        default_image_detail="original" if spec.image_detail_original else "auto",
        **common,
    )


def _zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor(level=_ZSTD_LEVEL).compress(data)


class CodexProvider(BaseProvider):
    """Handler for ``openai-codex/<model>`` (and the alias ``openai_codex/``)."""

    provider_name: ClassVar[str] = "openai-codex"
    api_base_settings: ClassVar[tuple[str, ...]] = ("OPENAI_CODEX_API_BASE",)
    exposed_header_prefixes: ClassVar[tuple[str, ...]] = (
        "x-codex-",
        "x-ratelimit-",
        "retry-after",
        "x-request-id",
        "x-oai-request-id",
        "x-models-etag",
    )

    def __init__(self) -> None:
        super().__init__()
        self._models_lock = threading.Lock()
        self._zstd_refused = False
        self._refreshing = threading.Event()
        # Whether this process looked for a saved catalog yet (once, on the first call).
        self._saved_read = False

    # -- hooks ------------------------------------------------------------------------

    @property
    def catalog(self) -> CodexCatalog:
        """The shared model catalog."""
        return codex_catalog()

    def forget_models(self) -> None:
        """Back to the bundled catalog snapshot, as a fresh process starts (the next call
        looks for a saved catalog again)."""
        from litellm_codex.codex_catalog import reset_codex_catalog

        reset_codex_catalog()
        self._saved_read = False

    def _adopt_saved(self, api_base: str) -> None:
        """Once per process, before its first call: start from the last live catalog an
        earlier process saved for this API base and client version (blocking file I/O:
        async callers run it in a thread)."""
        if self._saved_read:
            return
        # Set before reading: a concurrent first call goes on with the bundled catalog.
        self._saved_read = True
        version = codex_client.client_version()
        saved = _models_snapshot.load("codex", api_base)
        if saved is None or saved.meta.get("client_version") != version:
            return  # the server hides models above the version asked with: not this list
        source = f"saved /models ({version}, {saved.age / 60:.0f} min old)"
        if self.catalog.adopt_saved(saved.entries, etag=saved.meta.get("etag", ""), source=source):
            self._register_rows(self.catalog.models())

    def credentials(self) -> CredentialSource:
        from litellm_codex.auth.codex_refresh import codex_credentials

        return codex_credentials()

    def api_base(self, ctx_api_base: str | None = None) -> str:
        """Per-call ``api_base``, else ``OPENAI_CODEX_API_BASE``, else the ChatGPT backend."""
        base = settings.first(ctx_api_base, settings.current().codex_api_base)
        return base or codex_client.DEFAULT_API_BASE

    def _compress(self) -> bool:
        if self._zstd_refused:
            return False
        return settings.current().zstd

    async def abuild_call(self, ctx: CallContext, access: Access) -> UpstreamCall:
        if not self._saved_read:
            # The first call asks the installed Codex CLI for its version and reads the
            # saved catalog: off the loop.
            await asyncio.to_thread(self._adopt_saved, self.api_base(ctx.api_base))
        return self.build_call(ctx, access)

    def build_call(self, ctx: CallContext, access: Access) -> UpstreamCall:
        self._adopt_saved(self.api_base(ctx.api_base))
        spec = self.catalog.spec(ctx.model)
        built = build_responses_request(
            ctx.model, ctx.messages, ctx.optional_params, profile=profile_for(spec)
        )
        version = codex_client.version_for(spec.minimal_client_version if spec else None)
        origin = codex_client.originator()
        key = str(built.body.get("prompt_cache_key") or "")
        headers: dict[str, str] = {codex_client.HEADER_VERSION: version}
        if spec is not None and spec.lite:
            headers[codex_client.HEADER_LITE] = "true"
        headers[codex_client.HEADER_ROUTING_HINT] = f"model={ctx.model}"
        if key:
            # One id per conversation, as the reference sends its thread id (§1.3).
            headers[codex_client.HEADER_CLIENT_REQUEST_ID] = key
            headers[codex_client.HEADER_SESSION_ID] = key
            headers[codex_client.HEADER_THREAD_ID] = key
        headers["accept"] = "text/event-stream"
        headers["originator"] = origin
        headers["user-agent"] = codex_client.user_agent(version, origin)
        content: bytes | None = None
        if self._compress():
            content = _zstd(json.dumps(built.body, ensure_ascii=False).encode("utf-8"))
            headers["content-encoding"] = "zstd"
            headers["content-type"] = "application/json"
        headers.update(ctx.headers)
        return UpstreamCall(
            url=f"{self.api_base(ctx.api_base)}/responses",
            body=built.body,
            headers=headers,
            stream=True,
            translator=ResponsesStreamTranslator,
            dropped=built.dropped,
            content=content,
            meta={"zstd": content is not None},
        )

    def on_error(
        self, err: UpstreamError, ctx: CallContext, call: UpstreamCall
    ) -> UpstreamCall | None:
        text = err.message.lower()
        if call.meta.get("zstd") and (
            err.status == 415
            or (err.status == 400 and ("zstd" in text or "content-encoding" in text))
        ):
            # The backend does not take compressed bodies (any more): send them plain.
            log.warning("litellm-codex: the Codex backend refused a zstd body; sending JSON")
            self._zstd_refused = True
            headers = {k: v for k, v in call.headers.items() if k != "content-encoding"}
            return dataclasses.replace(call, headers=headers, content=None, meta={})
        return None

    def error_hint(self, err: UpstreamError, ctx: CallContext) -> str | None:
        """For a refused model: the cached catalog's models and its upgrade target.

        In memory only: no network I/O while an error is being mapped.
        """
        text = err.message.lower()
        refused = (
            err.status in (400, 404)
            and "model" in text
            and ("not supported" in text or "not found" in text or "does not exist" in text)
        )
        if not refused:
            return None
        spec = self.catalog.spec(ctx.model)
        names = self.catalog.slugs()
        parts = []
        if spec is not None and spec.upgrade:
            parts.append(f"The catalog names {spec.upgrade!r} as the upgrade for {ctx.model!r}.")
        if names:
            parts.append("Models in the catalog: " + ", ".join(names) + ".")
        else:
            parts.append("Run `litellm-codex models openai-codex` to list the available models.")
        return " ".join(parts)

    def _exposed_headers(self, headers: Any) -> dict[str, str]:
        # Every answer carries the backend's current `/models` ETag (`x-models-etag`); when
        # it is not the catalog's, revalidate in the background (the answer is not delayed;
        # later calls use the new catalog), as the reference refreshes its model list.
        etag = headers.get("x-models-etag") if headers is not None else None
        if etag and etag != self.catalog.etag:
            self._refresh_catalog_soon()
        return super()._exposed_headers(headers)

    def _refresh_catalog_soon(self) -> None:
        if not settings.current().catalog_refresh:
            return
        if self._refreshing.is_set():
            return
        self._refreshing.set()
        api_base = self.api_base()

        def run() -> None:
            try:
                # A client of its own: the request pools stay the callers' alone.
                with (
                    httpx.Client(
                        verify=shared_ssl_context(),
                        follow_redirects=False,
                        event_hooks={"request": [check_trusted]},
                    ) as client,
                    self._models_lock,
                ):
                    self._fetch_models(api_base, client)
            except Exception as exc:  # the snapshot keeps serving; try again on a later answer
                log.debug("litellm-codex: could not refresh the Codex model catalog: %s", exc)
                self.catalog.touch()
            finally:
                self._refreshing.clear()

        threading.Thread(target=run, name="litellm-codex-models", daemon=True).start()

    # -- model discovery --------------------------------------------------------------

    def list_models(
        self, *, api_base: str | None = None, refresh: bool = False, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """The backend's ``/models`` entries, revalidated by ETag into the shared catalog.

        Falls back to nothing: errors propagate (the CLI reports them). Without
        ``refresh`` a catalog fetched within the TTL is served from memory. ``timeout``
        bounds the whole fetch (credentials included), as for a completion.
        """
        catalog = self.catalog
        if not refresh and catalog.is_live() and not catalog.stale():
            return catalog.models()
        with self._models_lock:
            self._fetch_models(api_base, self._sync_client(), timeout=timeout)
        return catalog.models()

    def _fetch_models(
        self, api_base: str | None, client: httpx.Client, *, timeout: float | None = None
    ) -> None:
        catalog = self.catalog
        version = codex_client.client_version()
        origin = codex_client.originator()

        def build(access: Access) -> UpstreamCall:
            headers = {
                codex_client.HEADER_VERSION: version,
                "originator": origin,
                "user-agent": codex_client.user_agent(version, origin),
            }
            if catalog.etag:  # a live answer, this process's or a saved one
                headers["if-none-match"] = catalog.etag
            return UpstreamCall(
                url=f"{self.api_base(api_base)}/models",
                body={},
                headers=headers,
                stream=False,
                method="GET",
                params={"client_version": version},
            )

        # The same policy and deadline as a call (401 -> refresh once, 5xx retried).
        status, headers, content = self._fetch(
            build, timeout=timeout, api_base=api_base, client=client
        )
        base = self.api_base(api_base)
        if status == 304 and catalog.etag:
            catalog.touch()
            self._save_catalog(base, catalog, version)  # still current: saved anew
            return
        try:
            body = json.loads(content)
        except ValueError:
            raise UpstreamError("the Codex backend's /models answer is not JSON") from None
        if catalog.update(body, etag=headers.get("etag", ""), source=f"live /models ({version})"):
            self._register_rows(catalog.models())
            self._save_catalog(base, catalog, version)

    @staticmethod
    def _save_catalog(api_base: str, catalog: CodexCatalog, version: str) -> None:
        """Keep a live catalog for the next process (blocking: never on the event loop;
        the background refresh and ``list_models`` run in threads or sync code)."""
        _models_snapshot.save(
            "codex",
            api_base,
            catalog.models(),
            {"etag": catalog.etag, "client_version": version},
        )

    def describe_models(self, models: list[dict[str, Any]]) -> list[str]:
        """One line per model for ``litellm-codex models openai-codex``."""
        lines = []
        for spec in _specs(models):
            notes = []
            if spec.hidden:
                notes.append("hidden")
            if spec.upgrade:
                notes.append(f"upgrade: {spec.upgrade}")
            line = (
                f"openai-codex/{spec.slug}"
                + (f"  context={spec.context_window}" if spec.context_window else "")
                + ("  lite" if spec.lite else "  classic")
                + (
                    f"  reasoning={','.join(spec.reasoning_levels)}"
                    if spec.reasoning_levels
                    else ""
                )
                + (f"  (default {spec.default_reasoning})" if spec.default_reasoning else "")
                + (f"  [{'; '.join(notes)}]" if notes else "")
            )
            lines.append(line)
        return lines

    def json_rows(self, models: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``litellm-codex models openai-codex --json``: one object per model."""
        return [spec.as_json() for spec in _specs(models)]

    def _register_rows(self, models: list[dict[str, Any]]) -> None:
        from litellm_codex._registry import register_rows
        from litellm_codex.cost_map import rows_from_codex_models

        rows = rows_from_codex_models(models)
        if rows:
            register_rows(rows)  # litellm.register_model, one index rebuild (not one per row)


def _specs(models: list[dict[str, Any]]) -> list[ModelSpec]:
    specs = [ModelSpec.from_entry(m) for m in models if m.get("slug")]
    specs.sort(key=lambda s: (s.priority if s.priority is not None else 1_000, s.slug))
    return specs
