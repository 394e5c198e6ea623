"""How long `invoke --list` takes (Invoke loads every task module and reads the bake file's names).

    python bench/cli_startup.py [--runs N]

Prints the median and the slowest of N runs (default 15) in seconds, and the same for
`python -c pass` as the floor of any Python start on this machine. The target: under 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    for label, argv in (
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("invoke --list", [sys.executable, "-m", "invoke", "--list"]),
        ("dockyard --help", [sys.executable, "-m", "dockyard", "--help"]),
    ):
        times = timed(argv, runs)
        print(f"{label:18s} median {statistics.median(times):.3f} s  max {max(times):.3f} s  ({runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
