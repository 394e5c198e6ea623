"""`nox -s images`: export the tracked files, build every target from them, check the images.

    python -m dockyard.images_run [TARGET ...] [--source worktree|head] [--no-cache]
                                  [--keep-images] [--json PATH] [--junit PATH] [--sequential]

Steps: export (dockyard.images.export) -> bake under a tag unique to the run (dockyard.build.runner) -> run
the checks each target's settings list (dockyard.images.checks) -> tables, JSON and JUnit XML
(dockyard.images.reports) -> remove what the run created: containers, networks, images under the
run's tag and the export, also after a failure, Ctrl-C or SIGTERM. The build cache is kept,
so the next run is warm.

The targets are checked at the same time, one thread each (dockyard.images.parallel), and the
services they need (redis, postgres) start while the images build; each target's checks keep
their order, and the results come in the targets' order, so the report is the same as when the
targets are checked one after another (`--sequential`, which the bench times against).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dockyard.build.failure import BuildFailed
from dockyard.build.preflight import refuse_unbuildable
from dockyard.build.progress import Update
from dockyard.build.runner import BuildRequest, BuildResult, run_build
from dockyard.core import run_record
from dockyard.core.errors import ConfigError, DockyardError
from dockyard.core.project import Project
from dockyard.core.settings import ChecksSettings
from dockyard.core.signals import signal_name, signal_number
from dockyard.docker import containers
from dockyard.docker.cli import engine_contacted
from dockyard.docker.containers import current_run_id
from dockyard.docker.images import remove_tagged
from dockyard.dockerfile.bake import load_bake
from dockyard.images.checks import CheckResult, run_checks, target_context
from dockyard.images.export import Export, isolated_context
from dockyard.images.parallel import CONTAINER_CHECKS, SharedHelpers, SharedTargetContext, in_parallel
from dockyard.images.reports import ImagesReport, write_json, write_junit
from dockyard.runtime.helpers import Helpers
from dockyard.runtime.site import Site, load_site

# What shows a build's progress: a context manager yielding the callback for each update.
ProgressFactory = Callable[[], AbstractContextManager[Callable[[Update], None]]]


def quiet_progress() -> AbstractContextManager[Callable[[Update], None]]:
    return contextlib.nullcontext(lambda update: None)


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
    sequential: bool = False  # check the targets one after another (the bench's comparison)


def run(
    project: Project,
    options: RunOptions,
    log: Callable[[str], None] = lambda message: None,
    progress: ProgressFactory = quiet_progress,
) -> ImagesReport:
    """The whole pipeline; returns the report (written to JSON and JUnit) whatever the checks found.

    Raises DockyardError when the run cannot check anything (not a git repository, unknown target,
    build failure); the report files then carry the error.
    """
    run_id = current_run_id()  # also in the labels of what the run starts, and its record
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
        # the Engine is first contacted after the Dockerfiles are checked (build.preflight): by the
        # helpers starting early, or by the build. Roles not configured come from the compose file
        # and the Dockerfile's stages, not from images
        site = load_site(project, image_command=lambda image: [])
        settings = project.settings.checks.with_roles(site.target_roles())
        with _cleanup(run_id, tag, keep_images=options.keep_images, log=log), contextlib.ExitStack() as stack:
            with isolated_context(project.root, options.source) as export:
                log(f"export {export.files} tracked files ({export.bytes / 1e6:.1f} MB) from the {export.source}")
                targets, to_build = _plan(project, settings, export, options.targets, tag)
                report.targets = targets
                if not options.sequential:  # the services start beside the build: its checks first
                    _refuse_unbuildable(project, export, to_build, tag)
                helpers = _helpers(site, run_id, settings, targets, options.sequential, log)
                stack.callback(helpers.close)
                log(f"build {', '.join(to_build)} as *:{tag}")
                build_start = time.monotonic()
                try:
                    built = _build(project, export, to_build, tag, options, progress, log)
                except BuildFailed as exc:
                    raise exc.with_note(
                        "[built from git's tracked files only: is everything "
                        "the Dockerfile copies tracked? see `git status`]"
                    ) from None
                report.build_seconds = round(time.monotonic() - build_start, 1)
                report.images = {t.target: t.tag for t in built.targets}
                report.sizes = {t.target: t.size_bytes for t in built.targets}
                report.results = check_targets(
                    targets,
                    report.images,
                    settings,
                    run_id,
                    log,
                    site=site,
                    project_files=export.root,
                    sequential=options.sequential,
                    helpers=helpers,
                )
    except DockyardError as exc:
        report.error = str(exc)
        raise
    except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM, SIGHUP: the reports say so
        report.error = f"interrupted by {signal_name(signal_number(exc))}"
        raise
    finally:
        report.wall_seconds = round(time.monotonic() - start, 1)
        write_reports(project, report, options)
    return report


def _refuse_unbuildable(project: Project, export: Export, names: list[str], tag: str) -> None:
    """The build's own checks (names, Dockerfiles, no stage cycle), before anything contacts the Engine."""
    bake_file = export.root / project.settings.bake_file
    if bake_file.is_file():  # the build says so when it is missing
        refuse_unbuildable(export.root, bake_file, names, {"TAG": tag})


