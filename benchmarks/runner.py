"""Drive the benchmark: one simulator process, one worker process per measured side.

Layout (all on 127.0.0.1, everything in a temporary directory that is removed at the end)::

    runner (this process: no litellm, no litellm_codex)
      |- _sim.py      ChatGPTSimulator + CopilotSimulator, logs every client in
      |- _worker.py   side "ours"     litellm + litellm_codex   (repo on PYTHONPATH)
      |- _worker.py   side "raw"      httpx only                (repo off sys.path)
      |- _worker.py   side "builtin"  litellm only              (repo off sys.path)
      `- python -c "import ..."       import cost, several runs each

``ours`` runs first so the ``raw`` side can replay the exact request bodies ours sent
(same payload), and the ``builtin`` side can be given the same default instructions.
Every child has a hard timeout and is killed (by its pid) if it overruns; the simulator
is stopped by closing its stdin, then killed if it does not exit.
"""

from __future__ import annotations

import json
import os
import platform
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

JSON = dict[str, Any]

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
SIM_SCRIPT = HERE / "_sim.py"
WORKER_SCRIPT = HERE / "_worker.py"

#: A prompt long enough for a stream of a few dozen chunks (the simulator echoes it back
#: two words per delta), short enough that the simulator's own work stays small.
PROMPT = (
    "Please repeat this paragraph back to me exactly. The quick brown fox jumps over the "
    "lazy dog while the patient engineer measures how long each request takes through "
    "every layer of the stack, from the client library down to the socket and back again, "
    "so that the slow parts can be found and fixed without guessing."
)
MESSAGES = [{"role": "user", "content": PROMPT}]
EXPECTED_ANSWER = f"echo: {PROMPT}"

LITELLM_MODES = ("completion", "stream", "stream-nolog", "acompletion", "astream")
MODE_LABEL = {"stream-nolog": "stream, no stream logging"}
SCENARIOS = {
    "ours": [f"{p}/{m}" for p in ("codex", "copilot") for m in LITELLM_MODES],
    "builtin": [f"{p}/{m}" for p in ("codex", "copilot") for m in LITELLM_MODES],
    "raw": ["codex/stream", "copilot/completion", "copilot/stream"],
}
#: Which raw scenario each LiteLLM mode is compared with. The Codex backend only streams,
#: so every Codex call (even non-stream) is one SSE stream upstream.
BASELINE = {
    "codex": dict.fromkeys(LITELLM_MODES, "codex/stream"),
    "copilot": {
        "completion": "copilot/completion",
        "acompletion": "copilot/completion",
        "stream": "copilot/stream",
        "stream-nolog": "copilot/stream",
        "astream": "copilot/stream",
    },
}
#: Scenarios whose CPU is attributed by package ("our CPU share of a call / a chunk").
SHARE_SCENARIOS = [f"{p}/{m}" for p in ("codex", "copilot") for m in ("completion", "astream")]
SIDE_LABEL = {
    "raw": "raw httpx",
    "ours": "litellm-codex",
    "builtin": "LiteLLM built-in",
    "floor": "LiteLLM floor",
}
MODEL_LABEL = {
    ("codex", "ours"): "openai-codex/gpt-5.1-codex",
    ("codex", "builtin"): "chatgpt/gpt-5.1-codex",
    ("copilot", "ours"): "github_copilot/gpt-4o",
    ("copilot", "builtin"): "github_copilot/gpt-4o",
}
GROUP_TITLE = {
    "codex": "Codex simulator (POST /responses, SSE): litellm-codex openai-codex/gpt-5.1-codex, "
    "LiteLLM chatgpt/gpt-5.1-codex",
    "copilot": "Copilot simulator (POST /chat/completions): litellm-codex and LiteLLM "
    "github_copilot/gpt-4o",
    "import": "Import cost (fresh python -c processes, wall time)",
    "cold": "Cold start (fresh process per sample, non-stream call; x = vs LiteLLM built-in "
    "of the same provider): import + registration, then the first call",
    "session": "Agent session on openai-codex/ (20 turns, history growing to ~100k tokens; "
    "--quick: 3 turns, 10k; non-stream calls through the simulator): request bytes on the "
    "wire and time per turn",
    "zstd": "Codex request body compression (zstd level 3, content-encoding: zstd): a "
    "100k-token history (~4 chars/token; this package's sources read back as tool results)",
}
#: label -> (code, needs the repo on PYTHONPATH, the child prints its own timing).
IMPORTS: dict[str, tuple[str, bool, bool]] = {
    "python -c pass": ("pass", False, False),
    "import litellm_codex": (
        "import sys, litellm_codex; assert 'litellm' not in sys.modules, 'litellm imported'",
        True,
        False,
    ),
    "import litellm_codex (in-proc)": (
        "import time; t = time.perf_counter(); import litellm_codex; "
        "print(time.perf_counter() - t)",
        True,
        True,
    ),
    "import litellm": ("import litellm", False, False),
    "import litellm, litellm_codex": ("import litellm, litellm_codex", True, False),
    # The same difference measured inside one process: far less noisy than subtracting
    # two ~3 s process timings.
    "registration (in-proc)": (
        "import time, litellm; t = time.perf_counter(); import litellm_codex; "
        "litellm_codex.register(); print(time.perf_counter() - t)",
        True,
        True,
    ),
}


