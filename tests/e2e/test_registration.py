"""Registration and the ``github_copilot`` takeover, through LiteLLM's real entry points.

A spy on the handlers' entry seam records every call that reaches us. With no login
stored, our handlers answer with ``litellm.AuthenticationError`` naming
``litellm-codex login``; LiteLLM's built-in Copilot provider would instead start a
device-flow login and create ``~/.config/litellm``. Both are asserted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import litellm
import pytest

import litellm_codex
from litellm_codex import _registry
from litellm_codex.providers._base import BaseProvider

# LiteLLM's bundled cost map marks these `mode: responses`; they used to escape to its
# Responses bridge and its own authenticator.
RESPONSES_MODE_ROWS = ["gpt-5.5", "gpt-5.3-codex", "gpt-6-sol"]
MODELS = [
    ("openai-codex/gpt-6.2-sol", "openai-codex", "gpt-6.2-sol"),
    ("openai_codex/gpt-6.2-sol", "openai-codex", "gpt-6.2-sol"),
    # A retired name still passes through (the backend, not us, says it is gone).
    ("openai-codex/gpt-5.1-codex", "openai-codex", "gpt-5.1-codex"),
    ("github_copilot/gpt-4o", "github_copilot", "gpt-4o"),
    ("github-copilot/gpt-4o", "github_copilot", "gpt-4o"),
    *[(f"github_copilot/{m}", "github_copilot", m) for m in RESPONSES_MODE_ROWS],
]


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Record (provider, model, stream, optional params) of every call reaching a handler."""
    seen: list[dict[str, Any]] = []
    original = BaseProvider._context

    def context(self: BaseProvider, kwargs: Any, *, stream: bool) -> Any:
        ctx = original(self, kwargs, stream=stream)
        seen.append(
            {
                "provider": self.provider_name,
                "model": ctx.model,
                "stream": stream,
                "params": dict(ctx.optional_params),
            }
        )
        return ctx

    monkeypatch.setattr(BaseProvider, "_context", context)
    yield seen


def _assert_no_litellm_dirs(home: Path) -> None:
    assert not (home / ".config" / "litellm").exists(), "LiteLLM's Copilot authenticator ran"


@pytest.mark.parametrize(("model", "provider", "bare"), MODELS)
@pytest.mark.parametrize("stream", [False, True])
def test_sdk_sync_routes_reach_handler(
    model: str,
    provider: str,
    bare: str,
    stream: bool,
    spy: list[dict[str, Any]],
    isolated_home: Path,
) -> None:
    with pytest.raises(litellm.AuthenticationError, match="litellm-codex login"):
        response = litellm.completion(
            model=model, messages=[{"role": "user", "content": "hi"}], stream=stream
        )
        if stream:
            list(response)
    assert [(s["provider"], s["model"], s["stream"]) for s in spy] == [(provider, bare, stream)]
    _assert_no_litellm_dirs(isolated_home)


@pytest.mark.parametrize(("model", "provider", "bare"), MODELS)
@pytest.mark.parametrize("stream", [False, True])
async def test_sdk_async_routes_reach_handler(
    model: str,
    provider: str,
    bare: str,
    stream: bool,
    spy: list[dict[str, Any]],
    isolated_home: Path,
) -> None:
    with pytest.raises(litellm.AuthenticationError, match="litellm-codex login"):
        response = await litellm.acompletion(
            model=model, messages=[{"role": "user", "content": "hi"}], stream=stream
        )
        if stream:
            async for _ in response:
                pass
    assert [(s["provider"], s["model"], s["stream"]) for s in spy] == [(provider, bare, stream)]
    _assert_no_litellm_dirs(isolated_home)


