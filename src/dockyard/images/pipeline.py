"""`nox -s images`: export the tracked files, build every target from them, check the images.

    python -m dockyard.images.pipeline [TARGET ...] [--source worktree|head] [--no-cache]
                                  [--keep-images] [--json PATH] [--junit PATH]

Steps: export (dockyard.images.export) -> bake under a tag unique to the run (dockyard.build.runner) -> run
the checks each target's settings list (dockyard.images.checks) -> tables, JSON and JUnit XML
(dockyard.images.reports) -> remove what the run created: containers, networks, images under the
run's tag and the export, also after a failure, Ctrl-C or SIGTERM. The build cache is kept,
so the next run is warm.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import docker.errors
from rich.console import Console

from dockyard.build import bake_print as bake
from dockyard.build.runner import BuildRequest, run_build
from dockyard.cli.console import console, progress_console
from dockyard.cli.views.build import LiveProgress, plain_printer
from dockyard.core.errors import BuildFailed, CheckFailed, ConfigError, DockyardError
from dockyard.core.project import Project, find_project
from dockyard.docker import containers
from dockyard.docker.client import client
from dockyard.images.checks import CheckResult, ServicePool, load_settings, run_checks, target_context
from dockyard.images.checks.config import Settings
from dockyard.images.export import SOURCES, Export, isolated_context
from dockyard.images.reports import ImagesReport, summary_line, target_table, write_json, write_junit

DEFAULT_JSON = ".dockyard/reports/images.json"
DEFAULT_JUNIT = ".dockyard/reports/images-junit.xml"


@dataclass
class RunOptions:
    targets: list[str] = field(default_factory=list)  # bake targets or groups; empty: [tool.dockyard.checks]
    source: str = "worktree"
    no_cache: bool = False
    keep_images: bool = False
    json_path: Path | None = None  # relative paths are under the project root
    junit_path: Path | None = None
    progress: str = "auto"  # build output: "auto" (a status line) or "plain" (BuildKit's full log)


def new_run_id() -> str:
    return uuid.uuid4().hex[:10]


def run(project: Project, options: RunOptions, log: Callable[[str], None] = progress_console.print) -> ImagesReport:
    """The whole pipeline; returns the report (written to JSON and JUnit) whatever the checks found.

    Raises DockyardError when the run cannot check anything (not a git repository, unknown target,
    build failure); the report files then carry the error.
    """
    settings = load_settings(project)
    run_id = new_run_id()
    tag = f"images-{run_id}"
    report = ImagesReport(
        run_id=run_id,
        source=options.source,
        tag=tag,
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        targets=[],
    )
    start = time.monotonic()
    try:
        client()  # one line when the engine is down, before anything is exported or started
        with _cleanup(run_id, tag, keep_images=options.keep_images, log=log):
            with isolated_context(project.root, options.source) as export:
                log(
                    f"[bold]export[/] {export.files} tracked files ({export.bytes / 1e6:.1f} MB) "
                    f"from the {export.source}"
                )
                targets, to_build = _plan(project, settings, export, options.targets, tag)
                report.targets = targets
                log(f"[bold]build[/] {', '.join(to_build)} as *:{tag}")
                build_start = time.monotonic()
                try:
                    built = _build(project, export, to_build, tag, options)
                except BuildFailed as exc:
                    raise BuildFailed(
                        f"{exc} [built from git's tracked files only: is everything "
                        "the Dockerfile copies tracked? see `git status`]"
                    ) from None
                report.build_seconds = round(time.monotonic() - build_start, 1)
            report.images = {t.target: t.tag for t in built.targets}
            report.sizes = {t.target: t.size_bytes for t in built.targets}
            report.results = check_targets(targets, report.images, settings, run_id, log)
    except DockyardError as exc:
        report.error = str(exc)
        raise
    finally:
        report.wall_seconds = round(time.monotonic() - start, 1)
        write_reports(project, report, options)
    return report


def check_targets(
    targets: list[str],
    images: dict[str, str],
    settings: Settings,
    run_id: str,
    log: Callable[[str], None],
) -> list[CheckResult]:
    """Run each target's checks; the services they need are started once and shared."""
    results: list[CheckResult] = []
    pool = ServicePool(run_id, settings.common)
    try:
        for target in targets:
            target_settings = settings.for_target(target)
            log(f"[bold]check[/] {target} ({len(target_settings['checks'])} checks)")
            with target_context(
                target=target,
                image=images[target],
                settings=target_settings,
                run_id=run_id,
                peers=images,
                pool=pool,
            ) as ctx:
                results += run_checks(ctx, on_result=lambda r: log(_progress_line(r)))
    finally:
        pool.close()
    return results


def report_paths(project: Project, options: RunOptions) -> tuple[Path, Path]:
    """Where the JSON report and the JUnit XML go (relative paths are under the project root)."""
    return (
        project.root / (options.json_path or Path(DEFAULT_JSON)),
        project.root / (options.junit_path or Path(DEFAULT_JUNIT)),
    )


