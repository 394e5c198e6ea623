"""What the start-of-run sweep costs a task that makes something (dockyard.prune.stale.sweep).

    python bench/sweep_cost.py [--runs N]

In one process, against this machine's engine: the median and slowest of N sweeps (the three
label-filtered list calls, the run records, the verdicts; nothing is reaped unless a killed run
left something), next to one `GET /_ping` and one unfiltered `GET /containers/json?all=1` as the
yardsticks, and the engine requests a sweep makes. Then the same sweep as a task sees it: the
wall time of `python -c` importing and running it, against a `python -c` that only pings.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(call: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def requests_made(call: Callable[[], object]) -> int:
    """How many HTTP requests to the engine `call` makes (counted at docker-py's session)."""
    from dockyard.docker.client import client

    session = client().api
    count = 0
    original = session.send

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        nonlocal count
        count += 1
        return original(*args, **kwargs)

    session.send = counting
    try:
        call()
    finally:
        session.send = original
    return count


def show(label: str, times: list[float]) -> None:
    print(f"{label:34s} median {statistics.median(times) * 1000:7.1f} ms  max {max(times) * 1000:7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs

    from dockyard.docker.client import client
    from dockyard.prune.stale import survey, sweep

    engine = client()
    engine.ping()  # connect once: the figures are per call, like in a task that already uses the engine
    found = survey()
    print(
        f"engine holds {sum(found.live.values()) - found.live.get('record', 0)} object(s) of live runs, "
        f"{len(found.stale)} run(s) to reap; runs: {runs}"
    )
    show("GET /_ping", timed(engine.ping, runs))
    show("GET /containers/json?all=1", timed(lambda: engine.api.containers(all=True), runs))
    show("sweep (survey + reap)", timed(sweep, runs))
    print(f"engine requests per sweep: {requests_made(sweep)}")

    ping = [sys.executable, "-c", "from dockyard.docker.client import client; client().ping()"]
    swept = [sys.executable, "-c", "from dockyard.docker.client import client; client().ping(); "
             "from dockyard.prune.stale import sweep; sweep()"]
    cold_runs = max(5, runs // 3)
    show("process: import + ping", timed(lambda: subprocess.run(ping, cwd=ROOT, check=True), cold_runs))
    show("process: import + ping + sweep", timed(lambda: subprocess.run(swept, cwd=ROOT, check=True), cold_runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
