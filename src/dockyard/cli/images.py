"""`nox -s images` (`python -m dockyard.images_run`): the image pipeline's command line.

    python -m dockyard.images_run [TARGET ...] [--source worktree|head] [--no-cache]
                                  [--keep-images] [--json PATH] [--junit PATH] [--progress auto|plain]
                                  [--sequential]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dockyard.cli.errors import run_main
from dockyard.cli.sweep import sweep_before_engine
from dockyard.images.export import SOURCES
from dockyard.images.pipeline import DEFAULT_JSON, DEFAULT_JUNIT, RunOptions


def parse_args(argv: list[str]) -> tuple[RunOptions, str]:
    """The run's options, and how to show the build: "auto" (a status line) or "plain"."""
    parser = argparse.ArgumentParser(
        prog="nox -s images --",
        description="Build every image from the tracked files and run the image checks.",
    )
    parser.add_argument("targets", nargs="*", help="bake targets or groups (default: [tool.dockyard.checks] targets)")
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default="worktree",
        help="worktree: tracked files as they are now (default); head: the last commit",
    )
    parser.add_argument("--no-cache", action="store_true", help="build without the build cache")
    parser.add_argument("--keep-images", action="store_true", help="keep the run's images for a closer look")
    parser.add_argument("--json", type=Path, dest="json_path", help=f"JSON report path (default {DEFAULT_JSON})")
    parser.add_argument("--junit", type=Path, dest="junit_path", help=f"JUnit XML path (default {DEFAULT_JUNIT})")
    parser.add_argument(
        "--progress",
        choices=("auto", "plain"),
        default="auto",
        help="build output: a status line (auto) or BuildKit's full log (plain)",
    )
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="check the targets one after another instead of at the same time (invoke bench compares the two)",
    )
    args = parser.parse_args(argv)
    options = RunOptions(
        targets=args.targets,
        source=args.source,
        no_cache=args.no_cache,
        keep_images=args.keep_images,
        json_path=args.json_path,
        junit_path=args.junit_path,
        sequential=args.sequential,
    )
    return options, args.progress


def main(argv: list[str] | None = None) -> int:
    """Ctrl-C, SIGTERM and SIGHUP remove what the run made, then one `error:` line, exit 128+N."""
    options, progress = parse_args(sys.argv[1:] if argv is None else argv)
    return run_main(lambda: _run(options, progress))


def _run(options: RunOptions, progress: str) -> int:
    sweep_before_engine()
    from dockyard.cli.console import console, plain_console, progress_console
    from dockyard.cli.views.build import progress_for
    from dockyard.cli.views.images import summary_line, target_table
    from dockyard.core.errors import CheckFailed
    from dockyard.core.project import find_project
    from dockyard.images.pipeline import report_paths, run

    project = find_project()
    report = run(
        project,
        options,
        log=lambda message: progress_console.print(message, markup=False, highlight=False),
        progress=progress_for(progress),
    )
    out = console if console.is_terminal else plain_console(160)  # CI logs
    for target in report.targets:
        out.print(target_table(report, target))
    json_path, junit_path = report_paths(project, options)
    console.print(summary_line(report), markup=False)
    console.print(f"reports: {json_path} and {junit_path}", markup=False, style="dim")
    if not report.passed:
        raise CheckFailed(
            f"{len(report.failures)} image check(s) failed: " + "; ".join(r.one_line() for r in report.failures)
        )
    return 0
