"""Fault matrix and load run: ``python -m benchmarks.faults [--quick] [--json PATH]``.

Every call goes through the real LiteLLM SDK to the bundled simulators on 127.0.0.1
(nothing else is contacted). Two parts:

- **Fault matrix**: each scripted fault (silent token endpoint, stall before headers,
  keep-alives without content, trickling body, huge SSE line, huge body, malformed event,
  dropped body, 5xx, redirect, plain-http endpoint) through each entry point, with
  ``timeout=T``. A row records the outcome (error class or ``ok``), the wall time, the
  upstream calls the simulator saw, and whether the time stayed within ``T`` + 1 s.
- **Load**: ``N`` calls over both providers and all four entry points from a few threads
  and tasks, one in twenty with an injected fault the package retries (503 once, a body
  dropped mid-read); open file descriptors and RSS before and after.

Bounded in count and time (``--quick``: a few seconds of faults and 300 load calls;
default: 2,000 load calls; ``--max-seconds`` stops the load early). The tables printed are
the ones in README's "Reliability" section.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

HI = [{"role": "user", "content": "hello there"}]
CODEX = "openai-codex/gpt-6.2-sol"
COPILOT = "github_copilot/gpt-4o"
MODES = ("completion", "acompletion", "streaming", "astreaming")


@dataclass
class Row:
    """One fault through one entry point."""

    provider: str
    fault: str
    mode: str
    outcome: str
    seconds: float
    upstream_calls: int
    timeout: float
    within: bool


def _fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return -1


def _rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return -1.0


def _call(mode: str, model: str, **kwargs: Any) -> Any:
    import litellm

    import litellm_codex

    if mode == "completion":
        return litellm.completion(model=model, messages=HI, **kwargs)
    if mode == "streaming":
        return list(litellm.completion(model=model, messages=HI, stream=True, **kwargs))

    async def run() -> Any:
        try:
            if mode == "acompletion":
                return await litellm.acompletion(model=model, messages=HI, **kwargs)
            stream = await litellm.acompletion(model=model, messages=HI, stream=True, **kwargs)
            return [chunk async for chunk in stream]
        finally:
            # This loop's pools only: `aclose()` would also close the sync pool, which
            # the load run's other threads are using.
            loop = asyncio.get_running_loop()
            for provider in (litellm_codex.openai_codex, litellm_codex.github_copilot):
                client = provider._aclients.pop(loop, None)
                if client is not None:
                    await client.aclose()

    return asyncio.run(run())


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    original = getattr(exc, "original_exception", None)
    name = type(exc).__name__
    if original is not None and original is not exc:
        name += f"({type(original).__name__})"
    return name


class Matrix:
    """The simulators, logged in, and the faults scripted on them."""

    def __init__(self, home: Path) -> None:
        from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
        from litellm_codex.testing.copilot_simulator import CopilotSimulator

        self.home = home
        self.codex = ChatGPTSimulator()
        self.copilot = CopilotSimulator()

    @contextlib.contextmanager
    def running(self) -> Iterator[Matrix]:
        with self.codex, self.copilot:
            os.environ.update(self.codex.env())
            os.environ.update(self.copilot.env())
            self.login()
            yield self

    def login(self, *, codex_ttl: float | None = None) -> None:
        from litellm_codex.auth import codex_refresh, copilot_exchange
        from litellm_codex.auth.store import FileStore

        codex_refresh.save_login(FileStore(), self.codex.issue_login(access_ttl=codex_ttl))
        copilot_exchange.save_login(FileStore(), self.copilot.issue_login())
        codex_refresh.reset_codex_credentials()
        copilot_exchange.reset_copilot_credentials()

    def stall(self, sim: Any) -> Callable[[Any], Any]:
        from litellm_codex.testing._server import Response

        def handler(request: Any) -> Any:
            sim._wait(30)
            return Response(503, body=b"late")

        return handler

    def faults(self, timeout: float) -> dict[tuple[str, str], Callable[[], None]]:
        """(provider, fault) -> a function that scripts it for the next call."""
        from litellm_codex.testing._server import DROP, Response, Stall

        codex, copilot = self.codex, self.copilot
        sse = {"content-type": "text/event-stream"}
        js = {"content-type": "application/json"}
        other = "http://127.0.0.1:9/elsewhere"

        def codex_refresh_silent() -> None:
            self.login(codex_ttl=1)
            time.sleep(1.1)
            codex.script("POST", "/oauth/token", self.stall(codex))

        def copilot_exchange_silent() -> None:
            self.login()
            copilot.script("GET", "/copilot_internal/v2/token", self.stall(copilot))

        def times(n: int, sim: Any, method: str, path: str, what: Any) -> Callable[[], None]:
            def script() -> None:
                for _ in range(n):
                    sim.script(method, path, what)

            return script

        keepalive: list[Any] = []
        for _ in range(int(timeout * 10) + 20):
            keepalive += [b": keep-alive\n\n", Stall(0.1)]
        trickle: list[Any] = []
        for byte in b'{"choices": [{"message": {"content": "' + b"x" * 200:
            trickle += [bytes([byte]), Stall(0.1)]
        huge_line: list[Any] = [b"data: "] + [b"x" * 65536] * 64
        huge_body: list[Any] = [b'{"choices": [{"message": {"content": "'] + [b"y" * 65536] * 64
        redirect = Response(307, {"location": other})
        return {
            ("codex", "silent token endpoint"): codex_refresh_silent,
            ("codex", "stall before headers x3"): times(
                3, codex, "POST", "/responses", self.stall(codex)
            ),
            ("codex", "keep-alives, no content"): times(
                1, codex, "POST", "/responses", Response(200, sse, stream=keepalive)
            ),
            ("codex", "4 MiB SSE line"): times(
                1, codex, "POST", "/responses", Response(200, sse, stream=huge_line)
            ),
            ("codex", "data: [1,2] x3"): times(
                3, codex, "POST", "/responses", Response(200, sse, stream=[b"data: [1,2]\n\n"])
            ),
            ("codex", "dropped, then ok"): times(
                1, codex, "POST", "/responses", Response(200, sse, stream=[b": x\n\n", DROP])
            ),
            ("codex", "503, then ok"): times(
                1, codex, "POST", "/responses", Response(503, js, b"{}")
            ),
            ("codex", "307 elsewhere"): times(1, codex, "POST", "/responses", redirect),
            ("copilot", "silent token exchange"): copilot_exchange_silent,
            ("copilot", "stall before headers x3"): times(
                3, copilot, "POST", "/chat/completions", self.stall(copilot)
            ),
            ("copilot", "trickling body"): times(
                1, copilot, "POST", "/chat/completions", Response(200, js, stream=trickle)
            ),
            ("copilot", "4 MiB body"): times(
                1, copilot, "POST", "/chat/completions", Response(200, js, stream=huge_body)
            ),
            ("copilot", "dropped, then ok"): times(
                1, copilot, "POST", "/chat/completions", Response(200, js, stream=[b"{", DROP])
            ),
            ("copilot", "500, then ok"): times(
                1, copilot, "POST", "/chat/completions", Response(500, js, b"{}")
            ),
            ("copilot", "307 elsewhere"): times(1, copilot, "POST", "/chat/completions", redirect),
            ("copilot", "endpoints.api over http"): self._untrusted_copilot,
        }

    def _untrusted_copilot(self) -> None:
        self.copilot.authority.user.api_endpoint = "http://203.0.113.7/copilot"
        self.login()

    def clear(self) -> None:
        from litellm_codex.auth import copilot_exchange

        for sim in (self.codex, self.copilot):
            with sim._lock:
                sim._scripted.clear()
            sim.reset_calls()
        self.copilot.authority.user.api_endpoint = self.copilot.api_base
        copilot_exchange.reset_copilot_credentials()
        self.login()


def run_matrix(matrix: Matrix, timeout: float, modes: tuple[str, ...]) -> list[Row]:
    for mode in modes:  # warm up: LiteLLM's lazy imports, pools, TLS context
        _call(mode, CODEX)
        _call(mode, COPILOT)
    rows: list[Row] = []
    for (provider, fault), script in matrix.faults(timeout).items():
        model = CODEX if provider == "codex" else COPILOT
        sim = matrix.codex if provider == "codex" else matrix.copilot
        for mode in modes:
            matrix.clear()
            script()
            sim.reset_calls()
            start = time.monotonic()
            error: BaseException | None = None
            try:
                _call(mode, model, timeout=timeout, num_retries=0)
            except Exception as exc:
                error = exc
            took = time.monotonic() - start
            upstream = len(
                [c for c in sim.calls if c.path.endswith(("/responses", "/chat/completions"))]
            )
            rows.append(
                Row(
                    provider,
                    fault,
                    mode,
                    _outcome(error),
                    round(took, 2),
                    upstream,
                    timeout,
                    took <= timeout + 1.0,
                )
            )
            print(
                f"  {provider:8} {fault:26} {mode:12} {rows[-1].outcome:40} {took:5.2f}s",
                file=sys.stderr,
            )
    matrix.clear()
    return rows


def run_load(matrix: Matrix, calls: int, max_seconds: float) -> dict[str, Any]:
    from litellm_codex.testing._server import DROP, Response

    js = {"content-type": "application/json"}
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        # Warm-up (not counted): every mode of both providers from every thread, so the
        # pools, LiteLLM's lazy imports and caches exist before the first measurement.
        list(pool.map(lambda i: _call(MODES[i % 4], CODEX if i % 8 < 4 else COPILOT), range(40)))
    fds_before, rss_before = _fds(), _rss_mib()
    started = time.monotonic()
    done = failed = faults = 0
    outcomes: dict[str, int] = {}
    samples: list[str] = []

    def one(i: int) -> str:
        model = CODEX if i % 2 else COPILOT
        mode = MODES[(i // 2) % 4]
        error = _try(lambda: _call(mode, model, timeout=20, num_retries=0))
        if error is not None and len(samples) < 5:
            samples.append(f"{model} {mode}: {_outcome(error)}: {str(error)[:200]}")
        return _outcome(error)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        batch = 40
        for first in range(0, calls, batch):
            if time.monotonic() - started > max_seconds:
                break
            for i in range(first, min(first + batch, calls)):
                if i % 20 == 7:  # 5 % faults, all of a kind the package retries
                    faults += 1
                    if i % 40 == 7:
                        matrix.codex.script("POST", "/responses", Response(503, js, b"{}"))
                    else:
                        matrix.copilot.script(
                            "POST",
                            "/chat/completions",
                            Response(200, js, stream=[b"{", DROP]),
                        )
            for result in pool.map(one, range(first, min(first + batch, calls))):
                done += 1
                outcomes[result] = outcomes.get(result, 0) + 1
                failed += result != "ok"
            for sim in (matrix.codex, matrix.copilot):
                sim.reset_calls()
    elapsed = time.monotonic() - started
    import gc

    gc.collect()
    return {
        "calls": done,
        "injected_faults": faults,
        "failed": failed,
        "outcomes": outcomes,
        "seconds": round(elapsed, 1),
        "calls_per_second": round(done / elapsed, 1) if elapsed else 0.0,
        "fds_before": fds_before,
        "fds_after": _fds(),
        "rss_mib_before": round(rss_before, 1),
        "rss_mib_after": round(_rss_mib(), 1),
        "failures": samples,
    }


def _try(fn: Callable[[], Any]) -> BaseException | None:
    try:
        fn()
    except Exception as exc:
        return exc
    return None


def render(rows: list[Row], load: dict[str, Any], timeout: float) -> str:
    out = (
        []
        if not rows
        else [
            f"Fault matrix: {len(rows)} calls, `timeout={timeout:g}`, "
            f"{sum(r.within for r in rows)} of {len(rows)} within timeout + 1 s "
            f"(slowest {max((r.seconds for r in rows), default=0):.2f} s).",
            "",
            "| provider | fault | completion | acompletion | streaming | astreaming | calls |",
            "|---|---|---|---|---|---|---|",
        ]
    )
    grouped: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        grouped.setdefault((row.provider, row.fault), []).append(row)
    for (provider, fault), group in grouped.items():
        cells = [f"{r.outcome} {r.seconds:.1f}s" + ("" if r.within else " (!)") for r in group]
        calls = "/".join(str(r.upstream_calls) for r in group)
        out.append(f"| {provider} | {fault} | " + " | ".join(cells) + f" | {calls} |")
    out += [
        "",
        f"Load: {load['calls']} calls ({load['injected_faults']} with an injected fault) in "
        f"{load['seconds']} s ({load['calls_per_second']} calls/s), {load['failed']} failed; "
        f"open fds {load['fds_before']} -> {load['fds_after']}, "
        f"RSS {load['rss_mib_before']} -> {load['rss_mib_after']} MiB.",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer load calls")
    parser.add_argument("--timeout", type=float, default=2.0, help="`timeout` of each call")
    parser.add_argument("--calls", type=int, help="load calls (default 2000, quick 300)")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="cap on the load run")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--no-matrix", action="store_true", help="the load run only")
    args = parser.parse_args(argv)
    calls = args.calls if args.calls is not None else (300 if args.quick else 2000)

    with tempfile.TemporaryDirectory(prefix="litellm-codex-faults-") as tmp:
        os.environ["LITELLM_CODEX_HOME"] = str(Path(tmp) / "home")
        os.environ["LITELLM_CODEX_STORE"] = "file"
        os.environ.setdefault("LITELLM_CODEX_RETRY_BASE_DELAY", "0.05")
        # Limits of 1 MiB, so the 4 MiB faults show them (defaults: 32 / 64 MiB).
        os.environ["LITELLM_CODEX_MAX_EVENT_BYTES"] = str(1 << 20)
        os.environ["LITELLM_CODEX_MAX_BODY_BYTES"] = str(1 << 20)
        for name in ("OPENAI_CODEX_API_BASE", "GITHUB_COPILOT_API_BASE"):
            os.environ.pop(name, None)
        import litellm

        litellm.suppress_debug_info = True
        import logging

        logging.getLogger("LiteLLM").setLevel(logging.CRITICAL)
        logging.getLogger("litellm_codex").setLevel(logging.ERROR)

        matrix = Matrix(Path(tmp))
        with matrix.running():
            rows = [] if args.no_matrix else run_matrix(matrix, args.timeout, MODES)
            load = run_load(matrix, calls, args.max_seconds)
    print(render(rows, load, args.timeout))
    if args.json:
        Path(args.json).write_text(
            json.dumps({"rows": [asdict(r) for r in rows], "load": load}, indent=2)
        )
    return 0 if all(r.within for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
