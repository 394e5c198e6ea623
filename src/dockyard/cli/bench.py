"""`invoke bench` and bench/run.py: the benchmark's command line and its table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dockyard.bench.runner import BenchOptions
from dockyard.cli.errors import run_main
from dockyard.cli.sweep import sweep_before_engine
from dockyard.images.export import SOURCES


def run_bench(options: BenchOptions, sweep: bool = False) -> None:
    """Run, print the table and where the reports went; raise when figures are missing
    (or, with --strict, targets missed). `sweep`: reap what killed runs left, first."""
    if sweep:
        sweep_before_engine()
    from dockyard.bench.runner import execute, verdict
    from dockyard.cli.console import console, progress_console
    from dockyard.cli.views.bench import bench_tables
    from dockyard.cli.views.build import progress_for

    report, paths = execute(
        options,
        log=lambda message: progress_console.print(message, markup=False, highlight=False),
        progress=progress_for("auto"),
    )
    width = max(console.width, 120)
    for table in bench_tables(report, details=width >= 170):
        console.print(table, width=width)
    console.print(f"JSON: {paths['json']}  chart: {paths['chart']}  Markdown: {paths['markdown']}", markup=False)
    verdict(report, options.strict)


def parse_args(argv: list[str]) -> BenchOptions:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Measure the project's Dockerfile beside the reference card's, on the reference site "
        "and the sample projects.",
    )
    parser.add_argument("--skip-cold", action="store_true", help="leave out the cold (--no-cache) build")
    parser.add_argument(
        "--skip-checks",
        action="store_true",
        help="leave out nox -s images (its checks concurrent and sequential)",
    )
    parser.add_argument("--skip-card", action="store_true", help="leave out the card's Dockerfile")
    parser.add_argument("--skip-scale", action="store_true", help="leave out the site 10x the size")
    parser.add_argument("--skip-projects", action="store_true", help="leave out the sample projects")
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default="worktree",
        help="build from the tracked files as they are now (worktree) or as committed (head)",
    )
    parser.add_argument("--out", type=Path, dest="out_dir", help="results directory (default bench/results)")
    parser.add_argument("--json", type=Path, dest="json_path", help="also write the JSON here (chart next to it)")
    parser.add_argument("--strict", action="store_true", help="exit non-zero when a figure misses its target")
    args = parser.parse_args(argv)
    return BenchOptions(
        skip_cold=args.skip_cold,
        skip_checks=args.skip_checks,
        skip_card=args.skip_card,
        skip_scale=args.skip_scale,
        skip_projects=args.skip_projects,
        source=args.source,
        out_dir=args.out_dir,
        json_path=args.json_path,
        strict=args.strict,
    )


def main(argv: list[str] | None = None) -> int:
    """Ctrl-C, SIGTERM and SIGHUP remove what the run made, then one `error:` line, exit 128+N."""
    options = parse_args(sys.argv[1:] if argv is None else argv)
    return run_main(lambda: run_bench(options, sweep=True))