def check_targets(
    targets: list[str],
    images: dict[str, str],
    settings: ChecksSettings,
    run_id: str,
    log: Callable[[str], None],
    site: Site | None = None,
    project_files: Path | None = None,
    sequential: bool = False,
    helpers: Helpers | None = None,
) -> list[CheckResult]:
    """Run each target's checks, the targets at the same time (one after another with
    `sequential`); the postgres and redis they need are started once and shared. The results are
    in the targets' order, each target's in its checks' order, either way."""
    own_helpers = helpers is None
    if helpers is None:
        helpers = _new_helpers(site, run_id, settings, sequential, log)
    common = {"settings": settings, "run_id": run_id, "helpers": helpers, "log": log, "images": images}
    common |= {"project_files": project_files, "celery_app": site.celery_app if site is not None else None}
    try:
        if sequential:
            results: list[CheckResult] = []
            for target in targets:
                results += _check_target(target, **common)
            return results
        if not isinstance(helpers, SharedHelpers):
            raise TypeError("checking targets at the same time needs SharedHelpers")
        per_target = in_parallel(
            targets, lambda target, stop_point: _check_target(target, **common, stop_point=stop_point), run_id
        )
        return [result for results in per_target for result in results]
    finally:
        if own_helpers:
            helpers.close()


def _check_target(
    target: str,
    images: dict[str, str],
    settings: ChecksSettings,
    run_id: str,
    helpers: Helpers,
    log: Callable[[str], None],
    project_files: Path | None,
    celery_app: str | None,
    stop_point: Callable[[], None] | None = None,
) -> list[CheckResult]:
    """One target's checks in their order. With `stop_point` (checked between two checks), the
    target's container starts ahead, while the checks that read the image run."""
    target_settings = settings.for_target(target)
    log(f"check {target} ({len(target_settings.checks)} checks)")

    def done(result: CheckResult) -> None:
        log(progress_line(result))
        if stop_point is not None:
            stop_point()

    kwargs = {
        "target": target,
        "image": images[target],
        "settings": target_settings,
        "run_id": run_id,
        "peers": images,
        "helpers": helpers,
        "project_files": project_files,
        "celery_app": celery_app,
    }
    if stop_point is None:
        with target_context(**kwargs) as ctx:
            return run_checks(ctx, on_result=done)
    ctx = SharedTargetContext(**kwargs)
    try:
        if CONTAINER_CHECKS & set(target_settings.checks):
            ctx.start_early()
        return run_checks(ctx, on_result=done)
    finally:
        ctx.close()


def _new_helpers(
    site: Site | None, run_id: str, settings: ChecksSettings, sequential: bool, log: Callable[[str], None]
) -> Helpers:
    kind = Helpers if sequential else SharedHelpers
    return kind(lambda name: helper_image(site, settings, name, log), run_id=run_id, prefix="dockyard-checks")


