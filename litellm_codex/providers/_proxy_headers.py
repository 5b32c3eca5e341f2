"""Upstream rate-limit and quota headers on *streamed* answers, for LiteLLM proxy clients.

For whole answers the proxy copies ``_hidden_params["additional_headers"]`` of the response
into the HTTP response headers. For streams it reads the hidden params of its stream
wrapper, which LiteLLM builds around a custom handler's iterator without the upstream
headers (``CustomStreamWrapper(..., _response_headers=None)`` in litellm/main.py), and
headers set on a chunk are not copied back (LiteLLM 1.108).

What the proxy does call once a stream's first chunk is in (the Router reads it before
handing the stream on) is every callback's ``async_post_call_response_headers_hook``,
with the stream, whose ``logging_obj`` is the one LiteLLM passed to our handler. So the
handler leaves the headers on that logging object when it opens the stream, and
:class:`StreamHeadersHook`, added to ``litellm.callbacks`` the first time a stream runs
inside the proxy, hands them to the proxy.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

__all__ = ["StreamHeadersHook", "remember_stream_headers"]

#: Where the headers wait on ``logging_obj.model_call_details``.
_KEY = "litellm_codex_stream_headers"
_lock = threading.Lock()
_installed = False


class StreamHeadersHook(CustomLogger):
    """Returns the upstream headers a litellm-codex stream left on its logging object."""

    async def async_post_call_response_headers_hook(
        self,
        data: dict[str, Any],
        user_api_key_dict: Any,
        response: Any,
        request_headers: dict[str, str] | None = None,
        litellm_call_info: dict[str, object] | None = None,
    ) -> dict[str, str] | None:
        details = getattr(getattr(response, "logging_obj", None), "model_call_details", None)
        if not isinstance(details, Mapping):
            return None
        headers = details.get(_KEY)
        if not isinstance(headers, Mapping) or not headers:
            return None
        from litellm.litellm_core_utils.core_helpers import process_response_headers

        # The names whole answers get (`llm_provider-x-codex-...`, OpenAI's unprefixed).
        return {str(k): str(v) for k, v in process_response_headers(dict(headers)).items()}


def _install() -> None:
    """Add one :class:`StreamHeadersHook` to ``litellm.callbacks`` (proxy processes only)."""
    global _installed
    if _installed or "litellm.proxy.proxy_server" not in sys.modules:
        return
    import litellm

    with _lock:
        if not _installed:
            if not any(isinstance(c, StreamHeadersHook) for c in litellm.callbacks):
                litellm.callbacks.append(StreamHeadersHook())
            _installed = True


def remember_stream_headers(logging_obj: Any, headers: Mapping[str, str]) -> None:
    """Leave a stream's upstream ``headers`` where :class:`StreamHeadersHook` finds them."""
    details = getattr(logging_obj, "model_call_details", None)
    if not isinstance(details, dict) or not headers:
        return
    details[_KEY] = dict(headers)
    _install()