@dataclass
class Settings:
    """How much to measure; ``quick()`` keeps the whole run under ~30 s."""

    warmup: int = 20
    iterations: int = 150
    import_runs: int = 5
    #: ``--quick`` skips the two LiteLLM imports (about 4 s each here, and noisy).
    imports: tuple[str, ...] = tuple(IMPORTS)
    worker_timeout: float = 150.0
    call_timeout: float = 30.0
    profile: str | None = None
    #: Profiled calls per scenario for "our CPU share" (0: skip; cProfile, in the ours worker).
    share_iterations: int = 40
    #: Turns of the agent-session rows (0: skip them).
    session_turns: int = 20
    #: Tokens the session's history grows to.
    session_tokens: int = 100_000
    #: Fresh processes per side and provider for the cold-start rows (0: skip them).
    cold_runs: int = 5
    #: Profile one extra cold process per side and provider, CPU by package.
    profile_cold: bool = False
    #: False: leave the steady-state rows out of the report (``--cold-only``).
    steady: bool = True

    @classmethod
    def quick(cls) -> Settings:
        return cls(
            warmup=3,
            iterations=12,
            import_runs=1,
            imports=("python -c pass", "import litellm_codex", "import litellm_codex (in-proc)"),
            worker_timeout=60.0,
            cold_runs=0,
            share_iterations=5,
            session_turns=3,
            session_tokens=10_000,
        )


@dataclass
class Row:
    group: str
    side: str
    label: str
    model: str | None = None
    median_ms: float | None = None
    p90_ms: float | None = None
    ratio: float | None = None
    extra_ms: float | None = None
    ttfc_ms: float | None = None
    ttfc_ratio: float | None = None
    chunks: int | None = None
    status: str = "ok"
    #: Body sizes, for the compression row.
    bytes_in: int | None = None
    bytes_out: int | None = None


@dataclass
class Report:
    meta: JSON
    rows: list[Row] = field(default_factory=list)
    sides: dict[str, JSON] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    simulator: dict[str, JSON] = field(default_factory=dict)
    profile: str | None = None
    cold_profiles: dict[str, JSON] = field(default_factory=dict)
    shares: dict[str, JSON] = field(default_factory=dict)


# -- child processes --------------------------------------------------------------------------