@pytest.mark.parametrize("stream", [False, True])
def test_router_routes_reach_handler(
    stream: bool, spy: list[dict[str, Any]], isolated_home: Path
) -> None:
    router = litellm.Router(
        model_list=[
            {"model_name": "codex", "litellm_params": {"model": "openai-codex/gpt-6.2-sol"}},
            {"model_name": "copilot", "litellm_params": {"model": "github_copilot/gpt-4o"}},
            {"model_name": "copilot55", "litellm_params": {"model": "github_copilot/gpt-5.5"}},
        ],
        # A 401 would otherwise cool the single deployment down for the next call.
        disable_cooldowns=True,
    )
    for name in ("codex", "copilot", "copilot55"):
        with pytest.raises(litellm.AuthenticationError, match="litellm-codex login"):
            response = router.completion(
                model=name, messages=[{"role": "user", "content": "hi"}], stream=stream
            )
            if stream:
                list(response)

        async def acall(name: str = name) -> None:
            response = await router.acompletion(
                model=name, messages=[{"role": "user", "content": "hi"}], stream=stream
            )
            if stream:
                async for _ in response:
                    pass

        with pytest.raises(litellm.AuthenticationError, match="litellm-codex login"):
            asyncio.run(acall())
    assert [s["model"] for s in spy] == [
        "gpt-6.2-sol",
        "gpt-6.2-sol",
        "gpt-4o",
        "gpt-4o",
        "gpt-5.5",
        "gpt-5.5",
    ]
    _assert_no_litellm_dirs(isolated_home)


@pytest.mark.parametrize(
    "model", ["openai-codex/gpt-6.2-sol", "github_copilot/gpt-4o", "github_copilot/gpt-5.5"]
)
def test_reasoning_params_reach_handler_without_allowed_openai_params(
    model: str, spy: list[dict[str, Any]]
) -> None:
    with pytest.raises(litellm.AuthenticationError):
        litellm.completion(
            model=model,
            messages=[{"role": "user", "content": "hi"}],
            reasoning_effort="high",
            verbosity="low",
            temperature=0.2,
        )
    params = spy[0]["params"]
    assert params["reasoning_effort"] == "high"
    assert params["verbosity"] == "low"
    # A harmless default from a client framework must not fail before reaching us.
    assert params["temperature"] == 0.2


def test_model_metadata_registered() -> None:
    # From the model catalog (the bundled snapshot of today's /models).
    info = litellm.get_model_info("openai-codex/gpt-6.2-sol")
    assert info["mode"] == "chat"
    assert info["input_cost_per_token"] == 0.0
    assert info["max_input_tokens"] == 500_000
    assert litellm.supports_function_calling("openai-codex/gpt-6.2-sol")
    assert litellm.supports_reasoning("openai-codex/gpt-6.2-sol")
    assert litellm.supports_vision("openai-codex/gpt-6.2-sol")
    assert litellm.get_model_info("openai-codex/gpt-5.5")["max_input_tokens"] == 272_000
    # A bundled `mode: responses` row is overridden to chat at zero cost.
    copilot = litellm.get_model_info("github_copilot/gpt-5.5")
    assert copilot["mode"] == "chat"
    assert copilot["input_cost_per_token"] == 0.0


def _snapshot() -> dict[str, Any]:
    from litellm.litellm_core_utils import get_llm_provider_logic as logic
    from litellm.llms.github_copilot.authenticator import Authenticator
    from litellm.utils import ProviderConfigManager

    return {
        "map": [dict(e) for e in litellm.custom_provider_map],
        "provider_list": list(litellm.provider_list),
        "custom": list(litellm._custom_providers),
        "compatible": list(litellm.openai_compatible_providers),
        "resolver": logic._get_openai_compatible_provider_info,
        "bridge": litellm.main.responses_api_bridge_check,
        "optional": litellm.main.get_optional_params,
        "auth_init": Authenticator.__dict__["__init__"],
        "chat_config": ProviderConfigManager.__dict__["get_provider_chat_config"],
        "responses_config": ProviderConfigManager.__dict__["get_provider_responses_api_config"],
    }


def test_register_is_idempotent_and_unregister_restores_litellm() -> None:
    assert _registry.is_registered()
    registered = _snapshot()
    litellm_codex.register()
    assert _snapshot() == registered, "a second register() changed something"
    try:
        litellm_codex.unregister()
        pristine = _snapshot()
        litellm_codex.unregister()
        assert _snapshot() == pristine
        assert "github_copilot" in pristine["compatible"]
        assert not any(e["provider"] == "openai-codex" for e in pristine["map"])
        assert "openai-codex" not in pristine["provider_list"]
        for key in (
            "resolver",
            "bridge",
            "optional",
            "auth_init",
            "chat_config",
            "responses_config",
        ):
            assert pristine[key] is not registered[key], f"{key} still hooked"
    finally:
        litellm_codex.register()
    assert _snapshot()["compatible"] == registered["compatible"]
    assert [e["provider"] for e in _snapshot()["map"]] == [e["provider"] for e in registered["map"]]