def write_reports(project: Project, report: ImagesReport, options: RunOptions) -> tuple[Path, Path]:
    json_path, junit_path = report_paths(project, options)
    return write_json(report, json_path), write_junit(report, junit_path)


def _plan(
    project: Project, settings: Settings, export: Export, names: list[str], tag: str
) -> tuple[list[str], list[str]]:
    """(targets to check, targets to build): groups expanded, plus the images compared with."""
    for key in ("bake_file", "dockerfile"):
        relative = str(project.get(key))
        if not (export.root / relative).is_file():
            raise ConfigError(
                f"{relative} is not tracked by git, so a CI checkout would not have it: `git add {relative}`"
            )
    definition = bake.load_definition(
        export.root / str(project.get("bake_file")), cwd=export.root, env={**os.environ, "TAG": tag}
    )
    targets = definition.resolve(names or settings.targets)
    to_build = list(targets)
    for target in targets:
        s = settings.for_target(target)
        peer = s.get("shares_layers_with")
        if "shared_layers" in s["checks"] and peer:
            definition.resolve([peer])  # an unknown peer is a one-line error, too
            if peer not in to_build:
                to_build.append(peer)
    return targets, to_build


def _build(project: Project, export: Export, names: list[str], tag: str, options: RunOptions):
    request = BuildRequest(names=names, no_cache=options.no_cache, context_root=export.root, variables={"TAG": tag})
    note = lambda message: progress_console.print(f"[yellow]note:[/] {message}")  # noqa: E731
    if options.progress == "plain":
        return run_build(project, request, on_line=plain_printer, log=note)
    with LiveProgress() as live:
        return run_build(project, request, on_line=live, log=note)


def _progress_line(result: CheckResult) -> str:
    mark = "[green]pass[/]" if result.passed else "[bold red]FAIL[/]"
    return f"  {mark} {result.target} {result.name}: {result.measured} [dim]({result.seconds:.1f}s)[/]"


@contextlib.contextmanager
def _cleanup(run_id: str, tag: str, keep_images: bool, log: Callable[[str], None]) -> Iterator[None]:
    """Remove the run's containers, networks and (unless kept) images, however the block ends."""
    try:
        yield
    finally:
        # A second Ctrl-C (or SIGTERM) must not cut the cleanup short.
        shielded = (signal.SIGINT, signal.SIGTERM) if _main_thread() else ()
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in shielded}
        try:
            removed = containers.remove_labelled(run_id)
            images = [] if keep_images else remove_run_images(tag)
            if any(removed.values()) or images:
                log(
                    f"[dim]cleanup: {removed['containers']} container(s), "
                    f"{removed['networks']} network(s), {len(images)} image(s)[/]"
                )
            if keep_images:
                log(f"kept the images tagged {tag}")
        except DockyardError as exc:
            log(f"[yellow]cleanup incomplete:[/] {exc}")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def remove_run_images(tag: str) -> list[str]:
    """Remove every image tagged `*:<tag>` (the run's unique tag); returns the tags removed."""
    removed = []
    # The low-level list: one call, no per-image inspect racing with other people's removals.
    for image in client().api.images():
        for ref in image.get("RepoTags") or []:
            if ref.endswith(f":{tag}"):
                with contextlib.suppress(docker.errors.NotFound):
                    client().images.remove(ref, noprune=False)
                    removed.append(ref)
    return removed


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def parse_args(argv: list[str]) -> RunOptions:
    parser = argparse.ArgumentParser(
        prog="nox -s images --",
        description="Build every image from the tracked files and run the image checks.",
    )
    parser.add_argument(
        "targets",
        nargs="*",
        help="bake targets or groups (default: [tool.dockyard.checks] targets)",
    )
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
    args = parser.parse_args(argv)
    return RunOptions(
        targets=args.targets,
        source=args.source,
        no_cache=args.no_cache,
        keep_images=args.keep_images,
        json_path=args.json_path,
        junit_path=args.junit_path,
        progress=args.progress,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # CI timeouts: clean up as on Ctrl-C
    try:
        project = find_project()
        report = run(project, options)
    except DockyardError as exc:
        progress_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        progress_console.print("interrupted: the run's containers, networks and images were removed")
        return 130
    out = console if console.is_terminal else Console(highlight=False, width=160)  # CI logs
    for target in report.targets:
        out.print(target_table(report, target))
    json_path, junit_path = report_paths(project, options)
    console.print(summary_line(report))
    console.print(f"[dim]reports: {json_path} and {junit_path}[/]")
    if not report.passed:
        failed = CheckFailed(
            f"{len(report.failures)} image check(s) failed: " + "; ".join(r.one_line() for r in report.failures)
        )
        progress_console.print(f"[bold red]error:[/] {failed}", highlight=False)
        return failed.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
