"""One measured client ("side") in a process of its own: raw httpx, ours or LiteLLM built-in.

Run as a script by :mod:`benchmarks.runner`: ``python benchmarks/_worker.py CONFIG.json``.
It is a script, not ``-m benchmarks._worker``, and imports only the standard library at
the top, so that:

- the ``builtin`` side runs with the repository *off* ``sys.path`` and never imports
  ``litellm_codex`` (our package takes over ``github_copilot/`` and patches LiteLLM; its
  presence would make the comparison meaningless). The worker checks this at the end;
- the ``raw`` side never imports LiteLLM (it is the transport + simulator floor).

Each scenario runs ``warmup`` unmeasured calls then ``iterations`` measured ones, timed
with :func:`time.perf_counter` around the whole call (and to the first chunk for
streams). Results go to ``config["out"]`` as JSON: raw timings, not statistics (the
runner computes those, so every side is summarised the same way).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

JSON = dict[str, Any]
#: One measured call: total seconds, seconds to the first chunk (streams), chunk count,
#: the answer's text.
Sample = tuple[float, "float | None", int, str]


# -- raw httpx ------------------------------------------------------------------------------


def _raw_scenarios(config: JSON) -> dict[str, Callable[[], Sample]]:
    import httpx

    sim = config["sim"]
    bodies = config["bodies"]
    timeout = float(config["timeout"])
    # One pooled client for every call, as any real client would keep (and as our
    # providers do); keep-alive means the measured calls pay no TCP handshake.
    client = httpx.Client(timeout=timeout)
    codex_headers = {
        "authorization": f"Bearer {sim['codex_access_token']}",
        "chatgpt-account-id": sim["codex_account_id"],
        "originator": "codex_cli_rs",
        "accept": "text/event-stream",
        "session_id": str(bodies["codex"].get("prompt_cache_key", "bench")),
    }
    copilot_headers = {
        "authorization": f"Bearer {sim['copilot_token']}",
        "editor-version": "vscode/1.104.3",
        "editor-plugin-version": "copilot-chat/0.26.7",
        "copilot-integration-id": "vscode-chat",
        "openai-intent": "conversation-panel",
        "x-initiator": "user",
    }

    def sse(url: str, body: JSON, headers: dict[str, str]) -> Callable[[], Sample]:
        def call() -> Sample:
            # The floor: send, then read every SSE line; no JSON decoding of the events
            # beyond the last one (kept so the answer can be checked).
            t0 = time.perf_counter()
            first: float | None = None
            events = 0
            last = ""
            with client.stream("POST", url, json=body, headers=headers) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        if first is None:
                            first = time.perf_counter() - t0
                        events += 1
                        last = line
            return time.perf_counter() - t0, first, events, last[:200]

        return call

    def plain(url: str, body: JSON, headers: dict[str, str]) -> Callable[[], Sample]:
        def call() -> Sample:
            t0 = time.perf_counter()
            response = client.post(url, json=body, headers=headers)
            response.raise_for_status()
            answer = response.json()
            elapsed = time.perf_counter() - t0
            return elapsed, None, 1, str(answer["choices"][0]["message"]["content"])

        return call

    copilot_chat = f"{sim['copilot_api_base']}/chat/completions"
    return {
        "codex/stream": sse(f"{sim['codex_api_base']}/responses", bodies["codex"], codex_headers),
        "copilot/completion": plain(copilot_chat, bodies["copilot_plain"], copilot_headers),
        "copilot/stream": sse(copilot_chat, bodies["copilot_stream"], copilot_headers),
    }


# -- LiteLLM (ours or built-in) ---------------------------------------------------------


def _litellm_scenarios(config: JSON, notes: list[str]) -> dict[str, Callable[[], Any]]:
    import litellm

    side = config["side"]
    messages = config["messages"]
    timeout = float(config["timeout"])
    # Same for both LiteLLM sides: no "Give Feedback" banners in the worker's logs.
    litellm.suppress_debug_info = True
    if side == "ours":
        import litellm_codex  # registers the providers (import hook or at once)

        litellm_codex.register()
        models = {"codex": "openai-codex/gpt-5.1-codex", "copilot": "github_copilot/gpt-4o"}
    else:
        models = {"codex": "chatgpt/gpt-5.1-codex", "copilot": "github_copilot/gpt-4o"}
        if "chatgpt/gpt-5.1-codex" not in litellm.model_cost:
            # LiteLLM 1.106.2's map lists chatgpt/gpt-5.1-codex-max/-mini but not
            # gpt-5.1-codex; unmapped, completion() would post to {base}/chat/completions
            # (a 404). Registering mode=responses is the documented user-level fix.
            litellm.register_model(
                {
                    "chatgpt/gpt-5.1-codex": {
                        "litellm_provider": "chatgpt",
                        "mode": "responses",
                        "max_input_tokens": 272000,
                        "max_output_tokens": 128000,
                        "input_cost_per_token": 0.0,
                        "output_cost_per_token": 0.0,
                    }
                }
            )
            notes.append(
                "chatgpt/gpt-5.1-codex is not in LiteLLM's model map: registered with "
                "mode=responses (unregistered it goes to /chat/completions, a 404)"
            )

    def sync(model: str, stream: bool, streaming_logging: bool = True) -> Callable[[], Sample]:
        def call() -> Sample:
            # LiteLLM's sync stream wrapper submits one logging job per chunk to a thread
            # pool unless this global is set; the "stream-nolog" variant measures without it.
            litellm.disable_streaming_logging = not streaming_logging
            t0 = time.perf_counter()
            if not stream:
                response = litellm.completion(model=model, messages=messages, timeout=timeout)
                elapsed = time.perf_counter() - t0
                return elapsed, None, 1, str(response.choices[0].message.content)
            chunks = litellm.completion(
                model=model, messages=messages, stream=True, timeout=timeout
            )
            iterator = iter(chunks)
            first_chunk = next(iterator)
            first = time.perf_counter() - t0
            text = [first_chunk.choices[0].delta.content or "" if first_chunk.choices else ""]
            count = 1
            for chunk in iterator:
                count += 1
                if chunk.choices:
                    text.append(chunk.choices[0].delta.content or "")
            return time.perf_counter() - t0, first, count, "".join(text)

        return call

    def asynchronous(model: str, stream: bool) -> Callable[[], Any]:
        async def call() -> Sample:
            litellm.disable_streaming_logging = False
            t0 = time.perf_counter()
            if not stream:
                response = await litellm.acompletion(
                    model=model, messages=messages, timeout=timeout
                )
                elapsed = time.perf_counter() - t0
                return elapsed, None, 1, str(response.choices[0].message.content)
            chunks = await litellm.acompletion(
                model=model, messages=messages, stream=True, timeout=timeout
            )
            iterator = chunks.__aiter__()
            first_chunk = await iterator.__anext__()
            first = time.perf_counter() - t0
            text = [first_chunk.choices[0].delta.content or "" if first_chunk.choices else ""]
            count = 1
            async for chunk in iterator:
                count += 1
                if chunk.choices:
                    text.append(chunk.choices[0].delta.content or "")
            return time.perf_counter() - t0, first, count, "".join(text)

        return call

    out: dict[str, Callable[[], Any]] = {}
    for provider, model in models.items():
        out[f"{provider}/completion"] = sync(model, False)
        out[f"{provider}/stream"] = sync(model, True)
        out[f"{provider}/stream-nolog"] = sync(model, True, streaming_logging=False)
        out[f"{provider}/acompletion"] = asynchronous(model, False)
        out[f"{provider}/astream"] = asynchronous(model, True)
    return out


# -- running -----------------------------------------------------------------------------


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


async def _aclose_ours() -> None:
    # Our async clients belong to the loop that made them: close them before that loop
    # ends (each async scenario runs in its own asyncio.run).
    import litellm_codex

    for handler in (litellm_codex.openai_codex, litellm_codex.github_copilot):
        await handler.aclose()


async def _nothing() -> None:
    return None


def _measure(
    call: Callable[[], Any],
    warmup: int,
    iterations: int,
    aclose: Callable[[], Any] = _nothing,
) -> JSON:
    is_async = asyncio.iscoroutinefunction(call)

    async def run_async() -> list[Sample]:
        # One event loop for the whole scenario, so pooled async clients stay warm.
        samples = []
        try:
            for _ in range(warmup + iterations):
                samples.append(await call())
        finally:
            await aclose()
        return samples

    try:
        if is_async:
            samples = asyncio.run(run_async())
        else:
            samples = [call() for _ in range(warmup + iterations)]
    except Exception as exc:  # reported in the table, never hidden
        return {"error": _error_text(exc)}
    measured = samples[warmup:]
    return {
        "times": [s[0] for s in measured],
        "ttfc": [s[1] for s in measured] if measured and measured[0][1] is not None else None,
        "chunks": measured[-1][2] if measured else 0,
        "answer": measured[-1][3] if measured else "",
    }


def _profile(call: Callable[[], Any], iterations: int, aclose: Callable[[], Any]) -> str:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    if asyncio.iscoroutinefunction(call):

        async def loop() -> None:
            try:
                for _ in range(iterations):
                    await call()
            finally:
                await aclose()

        profiler.enable()
        asyncio.run(loop())
        profiler.disable()
    else:
        profiler.enable()
        for _ in range(iterations):
            call()
        profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    text.write(_by_package(stats, iterations))
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats("litellm_codex", 15)
    return text.getvalue()


def _cpu_by_package(call: Callable[[], Any], iterations: int, aclose: Callable[[], Any]) -> JSON:
    """cProfile ``iterations`` calls (after 3 unprofiled ones): CPU seconds per package."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    chunks = 0
    if asyncio.iscoroutinefunction(call):

        async def loop() -> int:
            try:
                for _ in range(3):
                    await call()
                profiler.enable()
                for _ in range(iterations):
                    sample = await call()
                profiler.disable()
                return int(sample[2] or 0)
            finally:
                await aclose()

        chunks = asyncio.run(loop())
    else:
        for _ in range(3):
            call()
        profiler.enable()
        for _ in range(iterations):
            sample = call()
        profiler.disable()
        chunks = int(sample[2] or 0)
    totals = _package_totals(pstats.Stats(profiler))
    return {"iterations": iterations, "chunks": chunks, "by_package": totals}


