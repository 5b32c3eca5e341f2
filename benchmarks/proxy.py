"""Requests/s and latency through a real ``litellm --config`` proxy (``--proxy``).

The same simulators as the SDK benchmark (one ``_sim.py`` process); for each side, a
proxy with 1 and with 4 workers (``--num_workers``), loaded with concurrent chat
completions (whole and streamed) from an asyncio ``httpx`` client in this process::

    side              model_list                                    process
    litellm-codex     openai-codex/gpt-5.1-codex, github_copilot/gpt-4o   repo on PYTHONPATH
    LiteLLM built-in  chatgpt/gpt-5.1-codex, github_copilot/gpt-4o        repo off sys.path

Each proxy is started, warmed up, measured and stopped in turn (its own process group, so
workers stop with it). Requests/s is completed requests over the wall time of the
measured batch; p50 / p99 are per-request latencies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from benchmarks.runner import EXPECTED_ANSWER, JSON, MESSAGES, start_simulators

MASTER_KEY = "sk-litellm-codex-bench"
WORKERS = (1, 4)
SIDES = ("ours", "builtin")
SIDE_LABEL = {"ours": "litellm-codex", "builtin": "LiteLLM built-in"}
MODELS = {
    "ours": {"codex": "openai-codex/gpt-5.1-codex", "copilot": "github_copilot/gpt-4o"},
    "builtin": {"codex": "chatgpt/gpt-5.1-codex", "copilot": "github_copilot/gpt-4o"},
}
SCENARIOS = ("codex/whole", "codex/stream", "copilot/whole", "copilot/stream")


@dataclass
class ProxySettings:
    requests: int = 400
    warmup: int = 40
    concurrency: int = 16
    workers: tuple[int, ...] = WORKERS
    start_timeout: float = 240.0

    @classmethod
    def quick(cls) -> ProxySettings:
        return cls(requests=40, warmup=8, concurrency=8, workers=(1,))


@dataclass
class ProxyRow:
    side: str
    workers: int
    scenario: str
    requests: int = 0
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    status: str = "ok"


def _config(side: str) -> JSON:
    models = MODELS[side]
    model_list: list[JSON] = [
        {"model_name": "codex", "litellm_params": {"model": models["codex"]}},
        {"model_name": "copilot", "litellm_params": {"model": models["copilot"]}},
    ]
    config: JSON = {"model_list": model_list, "general_settings": {"master_key": MASTER_KEY}}
    if side == "ours":
        config["litellm_settings"] = {
            "custom_provider_map": [
                {"provider": "openai-codex", "custom_handler": "litellm_codex.openai_codex"},
                {"provider": "github_copilot", "custom_handler": "litellm_codex.github_copilot"},
            ]
        }
    else:
        # Not in every LiteLLM's model map; unmapped, chatgpt/ posts to /chat/completions
        # (a 404). The user-level fix, as in the SDK benchmark.
        model_list[0]["model_info"] = {"mode": "responses"}
    return config


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _litellm_cli() -> str:
    candidate = Path(sys.executable).with_name("litellm")
    if not candidate.exists():
        raise RuntimeError("the `litellm` CLI (litellm[proxy]) is not installed")
    return str(candidate)


@contextlib.contextmanager
def proxy(
    side: str, workers: int, env: dict[str, str], workdir: Path, timeout: float
) -> Iterator[str]:
    """Start a proxy for ``side``; yield its URL once live; stop it and its workers."""
    import httpx

    config_path = workdir / f"{side}-{workers}.json"
    config_path.write_text(json.dumps(_config(side)))
    port = _free_port()
    log_path = workdir / f"proxy-{side}-{workers}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *(_litellm_cli(), "--config", str(config_path)),
                *("--host", "127.0.0.1", "--port", str(port), "--num_workers", str(workers)),
            ],
            env=env,
            cwd=str(workdir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"proxy exited: {_tail(log_path)}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health/liveliness", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"proxy not live in {timeout:.0f} s: {_tail(log_path)}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if sys.platform != "win32":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # workers of a killed parent


def _tail(path: Path, lines: int = 12) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _answer(body: bytes, stream: bool) -> str:
    if not stream:
        return str(json.loads(body)["choices"][0]["message"]["content"])
    parts = []
    for line in body.decode().splitlines():
        if line.startswith("data: {"):
            for choice in json.loads(line[6:]).get("choices", []):
                parts.append((choice.get("delta") or {}).get("content") or "")
    return "".join(parts)


async def _load(
    url: str, scenario: str, n: int, concurrency: int
) -> tuple[list[float], float, int]:
    """``n`` requests, ``concurrency`` at a time: (latencies, wall seconds, failures)."""
    import httpx

    group, kind = scenario.split("/")
    stream = kind == "stream"
    payload = {"model": group, "messages": MESSAGES, "stream": stream}
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker() -> None:
            nonlocal failures
            while True:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    response = await client.post(
                        url + "/v1/chat/completions", json=payload, headers=headers
                    )
                    ok = (
                        response.status_code == 200
                        and _answer(response.content, stream).strip() == EXPECTED_ANSWER
                    )
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - t0)
                else:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return latencies, wall, failures


def _quantile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def measure(url: str, side: str, workers: int, settings: ProxySettings) -> list[ProxyRow]:
    rows = []
    for scenario in SCENARIOS:
        row = ProxyRow(side, workers, scenario)
        asyncio.run(_load(url, scenario, settings.warmup, settings.concurrency))
        latencies, wall, failures = asyncio.run(
            _load(url, scenario, settings.requests, settings.concurrency)
        )
        row.requests, row.errors = len(latencies), failures
        if latencies:
            row.rps = len(latencies) / wall
            row.p50_ms = statistics.median(latencies) * 1000
            row.p99_ms = _quantile(latencies, 99) * 1000
        if failures:
            row.status = f"{failures} of {settings.requests} failed"
        rows.append(row)
    return rows


def run(settings: ProxySettings, *, log: IO[str] = sys.stderr) -> tuple[JSON, list[ProxyRow]]:
    import tempfile

    from benchmarks.runner import _version

    meta: JSON = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "litellm": _version("litellm"),
        "cpus": os.cpu_count(),
        "requests": settings.requests,
        "warmup": settings.warmup,
        "concurrency": settings.concurrency,
    }
    rows: list[ProxyRow] = []
    with tempfile.TemporaryDirectory(prefix="litellm-codex-proxy-bench-") as tmp:
        workdir = Path(tmp)
        base_env, sim_env, sim = start_simulators(workdir, log)
        try:
            ready = sim.ready
            common = {
                "LITELLM_MASTER_KEY": MASTER_KEY,
                "TIMEOUT_WORKER_HEALTHCHECK": "120",
                "LITELLM_LOG": "ERROR",
            }
            envs = {
                "ours": {
                    **sim_env,
                    **common,
                    "OPENAI_CODEX_API_BASE": ready["codex_api_base"],
                    "OPENAI_CODEX_AUTH_BASE": ready["codex_auth_base"],
                    "GITHUB_COPILOT_GITHUB_URL": ready["copilot_url"],
                    "GITHUB_COPILOT_GITHUB_API_URL": ready["copilot_url"],
                },
                "builtin": {
                    **base_env,
                    **common,
                    "CHATGPT_TOKEN_DIR": ready["chatgpt_token_dir"],
                    "CHATGPT_API_BASE": ready["codex_api_base"],
                    "GITHUB_COPILOT_TOKEN_DIR": ready["copilot_token_dir"],
                },
            }
            for side in SIDES:
                if side == "builtin":
                    # Same payload as ours (see the SDK benchmark's notes).
                    instructions = sim.ask("bodies").get("codex", {}) or {}
                    text = instructions.get("instructions")
                    if isinstance(text, str) and text:
                        envs[side]["CHATGPT_DEFAULT_INSTRUCTIONS"] = text
                for workers in settings.workers:
                    print(
                        f"proxy: {SIDE_LABEL[side]}, {workers} worker(s) ...", file=log, flush=True
                    )
                    try:
                        with proxy(
                            side, workers, envs[side], workdir, settings.start_timeout
                        ) as url:
                            rows += measure(url, side, workers, settings)
                    except RuntimeError as exc:
                        rows += [
                            ProxyRow(side, workers, s, status=f"failed: {exc}"[:300])
                            for s in SCENARIOS
                        ]
        finally:
            sim.stop()
    return meta, rows


def render(meta: JSON, rows: list[ProxyRow]) -> str:
    lines = [
        f"litellm-codex proxy benchmark  {meta['date']}  litellm {meta['litellm']}  "
        f"{meta['cpus']} CPUs",
        f"litellm --config ... --num_workers N on 127.0.0.1; {meta['requests']} requests per "
        f"row ({meta['warmup']} warm-up), {meta['concurrency']} concurrent; /v1/chat/completions",
        "",
    ]
    header = (
        f"{'scenario':<15} {'client':<17} {'workers':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
    )
    lines += [header, "-" * len(header)]
    for scenario in SCENARIOS:
        for row in rows:
            if row.scenario != scenario:
                continue
            head = f"{scenario:<15} {SIDE_LABEL[row.side]:<17} {row.workers:>7}"
            if row.rps is None:
                lines.append(f"{head} {row.status}")
                continue
            tail = "" if row.status == "ok" else f"  ({row.status})"
            lines.append(f"{head} {row.rps:8.1f} {row.p50_ms:8.1f} {row.p99_ms:8.1f}{tail}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_json(meta: JSON, rows: list[ProxyRow]) -> JSON:
    return {"meta": meta, "rows": [row.__dict__ for row in rows]}
