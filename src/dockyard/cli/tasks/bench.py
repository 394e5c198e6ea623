"""`invoke bench`: the project's Dockerfile beside the reference card's, measured on the same site."""

from __future__ import annotations

from pathlib import Path

from dockyard.cli.tasks._task import task


@task(
    makes=True,
    help={
        "skip-cold": "leave out the cold builds (bake --no-cache essential, both Dockerfiles), ~2 min on 2 cores",
        "skip-checks": "leave out `nox -s images` (its checks concurrent and sequential), ~1.5 min",
        "skip-card": "leave out the card's Dockerfile (bench/card/Dockerfile.card), ~4 min",
        "skip-scale": "leave out the site 10x the size, ~1 min",
        "skip-projects": "leave out the sample projects ([tool.dockyard.bench] projects), ~4 min",
        "source": "build from the tracked files as they are ('worktree') or as committed ('head')",
        "out": "results directory (default [tool.dockyard.bench] out_dir, bench/results)",
        "json": "also write the JSON report to this path (the HTML chart goes next to it)",
        "strict": "exit non-zero when a figure misses its target",
    }
)
def bench(
    c,
    skip_cold=False,
    skip_checks=False,
    skip_card=False,
    skip_scale=False,
    skip_projects=False,
    source="worktree",
    out=None,
    json=None,
    strict=False,
):
    """Measure builds, sizes, startup, memory and `nox -s images`, beside the card's Dockerfile.

    Builds the project's Dockerfile and the card's (bench/card/Dockerfile.card) from exports of the
    tracked files with the same bake, under tags unique to the run, times `nox -s images` with its
    checks concurrent and sequential, grows the site 10 times, measures the sample projects, and
    removes what it made afterwards (the build cache is kept). Prints the tables; writes JSON, an
    HTML chart and Markdown under bench/results/ (latest.md beside the run directories).
    """
    from dockyard.bench.runner import BenchOptions
    from dockyard.cli.bench import run_bench

    run_bench(
        BenchOptions(
            skip_cold=skip_cold,
            skip_checks=skip_checks,
            skip_card=skip_card,
            skip_scale=skip_scale,
            skip_projects=skip_projects,
            source=source,
            out_dir=Path(out) if out else None,
            json_path=Path(json) if json else None,
            strict=strict,
        )
    )