def _package(filename: str) -> str:
    # Attribute each function to the package that owns its file, so the profile says how
    # much CPU is ours, LiteLLM's, pydantic's, the HTTP stack's or the interpreter's.
    if filename.startswith(("~", "<")):
        return "(C built-ins: socket waits, json, ...)"
    if "/litellm_codex/" in filename:
        return "litellm_codex"
    marker = "site-packages/"
    if marker in filename:
        name = filename.split(marker, 1)[1].split("/", 1)[0]
        if name in ("httpx", "httpcore", "h11", "anyio", "sniffio", "certifi"):
            return "httpx/httpcore/h11/anyio"
        return name
    if filename.endswith("_worker.py"):
        return "(benchmark loop)"
    return "(stdlib)"


def _by_package(stats: Any, iterations: int) -> str:
    totals = _package_totals(stats)
    whole = sum(totals.values()) or 1.0
    lines = [f"CPU time by package (tottime, per call over {iterations} calls):"]
    for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        per_call = seconds / max(1, iterations) * 1000
        lines.append(f"  {name:<34} {per_call:8.3f} ms  {100 * seconds / whole:5.1f} %")
    return "\n".join(lines) + "\n\n"


def _close_ours() -> None:
    import litellm_codex

    for handler in (litellm_codex.openai_codex, litellm_codex.github_copilot):
        handler.close()


