"""LiteLLM handlers: the only package that knows LiteLLM's ``CustomLLM``.

One handler instance per provider per process; the registry and the proxy config
(``custom_handler: litellm_codex.openai_codex``) both use these instances.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["handler_for"]

_lock = threading.Lock()
_instances: dict[str, Any] = {}


def handler_for(name: str) -> Any:
    """The process-wide handler instance ``openai_codex`` or ``github_copilot``."""
    with _lock:
        handler = _instances.get(name)
        if handler is None:
            if name == "openai_codex":
                from litellm_codex.providers.codex import CodexProvider

                handler = CodexProvider()
            elif name == "github_copilot":
                from litellm_codex.providers.copilot import CopilotProvider

                handler = CopilotProvider()
            else:
                raise KeyError(name)
            _instances[name] = handler
        return handler


# Import LiteLLM last, once `handler_for` exists: when this package is what first imports
# LiteLLM, the registration hook (litellm_codex/__init__.py) runs inside this import and
# asks `handler_for` for the handler instances.
import litellm  # noqa: E402,F401