def test_handler_instances_are_shared() -> None:
    assert litellm_codex.openai_codex is litellm_codex.openai_codex
    entry = next(e for e in litellm.custom_provider_map if e["provider"] == "openai-codex")
    assert entry["custom_handler"] is litellm_codex.openai_codex
    entry = next(e for e in litellm.custom_provider_map if e["provider"] == "github_copilot")
    assert entry["custom_handler"] is litellm_codex.github_copilot


def test_failed_hook_warns_and_alias_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    litellm_codex.unregister()
    try:
        monkeypatch.setattr(
            _registry,
            "_HOOKS",
            [("H2", lambda: None), *[h for h in _registry._HOOKS if h[0] != "H2"]],
        )
        with pytest.warns(_registry.TakeoverWarning, match="github-copilot/"):
            litellm_codex.register()
        with pytest.raises(litellm.AuthenticationError, match="litellm-codex login github-copilot"):
            litellm.completion(
                model="github-copilot/gpt-4o", messages=[{"role": "user", "content": "x"}]
            )
    finally:
        litellm_codex.unregister()
        monkeypatch.undo()
        litellm_codex.register()


@pytest.mark.parametrize(
    "code",
    [
        # LiteLLM first, then us: registers at import.
        "import litellm, litellm_codex",
        # Us first, then LiteLLM: registers when LiteLLM's import completes.
        "import litellm_codex, litellm",
        # Us first, then an explicit register() that imports LiteLLM itself.
        "import litellm_codex; litellm_codex.register(); import litellm",
    ],
)
def test_import_orders_all_register(code: str) -> None:
    import subprocess
    import sys

    check = (
        f"{code}\n"
        "assert any(e['provider'] == 'openai-codex' for e in litellm.custom_provider_map)\n"
        "assert 'github_copilot' not in litellm.openai_compatible_providers\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_importing_us_alone_does_not_import_litellm() -> None:
    import subprocess
    import sys

    code = "import sys, litellm_codex; print('litellm' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"


_METADATA_STATE = """
import json, litellm, litellm.utils as utils

rebuilds = []
rebuild = utils._rebuild_model_cost_lowercase_map


def counting():
    rebuilds.append(1)
    return rebuild()


utils._rebuild_model_cost_lowercase_map = counting
import litellm_codex  # registers: the import-time path
utils._rebuild_model_cost_lowercase_map = rebuild
import_rebuilds = len(rebuilds)

from litellm_codex import _registry
from litellm_codex.cost_map import metadata_rows

rows = metadata_rows()


def state():
    out = {}
    for key in sorted(rows):
        entry = litellm.model_cost.get(key)
        out[key] = {
            "entry": dict(entry) if entry is not None else None,
            "registered": sorted(getattr(entry, "registered_fields", None) or []),
            "info": dict(litellm.get_model_info(key)),
        }
    runtime = getattr(utils, "_runtime_registered_model_cost", {})
    out["runtime"] = {key: runtime.get(key) for key in sorted(rows)}
    return out


def clear():
    for key in rows:
        litellm.model_cost.pop(key, None)
        getattr(utils, "_runtime_registered_model_cost", {}).pop(key, None)
    utils._invalidate_model_cost_lowercase_map()


clear()
del rebuilds[:]
utils._rebuild_model_cost_lowercase_map = counting
_registry.register_rows(rows)
utils._rebuild_model_cost_lowercase_map = rebuild
ours = state()
ours_rebuilds = len(rebuilds)
assert utils._invalidate_model_cost_lowercase_map.__name__ == "_invalidate_model_cost_lowercase_map"
assert "deferred" not in repr(utils._invalidate_model_cost_lowercase_map)
clear()
del rebuilds[:]
utils._rebuild_model_cost_lowercase_map = counting
litellm.register_model(rows)
utils._rebuild_model_cost_lowercase_map = rebuild
plain = state()
print(json.dumps({"same": ours == plain, "rows": len(rows), "ours": ours_rebuilds,
                  "plain": len(rebuilds), "import": import_rebuilds}))
"""


def test_bulk_registration_writes_exactly_what_register_model_writes() -> None:
    # `register_rows` defers LiteLLM's per-row index invalidation to the end of our own
    # `register_model` call: the same entries, model info and reload replays as the plain
    # call, with one index rebuild instead of one per row (the bulk of the import cost).
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _METADATA_STATE],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["same"], report
    assert report["rows"] > 100
    assert report["ours"] <= 1, report
    assert report["import"] <= 2, report  # `import litellm_codex` takes the same path
    assert report["plain"] > 50, report  # what the deferral saves on this LiteLLM


