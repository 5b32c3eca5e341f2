"""``python -m benchmarks [--quick] [--json PATH] [--profile SCENARIO] [--proxy]``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from types import FrameType


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    from benchmarks import runner

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="litellm-codex vs raw httpx and LiteLLM's built-in providers, on the "
        "bundled simulators (127.0.0.1 only).",
    )
    parser.add_argument("--quick", action="store_true", help="a short run (< 30 s)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--iterations", type=int, help="measured calls per scenario")
    parser.add_argument("--warmup", type=int, help="unmeasured calls per scenario")
    parser.add_argument(
        "--profile",
        metavar="SCENARIO",
        help="cProfile litellm-codex on one scenario (e.g. codex/completion) and print it",
    )
    parser.add_argument(
        "--proxy",
        action="store_true",
        help="instead: requests/s and p50/p99 through a real `litellm --config` proxy with "
        "1 and 4 workers, litellm-codex vs LiteLLM's built-in providers",
    )
    parser.add_argument(
        "--cold",
        type=int,
        metavar="N",
        help="fresh processes per side and provider for the cold-start rows (default 5)",
    )
    parser.add_argument(
        "--cold-only",
        action="store_true",
        help="only the cold-start and import rows (steady-state workers run 1 call each)",
    )
    parser.add_argument(
        "--profile-cold",
        action="store_true",
        help="also cProfile one cold process per side and provider: CPU by package",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    if args.proxy:
        return _proxy(args)

    settings = runner.Settings.quick() if args.quick else runner.Settings()
    if args.iterations is not None:
        settings.iterations = max(1, args.iterations)
    if args.warmup is not None:
        settings.warmup = max(0, args.warmup)
    settings.profile = args.profile
    if args.cold is not None:
        settings.cold_runs = max(0, args.cold)
    if args.cold_only:
        settings.warmup, settings.iterations, settings.steady = 0, 1, False
    settings.profile_cold = args.profile_cold

    # SIGTERM unwinds like Ctrl-C, so every simulator and worker process is stopped.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        report = runner.run(settings)
    except KeyboardInterrupt:
        print("interrupted; every simulator and worker process was stopped", file=sys.stderr)
        return 130
    print(runner.render(report))
    if report.profile:
        print("\ncProfile of litellm-codex, " + str(args.profile) + ":\n")
        print(report.profile)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(runner.to_json(report), fh, indent=2)
    # Failing sides are reported in the table; exit non-zero only when ours or the
    # baseline could not be measured at all (the smoke test relies on this).
    broken = [s for s in ("ours", "raw") if "error" in report.sides.get(s, {})]
    return 1 if broken else 0


def _proxy(args: argparse.Namespace) -> int:
    from benchmarks import proxy

    settings = proxy.ProxySettings.quick() if args.quick else proxy.ProxySettings()
    if args.iterations is not None:
        settings.requests = max(1, args.iterations)
    if args.warmup is not None:
        settings.warmup = max(0, args.warmup)
    try:
        meta, rows = proxy.run(settings)
    except KeyboardInterrupt:
        print("interrupted; every simulator and proxy process was stopped", file=sys.stderr)
        return 130
    print(proxy.render(meta, rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(proxy.to_json(meta, rows), fh, indent=2)
    ours = [r for r in rows if r.side == "ours"]
    return 0 if ours and all(r.status == "ok" for r in ours) else 1


if __name__ == "__main__":
    sys.exit(main())
