"""The one place that uses LiteLLM internals for the Anthropic Messages API (guarded).

Copilot's ``/v1/messages`` speaks the Anthropic Messages API. Rather than a third request
translator, the OpenAI -> Anthropic request mapping is LiteLLM's own
(``litellm.llms.anthropic.chat.transformation.AnthropicConfig``: ``map_openai_params`` and
``transform_request``), which already keeps what Claude needs across turns: assistant
``thinking_blocks`` (with their signatures) become leading ``thinking`` blocks,
``cache_control`` on content parts, system parts and tools is kept, tool calls and results
become ``tool_use`` / ``tool_result`` blocks, images become ``image`` blocks.

The two methods are not a public LiteLLM API. They behave the same at LiteLLM 1.106.2,
1.108.7 and 1.110.2 (checked in one venv each); :func:`available` says whether this LiteLLM
has them, and the provider falls back to ``/chat/completions`` when it does not.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["anthropic_body", "available", "supported_params"]


@functools.cache
def _config() -> Any:
    from litellm.llms.anthropic.chat.transformation import AnthropicConfig

    config = AnthropicConfig()
    for name in ("map_openai_params", "transform_request", "get_supported_openai_params"):
        if not callable(getattr(config, name, None)):
            raise ImportError(f"AnthropicConfig.{name} is missing")
    return config


def available() -> bool:
    """Whether this LiteLLM has the Anthropic translation we rely on."""
    try:
        _config()
    except Exception:
        return False
    return True


def supported_params(model: str) -> frozenset[str]:
    """OpenAI parameters LiteLLM maps onto the Anthropic Messages API for ``model``."""
    return frozenset(_config().get_supported_openai_params(model))


def anthropic_body(
    model: str, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``/v1/messages`` body for OpenAI ``messages`` and (supported) ``params``."""
    config = _config()
    mapped = config.map_openai_params(
        non_default_params=copy.deepcopy(dict(params)),
        optional_params={},
        model=model,
        drop_params=False,
    )
    body = config.transform_request(
        model=model,
        messages=copy.deepcopy([dict(m) for m in messages]),
        optional_params=dict(mapped),
        litellm_params={},
        headers={},
    )
    return dict(body)