def test_register_rows_leaves_other_threads_invalidating() -> None:
    import threading

    import litellm.utils as utils

    seen: list[str] = []
    original = utils._invalidate_model_cost_lowercase_map

    def fake_register_model(rows: dict[str, Any]) -> None:
        # Inside our call: this thread's invalidation is deferred, another thread's is not.
        utils._invalidate_model_cost_lowercase_map()
        seen.append(f"ours cleared={utils._model_cost_lowercase_map is None}")
        utils._rebuild_model_cost_lowercase_map()
        other = threading.Thread(target=utils._invalidate_model_cost_lowercase_map)
        other.start()
        other.join()
        seen.append(f"other cleared={utils._model_cost_lowercase_map is None}")

    utils._rebuild_model_cost_lowercase_map()
    real = litellm.register_model
    try:
        litellm.register_model = fake_register_model
        utils.register_model = fake_register_model
        _registry.register_rows({"openai-codex/x": {}})
    finally:
        litellm.register_model = real
        utils.register_model = real
    assert seen == ["ours cleared=False", "other cleared=True"]
    assert utils._invalidate_model_cost_lowercase_map is original
    assert utils._model_cost_lowercase_map is None  # invalidated once at the end


def test_registration_imports_no_provider_module_until_first_use() -> None:
    # The handlers in LiteLLM's map are placeholders that become the real handler (same
    # object) on first use: registering imports none of the provider/translation modules,
    # and a process that only calls Codex never imports the Copilot provider.
    import subprocess
    import sys

    check = (
        "import sys, litellm, litellm_codex\n"
        "def loaded():\n"
        "    prefixes = ('litellm_codex.providers.', 'litellm_codex.translate')\n"
        "    return sorted(m for m in sys.modules if m.startswith(prefixes))\n"
        "assert not loaded(), loaded()\n"
        "handler = litellm_codex.openai_codex\n"
        "entry = next(e for e in litellm.custom_provider_map if e['provider'] == 'openai-codex')\n"
        "assert entry['custom_handler'] is handler\n"
        "assert isinstance(handler, litellm.CustomLLM)\n"
        "handler.close()\n"
        "from litellm_codex.providers.codex import CodexProvider\n"
        "assert type(handler) is CodexProvider and entry['custom_handler'] is handler\n"
        "assert 'litellm_codex.providers.copilot' not in sys.modules, loaded()\n"
        "assert litellm.get_model_info('openai-codex/gpt-6.2-sol')['max_input_tokens']\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_custom_provider_calls_do_not_load_litellms_tokenizer() -> None:
    # H9: LiteLLM evaluates `encoding=_get_encoding()` for every custom-provider call, which
    # loads tiktoken's cl100k table (150-300 ms of a fresh process's first call). Our
    # handlers never read it; whoever does gets the real tokenizer, which then replaces the
    # stand-in.
    import subprocess
    import sys

    check = (
        "import litellm, litellm_codex, litellm.main as main\n"
        "assert 'encoding' not in vars(main)\n"
        "for model in ('openai-codex/gpt-6.2-sol', 'github_copilot/gpt-4o'):\n"
        "    try:\n"
        "        litellm.completion(model=model, messages=[{'role': 'user', 'content': 'x'}])\n"
        "    except litellm.AuthenticationError:\n"
        "        pass\n"
        "    else:\n"
        "        raise AssertionError('no login stored, yet the call succeeded')\n"
        "assert 'encoding' not in vars(main), 'the tokenizer was loaded'\n"
        "stand_in = main._get_encoding()\n"
        "tokens = stand_in.encode('hello world')\n"
        "assert 'encoding' in vars(main) and main._get_encoding() is main.encoding\n"
        "assert type(main.encoding).__name__ != '_LazyEncoding'\n"
        "assert tokens == main.encoding.encode('hello world') and len(tokens) == 2\n"
        "litellm_codex.unregister(); litellm_codex.register()\n"
        "assert main._get_encoding() is main.encoding\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "ok"