def _cold(config: JSON) -> JSON:
    """A fresh process's import + registration, then its first call (non-stream).

    ``config["cold"]`` names the provider. With ``config["profile_cold"]`` both phases are
    profiled (separately) and attributed by package.
    """
    import cProfile

    profiling = bool(config.get("profile_cold"))
    profiles = [cProfile.Profile(), cProfile.Profile()] if profiling else []
    side = config["side"]
    provider = config["cold"]
    notes: list[str] = []
    t0 = time.perf_counter()
    if profiling:
        profiles[0].enable()
    if side == "raw":
        scenarios = _raw_scenarios(config)
    elif side == "floor":
        scenarios = _floor_scenarios(config)
    else:
        scenarios = _litellm_scenarios(config, notes)
    if profiling:
        profiles[0].disable()
    t1 = time.perf_counter()
    name = "codex/stream" if side == "raw" and provider == "codex" else f"{provider}/completion"
    if profiling:
        profiles[1].enable()
    try:
        answer = scenarios[name]()[3]
        error = None
    except Exception as exc:
        answer, error = "", _error_text(exc)
    if profiling:
        profiles[1].disable()
    t2 = time.perf_counter()
    report: JSON = {"setup": t1 - t0, "first_call": t2 - t1, "answer": answer, "error": error}
    if profiling:
        import io
        import pstats

        for phase, profiler in zip(("setup", "first_call"), profiles, strict=True):
            stats = pstats.Stats(profiler, stream=io.StringIO())
            report[f"{phase}_by_package"] = _package_totals(stats)
            top = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])[:25]
            report[f"{phase}_top"] = [
                [f"{_package(fn)}: {fn.rsplit('/', 1)[-1]}:{line}({func})", row[3], row[0]]
                for (fn, line, func), row in top
            ]
    if side == "ours":
        _close_ours()
    report["imported_litellm_codex"] = "litellm_codex" in sys.modules
    main = sys.modules.get("litellm.main")
    report["tokenizer_loaded"] = main is not None and "encoding" in vars(main)
    return report


