"""LiteLLM handlers: the only package that knows LiteLLM's ``CustomLLM``.

One handler instance per provider per process; the registry and the proxy config
(``custom_handler: litellm_codex.openai_codex``) both use these instances.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["forget_model_lists", "handler_for"]

_lock = threading.RLock()
_instances: dict[str, Any] = {}


def handler_for(name: str) -> Any:
    """The process-wide handler instance ``openai_codex`` or ``github_copilot``.

    It is created as a cheap placeholder that turns into the real handler (same object,
    its class switched) on first use: registration on import does not import the provider
    modules (about 40-80 ms); the first call does, once.
    """
    if name not in ("openai_codex", "github_copilot"):
        raise KeyError(name)
    with _lock:
        handler = _instances.get(name)
        if handler is None:
            handler = _instances[name] = _pending_class()(name)
        return handler


def forget_model_lists() -> None:
    """Forget every model list the process holds, as a fresh process starts: the Codex
    catalog goes back to its bundled snapshot; Copilot's ``/models`` lists and learnt
    routes are dropped (the next call reads the disk snapshot or asks again). For a backend
    that came back on the same address (tests, a restarted local gateway)."""
    from litellm_codex.codex_catalog import reset_codex_catalog

    reset_codex_catalog()  # also when the Codex handler was never used
    with _lock:
        built = [h for h in _instances.values() if type(h) is not _pending_class()]
    for handler in built:
        handler.forget_models()


def _handler_class(name: str) -> type[Any]:
    if name == "openai_codex":
        from litellm_codex.providers.codex import CodexProvider

        return CodexProvider
    from litellm_codex.providers.copilot import CopilotProvider

    return CopilotProvider


def _materialize(handler: Any) -> None:
    with _lock:
        pending = _pending_class()
        if type(handler) is not pending:
            return
        name = object.__getattribute__(handler, "_pending_name")
        from litellm_codex import _tls

        # The first call will need the TLS context: its CA bundle loads in a thread (it
        # releases the GIL) while the provider module imports here.
        _tls.prewarm()
        cls = _handler_class(name)
        # Fully built first, then adopted: another thread sees either the placeholder
        # (and waits on the lock) or the finished handler, never a half-initialised one.
        state = vars(cls())
        vars(handler).update(state)
        handler.__class__ = cls
        vars(handler).pop("_pending_name", None)


_pending: list[type[Any]] = []


def _pending_class() -> type[Any]:
    # Made on first use, not at import: LiteLLM may be importing right now (our import hook
    # registers the providers, calling `handler_for`, as soon as LiteLLM's import completes).
    if _pending:
        return _pending[0]
    from litellm import CustomLLM

    class _Pending(CustomLLM):
        """A handler not used yet: any attribute access but a dunder makes it the real one.

        A ``CustomLLM`` (LiteLLM dispatches only to those) whose class is switched to
        ``CodexProvider`` / ``CopilotProvider`` in place, so the object LiteLLM holds in
        ``custom_provider_map`` and ``litellm_codex.openai_codex`` stay one and the same.
        """

        def __init__(self, name: str) -> None:  # no super().__init__: the real class runs it
            vars(self)["_pending_name"] = name

        def __getattribute__(self, attr: str) -> Any:
            if attr.startswith("__") and attr.endswith("__"):
                return object.__getattribute__(self, attr)
            _materialize(self)
            return getattr(self, attr)

    _pending.append(_Pending)
    return _Pending


# Import LiteLLM last, once `handler_for` exists: when this package is what first imports
# LiteLLM, the registration hook (litellm_codex/__init__.py) runs inside this import and
# asks `handler_for` for the handler instances.
import litellm  # noqa: E402,F401
