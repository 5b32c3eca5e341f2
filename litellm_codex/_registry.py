"""Registration of our handlers in LiteLLM, and the takeover of ``github_copilot``.

``openai-codex`` is a plain custom provider: an entry in ``litellm.custom_provider_map`` is
enough. ``github_copilot`` is also the name of LiteLLM's built-in Copilot provider, which
LiteLLM dispatches *before* custom providers and whose authenticator starts a device-flow
login and writes under ``~/.config/litellm``. Registering the name alone therefore does not
work (shared/protocols/litellm-plugin-mechanics.md §3). We take it over with a handful of
narrow hooks, each applied only when the LiteLLM internal it touches looks as expected:

========  =====================================================================================
hook      what it does
========  =====================================================================================
H1        remove the name from ``litellm.openai_compatible_providers`` (else dispatched early)
H2        resolve ``github_copilot/<model>`` without ``GithubCopilotConfig`` (device flow)
H3        no Responses-API bridge for our names (cost-map rows marked ``mode: responses``)
H4        quarantine LiteLLM's Copilot ``Authenticator``: no disk access, no device flow
H5        let ``reasoning_effort`` / ``verbosity`` / ``thinking`` through to our handlers
H6        the same OpenAI-like parameter policy for ``github_copilot`` as for custom providers
H7        no native Responses / Anthropic-Messages config for the name (proxy endpoints)
H8        ``litellm.embedding`` for the name reaches our handler, not LiteLLM's Copilot config
H9        LiteLLM's default tokenizer is loaded when something uses it, not on each custom call
========  =====================================================================================

H9 (any LiteLLM provider benefits; failing to apply it changes nothing else): LiteLLM's
dispatch to a custom provider evaluates ``encoding=_get_encoding()`` for the handler call,
which loads tiktoken's ``cl100k_base`` table (150-300 ms, 40-70 % of a fresh process's first
call) that our handlers never read. H9 puts a stand-in into the cache ``_get_encoding``
returns (``litellm.main._encoding_cache``, 1.106.2-1.110.2) while it is still empty: the first
attribute access on the stand-in loads the real tokenizer through LiteLLM's own loader,
which then replaces the stand-in, so anyone who does tokenize gets the same answers.

If a hook cannot be applied to the installed LiteLLM, :func:`register` warns once and the
alias ``github-copilot/`` (a plain custom provider name that needs no hooks) keeps working.
Every hook is undone by :func:`unregister`.

Model metadata goes in through ``litellm.register_model`` (:func:`register_rows`), on import,
as always. LiteLLM (1.106-1.110) invalidates its case-insensitive cost-map index after every
row, and the next row's lookup rebuilds it from all ~4,000 keys: ~100 rebuilds for our ~150
rows, 60-130 ms, most of the registration. :func:`register_rows` lets the index be rebuilt
once: while *our own* ``register_model`` call runs on this thread, LiteLLM's invalidation
is deferred to its end (other threads still invalidate at once). The rows written are the
same (``tests/e2e/test_registration.py`` compares both ways on the installed LiteLLM);
where the function is not there, the rows are registered the ordinary way.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import warnings
from collections.abc import Callable
from typing import Any

import litellm

from litellm_codex.cost_map import metadata_rows
from litellm_codex.provider_names import COPILOT, HANDLERS, TAKEN_OVER

__all__ = ["TakeoverWarning", "is_registered", "register", "register_rows", "unregister"]

log = logging.getLogger("litellm_codex")

#: Parameters our handlers understand that LiteLLM's OpenAI-like policy would reject (H5).
PASSTHROUGH_PARAMS = ["reasoning_effort", "verbosity", "thinking", "user"]


class TakeoverWarning(UserWarning):
    """Emitted when the installed LiteLLM cannot be hooked to take over ``github_copilot``."""


class BuiltinCopilotAuthDisabled(RuntimeError):
    """Raised by LiteLLM's quarantined Copilot authenticator if anything still calls it."""

    def __init__(self) -> None:
        super().__init__(
            "LiteLLM's built-in GitHub Copilot login is disabled by litellm-codex; "
            "github_copilot/ models are served by litellm-codex "
            "(run `litellm-codex login github-copilot`)"
        )