def _floor_scenarios(config: JSON) -> dict[str, Callable[[], Sample]]:
    """LiteLLM's own floor for a custom provider: a ``CustomLLM`` that answers at once, with
    no network, credentials or translation, and LiteLLM's tokenizer loaded in set-up. Its
    first call is what ``litellm.completion`` costs a fresh process before any provider
    runs (the ``floor`` cold rows)."""
    import litellm
    from litellm import CustomLLM
    from litellm.types.utils import ModelResponse

    litellm.suppress_debug_info = True
    messages = config["messages"]

    class Floor(CustomLLM):
        def completion(self, *args: Any, **kwargs: Any) -> ModelResponse:
            response = kwargs.get("model_response")
            if not isinstance(response, ModelResponse):
                response = ModelResponse()
            response.choices[0].message.content = "echo: " + str(messages[-1]["content"])  # type: ignore[union-attr]
            return response

    litellm.custom_provider_map = [{"provider": "bench-floor", "custom_handler": Floor()}]
    litellm.utils.custom_llm_setup()
    # LiteLLM's custom-provider dispatch loads its default tokenizer for the handler call
    # (150-300 ms); load it here, in set-up, so the first call is LiteLLM's dispatch alone.
    import litellm.main

    get_encoding = getattr(litellm.main, "_get_encoding", None)
    if callable(get_encoding):
        get_encoding()

    def call() -> Sample:
        t0 = time.perf_counter()
        response = litellm.completion(model="bench-floor/any", messages=messages)
        return time.perf_counter() - t0, None, 1, str(response.choices[0].message.content)

    return {f"{p}/completion": call for p in ("codex", "copilot", "floor")}


def _package_totals(stats: Any) -> dict[str, float]:
    totals: dict[str, float] = {}
    for (filename, _, _), row in stats.stats.items():
        name = _package(filename)
        totals[name] = totals.get(name, 0.0) + row[2]  # row[2]: tottime
    return totals


def _session(config: JSON) -> JSON:
    """An agent session on ``openai-codex/``: ``config["session"]`` lists each turn's message
    count into ``config["session_messages"]`` (the history grows turn by turn). Runs it
    twice, with zstd request bodies and with plain JSON ones, and reports per turn the
    request bytes on the wire and the call's wall time."""
    import httpx
    import litellm

    import litellm_codex

    litellm.suppress_debug_info = True
    litellm_codex.register()
    handler = litellm_codex.openai_codex
    history = config["session_messages"]
    timeout = float(config["timeout"])
    sent: list[int] = []
    original_send = httpx.Client.send

    def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/responses"):
            sent.append(len(request.content))
        return original_send(self, request, **kwargs)

    httpx.Client.send = send  # type: ignore[method-assign]  # counting bytes, benchmark only
    out: JSON = {}
    try:
        for mode in ("zstd", "json"):
            # The provider's own switch for a backend that refuses zstd bodies.
            handler._zstd_refused = mode == "json"
            turns = []
            for count in config["session"]:
                messages = [*history[:count], {"role": "user", "content": "Go on."}]
                del sent[:]
                t0 = time.perf_counter()
                litellm.completion(
                    model="openai-codex/gpt-5.1-codex", messages=messages, timeout=timeout
                )
                turns.append({"seconds": time.perf_counter() - t0, "bytes": sum(sent)})
            out[mode] = turns
    finally:
        httpx.Client.send = original_send  # type: ignore[method-assign]
        handler._zstd_refused = False
        _close_ours()
    return out


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as fh:
        config: JSON = json.load(fh)
    side = config["side"]
    if config.get("session"):
        with open(config["out"], "w", encoding="utf-8") as fh:
            json.dump(_session(config), fh)
        return 0
    if config.get("cold"):
        with open(config["out"], "w", encoding="utf-8") as fh:
            json.dump(_cold(config), fh)
        return 0
    notes: list[str] = []
    t0 = time.perf_counter()
    scenarios = _raw_scenarios(config) if side == "raw" else _litellm_scenarios(config, notes)
    setup = time.perf_counter() - t0
    aclose = _aclose_ours if side == "ours" else _nothing
    results: JSON = {}
    for name in config["scenarios"]:
        if name not in scenarios:
            continue
        results[name] = _measure(scenarios[name], config["warmup"], config["iterations"], aclose)
    shares: JSON = {}
    for name in config.get("shares") or []:
        if name in scenarios:
            shares[name] = _cpu_by_package(scenarios[name], config["share_iterations"], aclose)
    profile = None
    if config.get("profile") in scenarios:
        profile = _profile(scenarios[config["profile"]], config["iterations"], aclose)
    if side == "ours":
        _close_ours()
    report = {
        "side": side,
        "setup_seconds": setup,
        "results": results,
        "notes": notes,
        # ru_maxrss is KiB on Linux (bytes on macOS; the runner only prints it on Linux).
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "imported_litellm": "litellm" in sys.modules,
        "imported_litellm_codex": "litellm_codex" in sys.modules,
        "profile": profile,
        "shares": shares,
    }
    with open(config["out"], "w", encoding="utf-8") as fh:
        json.dump(report, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