def _clean_env(workdir: Path) -> dict[str, str]:
    """The parent's environment without anything that could point a client elsewhere."""
    drop_prefixes = ("OPENAI_CODEX_", "GITHUB_COPILOT_", "CHATGPT_", "LITELLM_CODEX_", "CODEX_")
    drop = {
        "PYTHONPATH",
        "OPENAI_CHATGPT_API_BASE",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "COPILOT_GITHUB_TOKEN",
        # Installed packages come with their bytecode; without it every fresh process
        # would compile litellm-codex's sources again and the import rows would measure
        # the compiler (the unmeasured first round writes the caches).
        "PYTHONDONTWRITEBYTECODE",
    }
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in drop and not k.startswith(drop_prefixes) and "proxy" not in k.lower()
    }
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    env.update(
        {
            # A temp HOME: nothing reads or writes the user's real config
            # (~/.config/litellm/..., ~/.codex, keyrings).
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no download of the cost map
            "NO_PROXY": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class SimProcess:
    """The simulator child: JSON lines in and out, with a timeout on every answer."""

    def __init__(self, env: dict[str, str], workdir: Path, timeout: float = 60.0) -> None:
        self._log = (workdir / "sim.log").open("w")
        self._proc = subprocess.Popen(
            [sys.executable, str(SIM_SCRIPT), str(workdir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            text=True,
            cwd=str(workdir),
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        # A reader thread, so a silent child can time out instead of blocking readline().
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self.ready = self._answer(timeout)
        except BaseException:
            self.stop()
            raise

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _answer(self, timeout: float) -> JSON:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"simulator gave no answer in {timeout:.0f} s") from None
        if line is None:
            raise RuntimeError(f"simulator exited: see {self._log.name}")
        answer: JSON = json.loads(line)
        return answer

    def ask(self, command: str, timeout: float = 30.0) -> JSON:
        assert self._proc.stdin is not None
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        return self._answer(timeout)

    def stop(self) -> None:
        try:
            if self._proc.stdin is not None:
                self._proc.stdin.close()  # EOF: the simulator stops its servers and exits
            self._proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired, KeyboardInterrupt):
            pass
        finally:
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait(timeout=10)
            self._reader.join(timeout=5)  # it ends at EOF, now that the child is gone
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._log.close()


def start_simulators(
    workdir: Path, log: IO[str]
) -> tuple[dict[str, str], dict[str, str], SimProcess]:
    """Start the simulator child in ``workdir``; return the clean environment of the
    benchmark's children, the simulators' (``base`` plus our file store in
    ``workdir/ours``, where the child writes the logins) and the ready child (stop it)."""
    base_env = _clean_env(workdir)
    sim_env = {
        **base_env,
        "PYTHONPATH": str(REPO),
        "LITELLM_CODEX_STORE": "file",
        "LITELLM_CODEX_HOME": str(workdir / "ours"),
    }
    print("starting simulators ...", file=log, flush=True)
    return base_env, sim_env, SimProcess(sim_env, workdir)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_worker(side: str, env: dict[str, str], config: JSON, workdir: Path, timeout: float) -> JSON:
    """Run one side; its report, or ``{"error": ...}`` when it failed or overran."""
    config_path = workdir / f"{side}-config.json"
    out_path = workdir / f"{side}-result.json"
    log_path = workdir / f"{side}.log"
    config_path.write_text(json.dumps({**config, "side": side, "out": str(out_path)}))
    config_path.chmod(0o600)  # holds simulator tokens
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT), str(config_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            cwd=str(workdir),
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"worker timed out after {timeout:.0f} s"}
        finally:
            # Also on Ctrl-C: never leave a worker behind.
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    if code != 0 or not out_path.exists():
        return {"error": f"worker exited {code}: {_tail(log_path)}"}
    result: JSON = json.loads(out_path.read_text())
    return result


def time_imports(
    env: dict[str, str], runs: int, labels: Sequence[str]
) -> dict[str, list[float] | str]:
    """Wall time of ``python -c <import>`` in fresh processes.

    Rounds are interleaved (each label once per round) so that drift on a busy machine
    hits every label alike; one unmeasured round first fills the bytecode caches.
    """
    out: dict[str, list[float] | str] = {label: [] for label in labels}
    for round_number in range(runs + 1):
        for label in labels:
            times = out[label]
            if isinstance(times, str):
                continue  # already failed
            code, needs_repo, reports = IMPORTS[label]
            child_env = {**env, "PYTHONPATH": str(REPO)} if needs_repo else env
            t0 = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", code],
                env=child_env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            elapsed = time.perf_counter() - t0
            if done.returncode != 0:
                out[label] = "failed: " + " ".join(done.stderr.split())[-200:]
            elif round_number > 0:
                times.append(float(done.stdout.split()[-1]) if reports else elapsed)
    return out


COLD_SIDES = ("raw", "ours", "builtin")


def time_cold(
    envs: dict[str, dict[str, str]],
    config: JSON,
    workdir: Path,
    runs: int,
    timeout: float,
    profile: bool = False,
) -> tuple[dict[str, JSON], dict[str, JSON]]:
    """Cold start per side and provider: each sample is a fresh worker process.

    Rounds are interleaved (every side and provider once per round), after one unmeasured
    round that fills the bytecode caches. Returns ``{"side/provider": {"setup": [...],
    "first_call": [...]}}`` (or ``{"error": ...}``) and, with ``profile``, one profiled
    process per side and provider.
    """
    keys = [f"{side}/{provider}" for side in COLD_SIDES for provider in ("codex", "copilot")]
    if "floor" in envs:
        keys.append("floor/floor")  # LiteLLM's floor: a no-op CustomLLM (see _worker.py)
    out: dict[str, JSON] = {key: {"setup": [], "first_call": []} for key in keys}
    for round_number in range(runs + 1):
        for key in keys:
            if "error" in out[key]:
                continue
            side, provider = key.split("/")
            result = run_worker(side, envs[side], {**config, "cold": provider}, workdir, timeout)
            error = result.get("error")
            if error:
                out[key] = {"error": str(error)}
            elif round_number > 0:
                out[key]["setup"].append(result["setup"])
                out[key]["first_call"].append(result["first_call"])
                out[key]["tokenizer_loaded"] = result.get("tokenizer_loaded")
    profiles: dict[str, JSON] = {}
    if profile:
        for key in keys:
            side, provider = key.split("/")
            profiles[key] = run_worker(
                side,
                envs[side],
                {**config, "cold": provider, "profile_cold": True},
                workdir,
                timeout,
            )
    return out, profiles


def run_session(
    env: dict[str, str], config: JSON, workdir: Path, settings: Settings, timeout: float
) -> JSON:
    """The agent-session worker: the history split into ``session_turns`` growing turns."""
    messages = history_messages(settings.session_tokens)
    # Turn k sends the first k/turns of the history (whole tool call + result pairs).
    body = messages[2:-1]
    cuts = []
    for turn in range(1, settings.session_turns + 1):
        pairs = max(1, round(len(body) / 2 * turn / settings.session_turns))
        cuts.append(2 + 2 * pairs)
    return run_worker(
        "ours",
        env,
        {**config, "session": cuts, "session_messages": messages[:-1]},
        workdir,
        timeout,
    )


def session_rows(session: JSON) -> list[Row]:
    if not session:
        return []
    if "error" in session:
        return [Row(group="session", side="ours", label="session", status=str(session["error"]))]
    rows = []
    for mode, label in (("zstd", "zstd bodies"), ("json", "JSON bodies")):
        turns = session.get(mode) or []
        if not turns:
            continue
        total = sum(t["bytes"] for t in turns)
        last = turns[-1]["bytes"]
        times = [t["seconds"] for t in turns]
        rows.append(
            Row(
                group="session",
                side="ours",
                label=f"{label}: {total / 1024:.0f} kB sent, last turn {last / 1024:.0f} kB",
                median_ms=_ms(_median(times)),
                p90_ms=_ms(_p90(times)),
                bytes_in=total,
                bytes_out=last,
            )
        )
    return rows


def cold_rows(cold: dict[str, JSON]) -> list[Row]:
    rows: list[Row] = []
    for provider in ("codex", "copilot"):
        builtin = cold.get(f"builtin/{provider}", {})
        for what, label in (("setup", "import + registration"), ("first_call", "first call")):
            for side in COLD_SIDES:
                data = cold.get(f"{side}/{provider}")
                suffix = ""
                if what == "first_call" and data is not None and data.get("tokenizer_loaded"):
                    suffix = " +tiktoken"  # LiteLLM loaded its default tokenizer in the call
                row = Row(group="cold", side=side, label=f"{provider}: {label}{suffix}")
                if data is None:
                    row.status = "not run"
                elif "error" in data:
                    row.status = "failed: " + data["error"][:200]
                elif data[what]:
                    row.median_ms = _ms(_median(data[what]))
                    row.p90_ms = _ms(_p90(data[what]))
                    if side != "builtin" and builtin.get(what):
                        base = _ms(_median(builtin[what]))
                        row.ratio = row.median_ms / base
                        row.extra_ms = row.median_ms - base
                rows.append(row)
    floor = cold.get("floor/floor")
    if floor is not None:
        # What litellm.completion itself costs a fresh process: a custom provider that
        # answers at once (no network, credentials or translation); every provider pays it.
        for what, label in (("setup", "import + registration"), ("first_call", "first call")):
            row = Row(group="cold", side="floor", label=f"no-op handler: {label}")
            if "error" in floor:
                row.status = "failed: " + floor["error"][:200]
            elif floor[what]:
                row.median_ms = _ms(_median(floor[what]))
                row.p90_ms = _ms(_p90(floor[what]))
            rows.append(row)
    return rows


# -- statistics and rows -----------------------------------------------------------------------


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _p90(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def _ms(seconds: float) -> float:
    return seconds * 1000.0


def build_rows(results: dict[str, JSON], notes: list[str]) -> list[Row]:
    rows: list[Row] = []
    raw = results.get("raw", {}).get("results", {})
    for group in ("codex", "copilot"):
        for name in SCENARIOS["raw"]:
            if name.startswith(group + "/"):
                kind = "SSE, read fully" if name.endswith("stream") else "JSON"
                rows.append(_row(group, "raw", f"POST ({kind})", raw.get(name), None, None))
        for side in ("ours", "builtin"):
            side_report = results.get(side, {})
            for mode in LITELLM_MODES:
                name = f"{group}/{mode}"
                data = side_report.get("results", {}).get(name)
                if data is None and "error" in side_report:
                    data = {"error": side_report["error"]}
                label = MODE_LABEL.get(mode, mode)
                row = _row(group, side, label, data, raw.get(BASELINE[group][mode]), notes)
                row.model = MODEL_LABEL[(group, side)]
                rows.append(row)
    return rows


def _row(
    group: str,
    side: str,
    label: str,
    data: JSON | None,
    baseline: JSON | None,
    notes: list[str] | None,
) -> Row:
    row = Row(group=group, side=side, label=label)
    if data is None:
        row.status = "not run"
        return row
    if "error" in data:
        row.status = "rejected: " + data["error"]
        return row
    times = data["times"]
    row.median_ms = _ms(_median(times))
    row.p90_ms = _ms(_p90(times))
    row.chunks = data.get("chunks")
    if data.get("ttfc"):
        row.ttfc_ms = _ms(_median(data["ttfc"]))
    if notes is not None and data.get("answer", "").strip() != EXPECTED_ANSWER:
        notes.append(f"{SIDE_LABEL[side]} {label}: unexpected answer {data.get('answer')!r:.80}")
    if baseline and "times" in baseline:
        base = _ms(_median(baseline["times"]))
        row.ratio = row.median_ms / base
        row.extra_ms = row.median_ms - base
        if row.ttfc_ms is not None and baseline.get("ttfc"):
            row.ttfc_ratio = row.ttfc_ms / _ms(_median(baseline["ttfc"]))
    return row


#: Each import row is compared with the one it adds to.
IMPORT_BASELINE = {
    "import litellm_codex": "python -c pass",
    "import litellm": "python -c pass",
    "import litellm, litellm_codex": "import litellm",
}


def import_rows(imports: dict[str, list[float] | str]) -> list[Row]:
    rows = []
    for label, value in imports.items():
        row = Row(group="import", side="subprocess", label=label)
        if isinstance(value, str):
            row.status = value
        elif value:
            row.median_ms = _ms(_median(value))
            row.p90_ms = _ms(_p90(value))
            reference = imports.get(IMPORT_BASELINE.get(label, ""))
            if isinstance(reference, list) and reference:
                base = _ms(_median(reference))
                row.ratio = row.median_ms / base
                row.extra_ms = row.median_ms - base
        rows.append(row)
    return rows


def history_messages(tokens: int = 100_000) -> list[JSON]:
    """A coding-session history of about ``tokens`` tokens (4 characters each): the
    package's own sources read back as tool results, as an agent reading files would."""
    sources = sorted((Path(__file__).resolve().parents[1] / "litellm_codex").rglob("*.py"))
    messages: list[JSON] = [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": "Read the package and summarise it."},
    ]
    size, index = 0, 0
    while size < tokens * 4:
        path = sources[index % len(sources)]
        text = path.read_text(encoding="utf-8")
        call_id = f"call_{index}"
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": "read_file", "arguments": json.dumps({"i": index})},
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
        size += len(text)
        index += 1
    messages.append({"role": "user", "content": "Now summarise."})
    return messages


def compression_rows(runs: int) -> list[Row]:
    """Bytes saved by the zstd request bodies on a 100k-token history (in-process)."""
    try:
        import zstandard

        from litellm_codex.codex_catalog import codex_catalog
        from litellm_codex.providers.codex import profile_for
        from litellm_codex.translate.responses_request import build_responses_request
    except ImportError as exc:
        return [Row(group="zstd", side="ours", label="zstd", status=f"skipped: {exc}")]
    model = "gpt-6.2-sol"
    tool = {"type": "function", "function": {"name": "read_file", "parameters": {}}}
    built = build_responses_request(
        model,
        history_messages(),
        {"tools": [tool]},
        profile=profile_for(codex_catalog().spec(model)),
    )
    raw = json.dumps(built.body, ensure_ascii=False).encode("utf-8")
    times = []
    packed = b""
    for _ in range(max(runs, 3)):
        t0 = time.perf_counter()
        packed = zstandard.ZstdCompressor(level=3).compress(raw)
        times.append(time.perf_counter() - t0)
    saved = 1 - len(packed) / len(raw)
    label = f"{len(raw) / 1024:.0f} kB -> {len(packed) / 1024:.0f} kB (-{saved:.0%})"
    return [
        Row(
            group="zstd",
            side="ours",
            label=label,
            model=f"openai-codex/{model}",
            median_ms=_ms(_median(times)),
            p90_ms=_ms(_p90(times)),
            bytes_in=len(raw),
            bytes_out=len(packed),
        )
    ]


# -- output ----------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def render(report: Report) -> str:
    meta = report.meta
    lines = [
        f"litellm-codex benchmark  {meta['date']}  litellm {meta['litellm']}  "
        f"httpx {meta['httpx']}  Python {meta['python']}  {meta['platform']}  "
        f"{meta['cpus']} CPUs",
        f"{meta['warmup']} warm-up + {meta['iterations']} measured calls per scenario; "
        "x raw / +ms = median vs the raw httpx request of the same kind; "
        "TTFC = time to first chunk",
        "",
    ]
    header = (
        f"{'upstream':<8} {'client':<17} {'scenario':<29} {'median ms':>9} {'p90 ms':>8} "
        f"{'x raw':>6} {'+ms':>6} {'TTFC ms':>8} {'TTFC x':>7} {'chunks':>6}"
    )
    lines += [header, "-" * len(header)]
    group = None
    for row in report.rows:
        if row.group != group:
            if group is not None:
                lines.append("")
            lines.append(GROUP_TITLE.get(row.group, row.group))
        group = row.group
        client = SIDE_LABEL.get(row.side, row.side)
        if row.status != "ok":
            lines.append(f"{row.group:<8} {client:<17} {row.label:<29} {row.status}")
            continue
        lines.append(
            f"{row.group:<8} {client:<17} {row.label:<29} {_fmt(row.median_ms, '9.2f')} "
            f"{_fmt(row.p90_ms, '8.2f')} {_fmt(row.ratio, '6.2f'):>6} "
            f"{_fmt(row.extra_ms, '+6.1f'):>6} {_fmt(row.ttfc_ms, '8.2f'):>8} "
            f"{_fmt(row.ttfc_ratio, '7.2f'):>7} {_fmt(row.chunks, 'd'):>6}"
        )
    if report.sides:
        lines += ["", "worker processes (import + registration, peak RSS):"]
        for side, info in report.sides.items():
            if "error" in info:
                lines.append(f"  {SIDE_LABEL[side]:<17} {info['error'][:200]}")
                continue
            rss = info.get("peak_rss_kib")
            rss_text = f"{rss / 1024:.0f} MiB" if rss and sys.platform == "linux" else "n/a"
            lines.append(
                f"  {SIDE_LABEL[side]:<17} setup {info['setup_seconds'] * 1000:7.0f} ms  "
                f"peak RSS {rss_text:>8}  imported litellm={info['imported_litellm']} "
                f"litellm_codex={info['imported_litellm_codex']}"
            )
    if report.shares:
        lines += ["", render_shares(report.shares)]
    if report.cold_profiles:
        lines += ["", render_cold_profiles(report.cold_profiles)]
    if report.notes:
        lines += ["", "notes:"] + [f"  - {n}" for n in report.notes]
    return "\n".join(lines)


SHARE_GROUPS = {
    "litellm_codex": "litellm-codex (ours)",
    "litellm": "LiteLLM",
    "pydantic": "pydantic",
    "httpx/httpcore/h11/anyio": "httpx/httpcore/h11/anyio",
}


def render_shares(shares: dict[str, JSON]) -> str:
    """Our own CPU per call and per streamed chunk, next to LiteLLM's and the HTTP stack's."""
    names = [*SHARE_GROUPS.values(), "other"]
    lines = [
        "litellm-codex's own CPU share (cProfile tottime by package, ours worker; ms per call, "
        "per chunk for streams; profiling inflates every share alike)",
        f"{'scenario':<20} {'chunks':>6} {'total ms':>9} "
        + " ".join(f"{n[:21]:>21}" for n in names),
    ]
    for scenario, data in shares.items():
        by = data.get("by_package", {})
        n = max(1, int(data.get("iterations", 1)))
        per = max(1, int(data.get("chunks") or 1)) if scenario.endswith("stream") else 1
        grouped = dict.fromkeys(names, 0.0)
        for package, seconds in by.items():
            grouped[SHARE_GROUPS.get(package, names[-1])] += seconds
        total = sum(grouped.values()) or 1.0
        unit = 1000.0 / n / per
        cells = " ".join(
            f"{grouped[name] * unit:>12.3f} ({100 * grouped[name] / total:4.1f} %)"
            for name in names
        )
        label = scenario + (" /chunk" if per > 1 else "")
        lines.append(f"{label:<20} {data.get('chunks', 0):>6} {total * unit:>9.3f} {cells}")
    return "\n".join(lines)


def render_cold_profiles(profiles: dict[str, JSON]) -> str:
    """CPU of one profiled cold process per side and provider, by package and phase."""
    keys = list(profiles)
    lines: list[str] = []
    for phase, title in (("setup", "import + registration"), ("first_call", "first call")):
        field_name = f"{phase}_by_package"
        names: list[str] = []
        for result in profiles.values():
            for name in result.get(field_name, {}):
                if name not in names:
                    names.append(name)
        lines += [
            f"Cold start, {title}: CPU by package (cProfile tottime, ms; one profiled process "
            "each; profiling inflates times)",
            f"{'package':<40}" + "".join(f"{k:>16}" for k in keys),
        ]
        by = {k: profiles[k].get(field_name, {}) for k in keys}
        names.sort(key=lambda n: -max(by[k].get(n, 0.0) for k in keys))
        for name in names:
            if max(by[k].get(name, 0.0) for k in keys) < 0.001:
                continue
            cells = "".join(f"{by[k].get(name, 0.0) * 1000:16.1f}" for k in keys)
            lines.append(f"{name:<40}{cells}")
        totals = "".join(f"{sum(by[k].values()) * 1000:16.1f}" for k in keys)
        lines += [f"{'total':<40}{totals}", ""]
    return "\n".join(lines).rstrip()


def to_json(report: Report) -> JSON:
    return {
        "meta": report.meta,
        "rows": [row.__dict__ for row in report.rows],
        "sides": report.sides,
        "notes": report.notes,
        "simulator": report.simulator,
        "profile": report.profile,
        "cold_profiles": report.cold_profiles,
        "shares": report.shares,
    }


# -- the run ---------------------------------------------------------------------------------


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _fallback_bodies() -> JSON:
    # Only used when ours produced no request at all (then its rows say why): a minimal
    # request of each kind so the raw baseline still runs.
    text = [{"type": "input_text", "text": PROMPT}]
    return {
        "codex": {
            "model": "gpt-5.1-codex",
            "instructions": "You are a helpful assistant.",
            "input": [{"type": "message", "role": "user", "content": text}],
            "store": False,
            "stream": True,
        },
        "copilot_plain": {"model": "gpt-4o", "messages": MESSAGES, "stream": False},
        "copilot_stream": {"model": "gpt-4o", "messages": MESSAGES, "stream": True},
    }


def run(settings: Settings, *, log: IO[str] = sys.stderr) -> Report:
    started = time.perf_counter()
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "litellm": _version("litellm"),
        "httpx": _version("httpx"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "warmup": settings.warmup,
        "iterations": settings.iterations,
        "import_runs": settings.import_runs,
    }
    report = Report(meta=meta)
    with tempfile.TemporaryDirectory(prefix="litellm-codex-bench-") as tmp:
        workdir = Path(tmp)
        base_env, sim_env, sim = start_simulators(workdir, log)
        try:
            ready = sim.ready
            config: JSON = {
                "warmup": settings.warmup,
                "iterations": settings.iterations,
                "timeout": settings.call_timeout,
                "messages": MESSAGES,
                "sim": ready,
            }
            results: dict[str, JSON] = {}

            print("measuring litellm-codex ...", file=log, flush=True)
            ours_env = {
                **sim_env,
                "OPENAI_CODEX_API_BASE": ready["codex_api_base"],
                "OPENAI_CODEX_AUTH_BASE": ready["codex_auth_base"],
                "GITHUB_COPILOT_GITHUB_URL": ready["copilot_url"],
                "GITHUB_COPILOT_GITHUB_API_URL": ready["copilot_url"],
            }
            results["ours"] = run_worker(
                "ours",
                ours_env,
                {
                    **config,
                    "scenarios": SCENARIOS["ours"],
                    "profile": settings.profile,
                    "shares": SHARE_SCENARIOS if settings.share_iterations > 0 else [],
                    "share_iterations": settings.share_iterations,
                },
                workdir,
                settings.worker_timeout,
            )
            bodies = sim.ask("bodies")
            fallback = _fallback_bodies()
            for key, body in list(bodies.items()):
                if body is None:
                    bodies[key] = fallback[key]
                    report.notes.append(f"raw {key}: ours sent no request; used a minimal body")
            report.simulator["after ours"] = sim.ask("stats")
            sim.ask("clear")

            print("measuring raw httpx ...", file=log, flush=True)
            results["raw"] = run_worker(
                "raw",
                base_env,
                {**config, "scenarios": SCENARIOS["raw"], "bodies": bodies},
                workdir,
                settings.worker_timeout,
            )
            report.simulator["after raw"] = sim.ask("stats")
            sim.ask("clear")

            print("measuring LiteLLM built-in providers ...", file=log, flush=True)
            builtin_env = {
                **base_env,
                "CHATGPT_TOKEN_DIR": ready["chatgpt_token_dir"],
                "CHATGPT_API_BASE": ready["codex_api_base"],
                "GITHUB_COPILOT_TOKEN_DIR": ready["copilot_token_dir"],
            }
            instructions = bodies["codex"].get("instructions")
            if isinstance(instructions, str) and instructions:
                # Same payload as ours: LiteLLM's chatgpt/ would otherwise prepend its own
                # ~7 kB Codex prompt (CHATGPT_DEFAULT_INSTRUCTIONS is its documented knob).
                builtin_env["CHATGPT_DEFAULT_INSTRUCTIONS"] = instructions
                report.notes.append(
                    "LiteLLM chatgpt/ ran with CHATGPT_DEFAULT_INSTRUCTIONS set to the "
                    "instructions litellm-codex sends, so both send the same payload"
                )
            results["builtin"] = run_worker(
                "builtin",
                builtin_env,
                {**config, "scenarios": SCENARIOS["builtin"]},
                workdir,
                settings.worker_timeout,
            )
            report.simulator["after builtin"] = sim.ask("stats")

            session: JSON = {}
            if settings.session_turns > 0:
                print("measuring an agent session ...", file=log, flush=True)
                session = run_session(
                    ours_env, config, workdir, settings, settings.worker_timeout * 2
                )

            cold: dict[str, JSON] = {}
            if settings.cold_runs > 0 or settings.profile_cold:
                print("measuring cold starts ...", file=log, flush=True)
                cold, report.cold_profiles = time_cold(
                    {
                        "raw": base_env,
                        "ours": ours_env,
                        "builtin": builtin_env,
                        "floor": builtin_env,
                    },
                    {**config, "bodies": bodies},
                    workdir,
                    settings.cold_runs,
                    settings.worker_timeout,
                    settings.profile_cold,
                )
        finally:
            sim.stop()

        print("timing imports ...", file=log, flush=True)
        imports = time_imports(base_env, settings.import_runs, settings.imports)

    for side, result in results.items():
        report.sides[side] = {
            k: v for k, v in result.items() if k not in ("results", "profile", "shares")
        }
        report.notes += [f"{SIDE_LABEL[side]}: {n}" for n in result.get("notes", [])]
    if results["builtin"].get("imported_litellm_codex"):
        report.notes.append("WARNING: the built-in worker imported litellm_codex")
    refused = report.simulator["after builtin"].get("codex_last_refusals")
    if refused:
        report.notes.append(f"Codex simulator refusals during the built-in run: {refused}")
    report.profile = results["ours"].get("profile")
    report.shares = results["ours"].get("shares") or {}
    report.rows = (
        (build_rows(results, report.notes) if settings.steady else [])
        + cold_rows(cold)
        + session_rows(session)
        + import_rows(imports)
        + compression_rows(settings.import_runs * 4)
    )
    report.meta["wall_seconds"] = round(time.perf_counter() - started, 1)
    return report