_lock = threading.RLock()
_registered = False
_undo: list[Callable[[], None]] = []
_added_map_entries: list[dict[str, Any]] = []
_added_provider_list: list[str] = []
_added_custom_providers: list[str] = []


def is_registered() -> bool:
    """Whether :func:`register` is in effect."""
    return _registered


def register() -> None:
    """Register both providers with LiteLLM (idempotent). No network, no keyring."""
    global _registered
    with _lock:
        if _registered:
            return
        from litellm_codex.providers import handler_for

        # LiteLLM types this list as ``list[CustomLLMItem]`` from 1.108 on and as plain dicts
        # before; we only append and remove our own entries, so treat it as the list it is.
        provider_map = _provider_map()
        for name, attr in HANDLERS.items():
            if any(e.get("provider") == name for e in provider_map):
                # Someone (e.g. a proxy config) registered this name already: replace its
                # handler only if it is one of ours, otherwise leave the user's choice alone.
                continue
            entry = {"provider": name, "custom_handler": handler_for(attr)}
            provider_map.append(entry)
            _added_map_entries.append(entry)

        failed = [name for name, hook in _HOOKS if not _apply(name, hook)]
        _apply("H9", _h9_lazy_encoding)  # a speed-up only: nothing to warn about
        before_providers = list(litellm.provider_list)
        before_custom = list(litellm._custom_providers)
        if not failed:
            # With the takeover in place a taken-over name *is* a custom provider. Saying so
            # before ``custom_llm_setup`` runs keeps LiteLLM 1.110+ from warning that its
            # built-in provider "handles these models instead of your custom_handler" (true
            # only without our hooks). The proxy's own ``custom_llm_setup`` call, made after
            # it imports our handler (and so registers us), then finds the names known too.
            for name in sorted(TAKEN_OVER):
                if name not in litellm._custom_providers:
                    litellm._custom_providers.append(name)
        litellm.utils.custom_llm_setup()  # type: ignore[no-untyped-call]
        _added_provider_list[:] = [p for p in litellm.provider_list if p not in before_providers]
        _added_custom_providers[:] = [
            p for p in litellm._custom_providers if p not in before_custom
        ]
        if failed:
            warnings.warn(
                "litellm-codex could not take over `github_copilot/` on litellm "
                f"{_litellm_version()} (hooks {', '.join(failed)} do not fit this version); "
                "use the alias `github-copilot/<model>` instead, which needs no hooks",
                TakeoverWarning,
                stacklevel=3,
            )
        register_rows(metadata_rows())
        _registered = True


#: LiteLLM's per-row index invalidation, deferred by :func:`register_rows` (module global
#: of ``litellm.utils``; 1.106.2-1.110.2).
_INVALIDATE = "_invalidate_model_cost_lowercase_map"


def register_rows(rows: dict[str, Any]) -> None:
    """``litellm.register_model(rows)`` with one cost-map index rebuild instead of one per row.

    Exactly ``register_model``: only LiteLLM's invalidation of its lookup index and model-info
    caches, which ``register_model`` does after each row, is done once after the last row
    (see the module docs). Falls back to the plain call where the seam is absent.
    """
    import litellm.utils as utils

    namespace: dict[str, Any] = vars(utils)
    original = namespace.get(_INVALIDATE)
    if (
        not callable(original)
        # (`getattr`: LiteLLM may load `register_model` lazily on first access)
        or getattr(litellm, "register_model", None) is not namespace.get("register_model")
        # A row looked up by a differently-cased name of an earlier row would need the
        # rebuilt index: never the case for lower-case names.
        or any(key != key.lower() for key in rows)
    ):
        litellm.register_model(rows)
        return
    owner = threading.get_ident()

    @functools.wraps(original)
    def deferred() -> None:
        if threading.get_ident() != owner:
            original()

    with _lock:
        namespace[_INVALIDATE] = deferred
        try:
            litellm.register_model(rows)
        finally:
            if namespace.get(_INVALIDATE) is deferred:
                namespace[_INVALIDATE] = original
            original()


