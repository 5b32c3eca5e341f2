"""`python -m benchmarks --quick` runs end to end (simulators, three workers, imports).

A smoke test only (about 15 s here): the numbers are not asserted, but the run must exit
0, measure our provider and the raw baseline on both simulators, and keep LiteLLM's
built-in worker free of litellm_codex.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_module(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``python -m ARGS`` in the repository, as a user runs it (no PYTHONPATH, the local
    cost map); fails the test unless it exits 0."""
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def test_quick_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = run_module("benchmarks", "--quick", "--json", str(out), timeout=90)
    assert "litellm-codex" in result.stdout

    report = json.loads(out.read_text())
    rows = {(r["group"], r["side"], r["label"]): r for r in report["rows"]}
    for key in [
        ("codex", "raw", "POST (SSE, read fully)"),
        ("codex", "ours", "completion"),
        ("codex", "ours", "astream"),
        ("copilot", "raw", "POST (JSON)"),
        ("copilot", "ours", "stream"),
        ("copilot", "ours", "acompletion"),
    ]:
        assert rows[key]["status"] == "ok", rows[key]
        assert rows[key]["median_ms"] > 0
    # Our answers were checked against the simulator's echo: no mismatch notes for ours.
    assert not [n for n in report["notes"] if n.startswith("litellm-codex") and "unexpected" in n]
    assert report["sides"]["builtin"].get("imported_litellm_codex") is False
    assert report["sides"]["raw"]["imported_litellm"] is False


@pytest.mark.timeout(600)
def test_quick_proxy_benchmark_runs(tmp_path: Path) -> None:
    """`python -m benchmarks --proxy --quick`: both proxies start, every request answers."""
    pytest.importorskip("fastapi", reason="the proxy benchmark needs litellm[proxy]")
    out = tmp_path / "proxy-bench.json"
    run_module(
        *("benchmarks", "--proxy", "--quick"),
        *("--iterations", "8", "--warmup", "2", "--json", str(out)),
        timeout=580,
    )
    rows = json.loads(out.read_text())["rows"]
    assert {(r["side"], r["scenario"]) for r in rows} == {
        (side, scenario)
        for side in ("ours", "builtin")
        for scenario in ("codex/whole", "codex/stream", "copilot/whole", "copilot/stream")
    }
    for row in rows:
        assert row["status"] == "ok", row
        assert row["requests"] == 8
        assert row["rps"] > 0


def test_fault_load_run(tmp_path: Path) -> None:
    # The load half of `python -m benchmarks.faults` (the matrix is covered, fault by
    # fault, in tests/contract/test_reliability.py).
    out = tmp_path / "faults.json"
    run_module("benchmarks.faults", "--no-matrix", "--calls", "80", "--json", str(out), timeout=120)
    load = json.loads(out.read_text())["load"]
    assert load["calls"] == 80 and load["injected_faults"] == 4
    assert load["failed"] == 0, load["failures"]