def _helpers(
    site: Site, run_id: str, settings: ChecksSettings, targets: list[str], sequential: bool, log: Callable[[str], None]
) -> Helpers:
    """The run's postgres and redis; unless sequential, they start now, beside the build."""
    helpers = _new_helpers(site, run_id, settings, sequential, log)
    if isinstance(helpers, SharedHelpers):
        helpers.start_early(sorted({need for t in targets for need in settings.for_target(t).services_needed}))
    return helpers


def helper_image(site: Site | None, settings: ChecksSettings, kind: str, log: Callable[[str], None]) -> str:
    """[tool.dockyard.checks] redis_image/postgres_image when set, else the site's (test settings,
    compose file, stand-in)."""
    configured = settings.helper_images().get(kind)
    if configured:
        return configured
    if site is None:
        raise DockyardError(f"no {kind} image for the checks: set {kind}_image in [tool.dockyard.checks]")
    return site.helper_image(kind, log=lambda message: log(f"note: {message}"))


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
    project: Project, settings: ChecksSettings, export: Export, names: list[str], tag: str
) -> tuple[list[str], list[str]]:
    """(targets to check, targets to build): groups expanded, plus the images compared with."""
    for key in ("bake_file", "dockerfile"):
        relative = str(getattr(project.settings, key))
        if not (export.root / relative).is_file():
            raise ConfigError(
                f"{relative} is not tracked by git, so a CI checkout would not have it: `git add {relative}`"
            )
    definition = load_bake(
        export.root / project.settings.bake_file, parser="buildx", cwd=export.root, env={**os.environ, "TAG": tag}
    )
    targets = definition.resolve(names or settings.targets)
    to_build = list(targets)
    for target in targets:
        s = settings.for_target(target)
        peer = s.shares_layers_with
        if "shared_layers" in s.checks and peer:
            definition.resolve([peer])  # an unknown peer is a one-line error, too
            if peer not in to_build:
                to_build.append(peer)
    return targets, to_build


def _build(
    project: Project,
    export: Export,
    names: list[str],
    tag: str,
    options: RunOptions,
    progress: ProgressFactory,
    log: Callable[[str], None],
) -> BuildResult:
    request = BuildRequest(
        names=names, no_cache=options.no_cache, context_root=export.root, variables={"TAG": tag}, owned=True
    )
    with progress() as on_update:
        return run_build(project, request, on_update=on_update, log=lambda message: log(f"note: {message}"))


def progress_line(result: CheckResult) -> str:
    mark = "skip" if result.skipped else "pass" if result.passed else "FAIL"
    return f"  {mark} {result.target} {result.name}: {result.measured} ({result.seconds:.1f}s)"


@contextlib.contextmanager
def _cleanup(run_id: str, tag: str, keep_images: bool, log: Callable[[str], None]) -> Iterator[None]:
    """Remove the run's containers, networks and (unless kept) images, however the block ends."""
    try:
        yield
    finally:
        if engine_contacted():  # refused before the Engine (a stage cycle): nothing to remove
            _remove_what_the_run_made(run_id, tag, keep_images, log)


def _remove_what_the_run_made(run_id: str, tag: str, keep_images: bool, log: Callable[[str], None]) -> None:
    with containers.cleanup_shield():  # a second Ctrl-C (or SIGTERM) must not cut the cleanup short
        try:
            removed = containers.remove_labelled(run_id)
            images = [] if keep_images else remove_tagged(tag)
            if any(removed.values()) or images:
                log(
                    f"cleanup: {removed['containers']} container(s), "
                    f"{removed['networks']} network(s), {len(images)} image(s)"
                )
            if keep_images:
                run_record.forget_tags(run_record.owned_tags())  # kept: no longer the run's to reap
                log(f"kept the images tagged {tag}")
        except DockyardError as exc:
            log(f"cleanup incomplete: {exc}")