def unregister() -> None:
    """Undo :func:`register`: remove our providers and every hook (idempotent)."""
    global _registered
    with _lock:
        if not _registered:
            return
        while _undo:
            _undo.pop()()
        provider_map = _provider_map()
        provider_map[:] = [e for e in provider_map if not any(e is a for a in _added_map_entries)]
        for name in _added_provider_list:
            while name in litellm.provider_list:
                litellm.provider_list.remove(name)
        for name in _added_custom_providers:
            while name in litellm._custom_providers:
                litellm._custom_providers.remove(name)
        _added_map_entries.clear()
        _added_provider_list.clear()
        _added_custom_providers.clear()
        _registered = False


def _provider_map() -> list[Any]:
    """``litellm.custom_provider_map``, typed the same on every LiteLLM version we support."""
    provider_map: list[Any] = litellm.custom_provider_map
    return provider_map


def _litellm_version() -> str:
    try:
        from importlib.metadata import version

        return version("litellm")
    except Exception:
        return "(unknown version)"


def _apply(name: str, hook: Callable[[], Callable[[], None] | None]) -> bool:
    try:
        undo = hook()
    except Exception as exc:  # a hook that does not fit must not break registration
        log.debug("litellm-codex hook %s failed: %r", name, exc)
        return False
    if undo is None:
        log.debug("litellm-codex hook %s does not fit this litellm version", name)
        return False
    _undo.append(undo)
    return True


def _patch(owner: Any, attr: str, make: Callable[[Any], Any]) -> Callable[[], None] | None:
    """Replace ``owner.attr`` with ``make(original)``; return the undo, or None if absent."""
    original = owner.__dict__.get(attr) if isinstance(owner, type) else getattr(owner, attr, None)
    if original is None:
        return None
    replacement = make(original)
    setattr(owner, attr, replacement)

    def undo() -> None:
        setattr(owner, attr, original)

    return undo


def _prefix_taken(model: Any) -> tuple[str, str] | None:
    if not isinstance(model, str):
        return None
    prefix, sep, rest = model.partition("/")
    if sep and prefix in TAKEN_OVER:
        return prefix, rest
    return None


# -- H1 ------------------------------------------------------------------------------


def _h1_compatible_list() -> Callable[[], None] | None:
    providers = getattr(litellm, "openai_compatible_providers", None)
    if not isinstance(providers, list):
        return None
    removed = [(i, p) for i, p in enumerate(providers) if p in TAKEN_OVER]
    for _, name in removed:
        providers.remove(name)

    def undo() -> None:
        for index, name in removed:
            if name not in providers:
                providers.insert(index, name)

    return undo


# -- H2 ------------------------------------------------------------------------------


