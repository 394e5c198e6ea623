"""How long `invoke lint` takes end to end, as a user runs it (issue 13: under 1 s).

    python bench/lint_speed.py [--runs N] [--path DIR] [--root DIR]

Runs `invoke lint` and `python -m dockyard.lint` (each a fresh process: interpreter start-up,
Invoke's task loading, buildx `bake --print`, hadolint, the rules and the output) N times in the
project root and prints the wall time of each command: best, median and worst, in seconds. The
exit code says whether every run behaved (0, or 1 when lint fails the run on findings); it is not
a gate on the time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def time_command(argv: list[str], cwd: Path, runs: int) -> tuple[list[float], int]:
    times, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, env=dict(os.environ))
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            print(f"error: {' '.join(argv)} exited {done.returncode}: {done.stderr.strip()[:200]}", file=sys.stderr)
            code = 2
    return times, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/lint_speed.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--path", help="lint this deployment directory (default: the project's deployment/)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project to run in (default: this repository)")
    args = parser.parse_args(argv)
    extra = ["--path", args.path] if args.path else []
    commands = {
        "invoke lint": [sys.executable, "-m", "invoke", "lint", *extra],
        "python -m dockyard.lint": [sys.executable, "-m", "dockyard.lint", *extra],
    }
    worst = 0
    print(f"{'command':<26} {'runs':>4} {'best s':>7} {'median s':>9} {'worst s':>8}")
    for name, command in commands.items():
        times, code = time_command(command, args.root, args.runs)
        worst = max(worst, code)
        print(f"{name:<26} {len(times):>4} {min(times):>7.2f} {statistics.median(times):>9.2f} {max(times):>8.2f}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
