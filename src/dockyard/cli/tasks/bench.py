"""`invoke bench`: the reference card's success metrics, measured on the reference site."""

from __future__ import annotations

from pathlib import Path

from dockyard.cli.tasks._task import task


@task(
    makes=True,
    help={
        "skip-cold": "leave out the cold build (bake --no-cache essential), ~2-3 min on 2 cores",
        "skip-checks": "leave out `nox -s images` and the checks timed with both HEALTHCHECKs",
        "source": "build from the tracked files as they are ('worktree') or as committed ('head')",
        "out": "results directory (default [tool.dockyard.bench] out_dir, bench/results)",
        "json": "also write the JSON report to this path (the HTML chart goes next to it)",
        "strict": "exit non-zero when a figure misses its target",
    }
)
def bench(c, skip_cold=False, skip_checks=False, source="worktree", out=None, json=None, strict=False):
    """Measure builds, sizes, startup, idle memory and `nox -s images` against the card's figures.

    Builds from an export of the tracked files under a tag unique to the run and removes what it
    made afterwards (the build cache is kept). Prints a table; writes JSON, an HTML chart and a
    Markdown table under bench/results/.
    """
    from dockyard.bench.runner import BenchOptions
    from dockyard.cli.bench import run_bench

    run_bench(
        BenchOptions(
            skip_cold=skip_cold,
            skip_checks=skip_checks,
            source=source,
            out_dir=Path(out) if out else None,
            json_path=Path(json) if json else None,
            strict=strict,
        )
    )