def _h2_provider_info() -> Callable[[], None] | None:
    from litellm.litellm_core_utils import get_llm_provider_logic as logic

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def resolve(
            model: str,
            api_base: str | None = None,
            api_key: str | None = None,
            dynamic_api_key: str | None = None,
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            taken = _prefix_taken(model)
            if taken is not None:
                prefix, rest = taken
                return rest, prefix, (api_key or dynamic_api_key), api_base
            return original(model, api_base, api_key, dynamic_api_key, *args, **kwargs)

        return resolve

    return _patch(logic, "_get_openai_compatible_provider_info", make)


# -- H3 ------------------------------------------------------------------------------


def _h3_bridge() -> Callable[[], None] | None:
    import litellm.main as main

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def check(model: str, custom_llm_provider: str, *args: Any, **kwargs: Any) -> Any:
            if custom_llm_provider in HANDLERS:
                return {"mode": "chat"}, model
            return original(model, custom_llm_provider, *args, **kwargs)

        return check

    return _patch(main, "responses_api_bridge_check", make)


# -- H4 ------------------------------------------------------------------------------


def _h4_quarantine_authenticator() -> Callable[[], None] | None:
    from litellm.llms.github_copilot import authenticator as module

    cls = getattr(module, "Authenticator", None)
    if not isinstance(cls, type) or "get_api_key" not in cls.__dict__:
        return None

    def inert_init(self: Any) -> None:
        # Attributes only: the original creates ~/.config/litellm/github_copilot.
        self.token_dir = ""
        self.access_token_file = ""
        self.api_key_file = ""

    def disabled(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise BuiltinCopilotAuthDisabled()

    def no_api_base(self: Any) -> None:
        return None

    def no_dir(self: Any) -> None:
        return None

    replacements: dict[str, Callable[..., Any]] = {
        "__init__": inert_init,
        "get_api_base": no_api_base,
        "_ensure_token_dir": no_dir,
    }
    for name in (
        "get_access_token",
        "get_api_key",
        "_login",
        "_refresh_api_key",
        "_get_device_code",
        "_poll_for_access_token",
    ):
        if name in cls.__dict__:
            replacements[name] = disabled
    originals = {name: cls.__dict__[name] for name in replacements if name in cls.__dict__}
    for name, fn in replacements.items():
        setattr(cls, name, fn)

    def undo() -> None:
        for name in replacements:
            if name in originals:
                setattr(cls, name, originals[name])
            else:
                delattr(cls, name)

    return undo


# -- H5 ------------------------------------------------------------------------------


def _h5_passthrough_params() -> Callable[[], None] | None:
    import litellm.main as main

    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def get_optional_params(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("custom_llm_provider") in HANDLERS:
                allowed = list(kwargs.get("allowed_openai_params") or [])
                allowed += [p for p in PASSTHROUGH_PARAMS if p not in allowed]
                kwargs["allowed_openai_params"] = allowed
            return original(*args, **kwargs)

        return get_optional_params

    return _patch(main, "get_optional_params", make)


# -- H6 ------------------------------------------------------------------------------


def _h6_param_policy() -> Callable[[], None] | None:
    from litellm.types.utils import LlmProviders
    from litellm.utils import ProviderConfigManager

    if not hasattr(LlmProviders, "GITHUB_COPILOT"):
        return None
    copilot = LlmProviders.GITHUB_COPILOT

    def make(original: Any) -> Any:
        fn = original.__func__ if isinstance(original, staticmethod) else original

        @functools.wraps(fn)
        def get_provider_chat_config(model: str, provider: Any, *args: Any, **kwargs: Any) -> Any:
            if provider == copilot:
                # Custom providers get LiteLLM's OpenAI-like policy: every OpenAI parameter
                # reaches the handler, which decides what the backend accepts.
                return litellm.OpenAILikeChatConfig()
            return fn(model, provider, *args, **kwargs)

        return staticmethod(get_provider_chat_config)

    return _patch(ProviderConfigManager, "get_provider_chat_config", make)


# -- H7 ------------------------------------------------------------------------------


def _h7_native_configs() -> Callable[[], None] | None:
    from litellm.utils import ProviderConfigManager

    undos: list[Callable[[], None]] = []
    for attr, provider_arg in (
        ("get_provider_responses_api_config", "provider"),
        ("get_provider_anthropic_messages_config", "provider"),
    ):

        def make(original: Any, provider_arg: str = provider_arg, attr: str = attr) -> Any:
            fn = original.__func__ if isinstance(original, staticmethod) else original

            @functools.wraps(fn)
            def config(*args: Any, **kwargs: Any) -> Any:
                provider = kwargs.get(provider_arg)
                if provider is None:
                    # responses: (provider, model, api_base); messages: (model, provider)
                    index = 0 if attr == "get_provider_responses_api_config" else 1
                    provider = args[index] if len(args) > index else None
                name = getattr(provider, "value", provider)
                if name in HANDLERS:
                    return None
                return fn(*args, **kwargs)

            return staticmethod(config)

        undo = _patch(ProviderConfigManager, attr, make)
        if undo is None:
            for u in undos:
                u()
            return None
        undos.append(undo)

    def undo_all() -> None:
        for u in reversed(undos):
            u()

    return undo_all


# -- H8 ------------------------------------------------------------------------------


def _h8_embeddings() -> Callable[[], None] | None:
    """``litellm.embedding(model="github_copilot/...")`` is dispatched to LiteLLM's built-in
    Copilot embedding config before custom providers are consulted (main.py's embedding
    branch); send it to our handler instead."""
    import litellm.main as main

    http_handler = getattr(main, "base_llm_http_handler", None)
    original = getattr(http_handler, "embedding", None)
    if http_handler is None or original is None or "embedding" in vars(http_handler):
        return None

    @functools.wraps(original)
    def embedding(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("custom_llm_provider") in TAKEN_OVER:
            from litellm_codex.providers import handler_for

            ours = handler_for(HANDLERS[COPILOT])
            fn = ours.aembedding if kwargs.get("aembedding") else ours.embedding
            return fn(
                model=kwargs.get("model"),
                input=kwargs.get("input"),
                model_response=kwargs.get("model_response"),
                optional_params=kwargs.get("optional_params") or {},
                api_base=kwargs.get("api_base"),
                timeout=kwargs.get("timeout"),
                headers=kwargs.get("headers") or {},
                logging_obj=kwargs.get("logging_obj"),
                litellm_params=kwargs.get("litellm_params") or {},
            )
        return original(*args, **kwargs)

    http_handler.embedding = embedding

    def undo() -> None:
        with contextlib.suppress(AttributeError):
            del http_handler.embedding

    return undo


# -- H9 ------------------------------------------------------------------------------


class _LazyEncoding:
    """Stands in for LiteLLM's default tokenizer until something reads an attribute of it."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        return getattr(_load_encoding(), name)

    def __repr__(self) -> str:
        return "<LiteLLM default encoding, loaded on first use (litellm-codex)>"


def _load_encoding() -> Any:
    import litellm.main as main

    namespace: dict[str, Any] = vars(main)
    real = namespace.get("encoding")
    if real is None:
        # LiteLLM's own lazy loader: stores the tokenizer in `main.encoding` and in the
        # `_encoding_cache` our stand-in occupied.
        real = namespace["__getattr__"]("encoding")
    return real


def _h9_lazy_encoding() -> Callable[[], None] | None:
    import litellm.main as main

    namespace: dict[str, Any] = vars(main)
    if (
        not callable(namespace.get("_get_encoding"))
        or "_encoding_cache" not in namespace
        or not callable(namespace.get("__getattr__"))
    ):
        return None
    if namespace["_encoding_cache"] is not None or "encoding" in namespace:
        return lambda: None  # loaded already: nothing left to save
    stand_in = _LazyEncoding()
    namespace["_encoding_cache"] = stand_in

    def undo() -> None:
        if namespace.get("_encoding_cache") is stand_in:
            namespace["_encoding_cache"] = None

    return undo


_HOOKS: list[tuple[str, Callable[[], Callable[[], None] | None]]] = [
    ("H1", _h1_compatible_list),
    ("H2", _h2_provider_info),
    ("H3", _h3_bridge),
    ("H4", _h4_quarantine_authenticator),
    ("H5", _h5_passthrough_params),
    ("H6", _h6_param_policy),
    ("H7", _h7_native_configs),
    ("H8", _h8_embeddings),
]
