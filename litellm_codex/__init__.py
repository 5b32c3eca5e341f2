"""litellm-codex: your ChatGPT (Codex) subscription and GitHub Copilot seat in LiteLLM.

``import litellm_codex`` registers the ``openai-codex/`` and ``github_copilot/`` providers
with LiteLLM (idempotent; :func:`unregister` undoes it)::

    import litellm, litellm_codex
    litellm.completion(model="openai-codex/gpt-6.2-sol", messages=[...])

Importing does no network I/O and no keyring access, and does not import LiteLLM by itself:
when LiteLLM is already imported, registration happens at once; otherwise it happens right
after LiteLLM's own import finishes (so ``litellm-codex`` CLI commands that never touch
LiteLLM start fast). The handler instances for a proxy ``custom_provider_map`` are
``litellm_codex.openai_codex`` and ``litellm_codex.github_copilot``.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType

    from litellm_codex.providers.codex import CodexProvider
    from litellm_codex.providers.copilot import CopilotProvider

    openai_codex: CodexProvider
    github_copilot: CopilotProvider

__version__ = "0.1.0.dev0"
__all__ = ["__version__", "github_copilot", "openai_codex", "register", "unregister"]


def register() -> None:
    """Register both providers with LiteLLM (imports LiteLLM; idempotent)."""
    # The import hook must not fire while `_registry` itself imports LiteLLM.
    _hook.remove()
    from litellm_codex import _registry

    _registry.register()


def unregister() -> None:
    """Remove both providers and every hook from LiteLLM (idempotent)."""
    if "litellm_codex._registry" not in sys.modules:
        _hook.remove()
        return
    from litellm_codex import _registry

    _registry.unregister()


def __getattr__(name: str) -> Any:
    if name in ("openai_codex", "github_copilot"):
        from litellm_codex.providers import handler_for

        return handler_for(name)
    raise AttributeError(f"module 'litellm_codex' has no attribute {name!r}")


class _RegisterAfterLiteLLM:
    """Registers our providers right after ``import litellm`` completes.

    (A duck-typed meta path finder: subclassing ``importlib.abc.MetaPathFinder`` would make
    ``import litellm_codex`` pay ~15 ms for importing ``importlib.abc``.)

    It finds LiteLLM's real spec through the other finders and wraps its loader, so the
    registration runs once the ``litellm`` module is fully initialised. It removes itself
    after firing once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = False

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != "litellm" or self._busy:
            return None
        with self._lock:
            self._busy = True
            try:
                for finder in sys.meta_path:
                    if finder is self or not hasattr(finder, "find_spec"):
                        continue
                    spec = finder.find_spec(fullname, path, target)
                    if spec is not None:
                        break
                else:
                    return None
            finally:
                self._busy = False
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return None
        spec.loader = _RegisteringLoader(loader, self)  # type: ignore[assignment]  # duck-typed
        return spec

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def remove(self) -> None:
        while self in sys.meta_path:
            sys.meta_path.remove(self)


class _RegisteringLoader:
    def __init__(self, loader: Any, finder: _RegisterAfterLiteLLM) -> None:
        self._loader = loader
        self._finder = finder

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        result: ModuleType | None = self._loader.create_module(spec)
        return result

    def exec_module(self, module: ModuleType) -> None:
        # Restore the real loader first so the module's __spec__ looks normal afterwards.
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        module.__loader__ = self._loader
        self._loader.exec_module(module)
        self._finder.remove()
        registry = sys.modules.get("litellm_codex._registry")
        if registry is not None and getattr(registry.__spec__, "_initializing", False):
            # `_registry` itself is importing LiteLLM right now; it is only ever imported
            # by `register()`, which finishes the job once that import completes.
            return
        register()


_hook = _RegisterAfterLiteLLM()

if "litellm" in sys.modules:
    register()
else:
    _hook.install()
