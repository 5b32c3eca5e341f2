"""The ``openai-codex/`` handler: ChatGPT subscription models over the Codex backend.

Every call is ``POST {api_base}/responses`` with ``stream: true`` and ``store: false``
(the backend refuses anything else, protocols/codex-chatgpt-backend.md §2.4); non-stream
calls aggregate the same stream. Translation is :mod:`litellm_codex.translate.request` and
:mod:`litellm_codex.translate.stream`; this module only adds what is Codex-specific:
the endpoint, headers, the per-model profile and the model list.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import platform
import threading
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from litellm_codex import __version__
from litellm_codex.auth._types import Access, CredentialSource
from litellm_codex.errors import UpstreamError
from litellm_codex.providers._base import BaseProvider, CallContext, UpstreamCall
from litellm_codex.translate.request import CODEX_PROFILE, build_responses_request
from litellm_codex.translate.stream import ResponsesStreamTranslator

__all__ = ["CODEX_CLIENT_VERSION", "DEFAULT_API_BASE", "CodexProvider"]

DEFAULT_API_BASE = "https://chatgpt.com/backend-api/codex"
#: The Codex CLI version we present to ``/models`` (§5: the server may hide models from
#: clients older than a model's ``minimal_client_version``).
CODEX_CLIENT_VERSION = "0.98.0"
#: ``originator`` the backend knows (the Codex CLI's); ``OPENAI_CODEX_ORIGINATOR`` overrides.
DEFAULT_ORIGINATOR = "codex_cli_rs"
_MODELS_TTL = 600.0


@functools.lru_cache(maxsize=4)
def _user_agent(originator: str) -> str:
    # Codex's shape, `{originator}/{version} ({os} {os_version}; {arch}) {suffix}`
    # (codex-chatgpt-backend.md §2.1), with our own name as the suffix.
    system = f"{platform.system()} {platform.release()}".strip()
    return (
        f"{originator}/{CODEX_CLIENT_VERSION} ({system}; {platform.machine()}) "
        f"litellm-codex/{__version__}"
    )


def _supports_verbosity(model: str) -> bool:
    # Codex models have `support_verbosity: false`; sending it is a 400 (§2.4).
    return "codex" not in model


#: The request profile with and without `text.verbosity` (built once, not per request).
_PROFILES = {
    flag: dataclasses.replace(CODEX_PROFILE, supports_verbosity=flag) for flag in (True, False)
}


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
        self._models: tuple[float, str, list[dict[str, Any]]] | None = None

    # -- hooks ------------------------------------------------------------------------

    def credentials(self) -> CredentialSource:
        from litellm_codex.auth.codex import codex_credentials

        return codex_credentials()

    def api_base(self, ctx_api_base: str | None = None) -> str:
        """Per-call ``api_base``, else ``OPENAI_CODEX_API_BASE``, else the ChatGPT backend."""
        base = ctx_api_base or os.environ.get("OPENAI_CODEX_API_BASE") or DEFAULT_API_BASE
        return base.rstrip("/")

    def build_call(self, ctx: CallContext, access: Access) -> UpstreamCall:
        profile = dataclasses.replace(
            CODEX_PROFILE, supports_verbosity=_supports_verbosity(ctx.model)
        )
        built = build_responses_request(
            ctx.model, ctx.messages, ctx.optional_params, profile=profile
        )
        originator = os.environ.get("OPENAI_CODEX_ORIGINATOR") or DEFAULT_ORIGINATOR
        headers = {
            "accept": "text/event-stream",
            "originator": originator,
            "user-agent": _user_agent(originator),
            # One id per conversation: the prompt cache key is stable across its turns.
            "session_id": str(built.body.get("prompt_cache_key", "")),
            **ctx.headers,
        }
        return UpstreamCall(
            url=f"{self.api_base(ctx.api_base)}/responses",
            body=built.body,
            headers=headers,
            stream=True,
            translator=ResponsesStreamTranslator,
            dropped=built.dropped,
        )

    def error_hint(self, err: UpstreamError, ctx: CallContext) -> str | None:
        text = err.message.lower()
        if err.status in (400, 404) and "model" in text and "not supported" in text:
            names = self._cached_model_names()
            if names:
                return "Available models: " + ", ".join(names) + "."
            return "Run `litellm-codex models openai-codex` to list the available models."
        return None

    # -- model discovery --------------------------------------------------------------

    def list_models(
        self, *, api_base: str | None = None, refresh: bool = False, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """The backend's ``/models`` list (cached for ten minutes, revalidated by ETag)."""
        with self._models_lock:
            cached = self._models
        if cached is not None and not refresh and time.monotonic() - cached[0] < _MODELS_TTL:
            return cached[2]

        def build(access: Access) -> UpstreamCall:
            headers = {
                "originator": os.environ.get("OPENAI_CODEX_ORIGINATOR") or DEFAULT_ORIGINATOR
            }
            if cached is not None and cached[1]:
                headers["if-none-match"] = cached[1]
            return UpstreamCall(
                url=f"{self.api_base(api_base)}/models",
                body={},
                headers=headers,
                stream=False,
                method="GET",
                params={"client_version": CODEX_CLIENT_VERSION},
            )

        status, headers, body = self._fetch(build, timeout=timeout, api_base=api_base)
        if status == 304 and cached is not None:
            models = cached[2]
        else:
            models = _visible(json.loads(body or b"null"))
            self._register_rows(models)
        with self._models_lock:
            self._models = (time.monotonic(), headers.get("etag", ""), models)
        return models

    @staticmethod
    def describe_models(models: list[dict[str, Any]]) -> list[str]:
        """One line per model for ``litellm-codex models openai-codex``."""
        lines = []
        for info in models:
            levels = ",".join(
                str(level.get("effort"))
                for level in info.get("supported_reasoning_levels") or []
                if isinstance(level, Mapping)
            )
            context = info.get("context_window")
            lines.append(
                f"openai-codex/{info.get('slug')}"
                + (f"  context={context}" if context else "")
                + (f"  reasoning={levels}" if levels else "")
            )
        return lines

    def _cached_model_names(self) -> list[str]:
        try:
            models = self.list_models()
        except Exception:  # a hint must never hide the real error
            return []
        return [str(m["slug"]) for m in models if isinstance(m.get("slug"), str)]

    def _register_rows(self, models: list[dict[str, Any]]) -> None:
        import litellm

        from litellm_codex.models import rows_from_codex_models

        rows = rows_from_codex_models(models)
        if rows:
            litellm.register_model(rows)


def _visible(body: Any) -> list[dict[str, Any]]:
    models = body.get("models") if isinstance(body, Mapping) else None
    if not isinstance(models, list):
        return []
    return [
        dict(m) for m in models if isinstance(m, Mapping) and m.get("visibility", "list") != "hide"
    ]
