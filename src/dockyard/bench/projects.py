"""The bench's core figures on other projects: the sample projects of the adoption issue.

`[tool.dockyard.bench] projects` lists them (directories with their own pyproject.toml and
`[tool.dockyard]`). Each is measured like the reference site, from an export of its own tracked
files, with its own bake file, Dockerfile and settings: a cold build (cache mounts empty when its
Dockerfile names them with CACHE_SALT), a rebuild with nothing changed and after one Python file,
image sizes, time to healthy of web and celery-unified, and `nox -s images`'s pipeline
(`python -m dockyard.images_run`, what the session runs: a sample has no noxfile of its own).
Its figures go to the report's column for it; targets are the reference site's alone.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.bench import runtime
from dockyard.bench.builds import Builder, steps_text
from dockyard.bench.edits import DEFAULT_EDITS, Edit, edit_for
from dockyard.bench.report import BenchReport, ProjectFigures
from dockyard.core.errors import ConfigError
from dockyard.core.project import Project, find_project
from dockyard.docker import containers
from dockyard.images.export import isolated_context
from dockyard.images.pipeline import ProgressFactory
from dockyard.runtime.site import load_site

if TYPE_CHECKING:
    from dockyard.bench.runner import BenchOptions, BenchProgress


def sample_projects(root: Path) -> list[str]:
    """The names (directory names) of the projects `[tool.dockyard.bench] projects` lists."""
    from dockyard.core.project import read_config
    from dockyard.core.settings import load_settings

    settings = load_settings(read_config(root / "pyproject.toml")).bench
    names = []
    for relative in settings.projects:
        path = (root / relative).resolve()
        if not (path / "pyproject.toml").is_file():
            raise ConfigError(f"[tool.dockyard.bench] projects: {relative} has no pyproject.toml")
        names.append(path.name)
    if len(set(names)) != len(names):
        raise ConfigError("[tool.dockyard.bench] projects: two projects have the same directory name")
    return names


def project_path(root: Path, name: str) -> Path:
    from dockyard.core.project import read_config
    from dockyard.core.settings import load_settings

    for relative in load_settings(read_config(root / "pyproject.toml")).bench.projects:
        if Path(relative).name == name or (root / relative).resolve().name == name:
            return (root / relative).resolve()
    raise ConfigError(f"no bench project named {name}")


def measure_project(
    report: BenchReport,
    reference: Project,
    name: str,
    options: BenchOptions,
    tag: str,
    steps: BenchProgress,
    progress: ProgressFactory,
    log: Callable[[str], None],
) -> None:
    """Measure one sample project into its column of `report`."""
    from dockyard.bench.runner import MEASUREMENT_ERRORS, _measure, cold, cold_salt, one_file, reason

    root = project_path(reference.root, name)
    column = report.project(name, str(root.relative_to(reference.root)))
    try:
        project = find_project(root)
    except MEASUREMENT_ERRORS as exc:
        column.notes.append(f"not measured: {reason(exc)}")
        steps.index += 2
        return
    run_id = report.run_id
    with steps.step(f"{name}: builds and sizes"):
        with contextlib.ExitStack() as stack:
            try:
                export = stack.enter_context(isolated_context(project.root, options.source))
            except MEASUREMENT_ERRORS as exc:
                column.notes.append(f"not measured: {reason(exc)}")
                steps.index += 1
                return
            builder = Builder(project, export.root, tag, progress, lambda message: None)
            dockerfile = export.root / project.settings.dockerfile
            salted = dockerfile.is_file() and "CACHE_SALT" in dockerfile.read_text("utf-8")
            if not salted:
                column.notes.append(
                    f"{project.settings.dockerfile} does not name its cache mounts with CACHE_SALT: "
                    "its cold build used the cache mounts as they were"
                )
            if options.skip_cold:
                column.skip("build.cold.seconds", "--skip-cold")
            else:
                cold(column, builder, "build.cold.seconds", {"CACHE_SALT": cold_salt(run_id)}, "cold")
            try:
                built = builder.bake(["essential"])
            except MEASUREMENT_ERRORS as exc:
                _measure(column, ["build.nochange.seconds", "size.web.mb"])(exc)
                steps.index += 1
                return
            column.add("build.nochange.seconds", built.wall_seconds, steps_text(built))
            images = {t.target: t.tag for t in built.targets}
            files = sorted(p.relative_to(export.root).as_posix() for p in export.root.rglob("*") if p.is_file())
            python = edit_for(files, Edit("python", DEFAULT_EDITS["python"]))
            if python is None:
                column.fail("build.warm.python.seconds", "no Python file to edit")
            else:
                one_file(column, builder, python, f"dockyard bench {run_id} {name}", "")
            _project_sizes(column, images)
            with steps.step(f"{name}: docker run -> healthy, nox -s images"):
                _project_startup(column, project, images)
                _project_images_run(column, project, report, name)


def _project_sizes(column: ProjectFigures, images: dict[str, str]) -> None:
    from dockyard.bench.runner import MB, MEASUREMENT_ERRORS, celery_over_web, reason
    from dockyard.docker.images import get_image

    for target, key in (("web", "size.web.mb"), ("celery-unified", "size.celery.mb")):
        try:
            column.add(key, int(get_image(images[target]).attrs["Size"]) / MB, images[target])
        except (KeyError, *MEASUREMENT_ERRORS) as exc:
            column.fail(key, f"no {target} image: {reason(exc)}")
    try:
        shared, own, total = celery_over_web(images["web"], images["celery-unified"])
        column.add("size.celery_over_web.mb", own / MB, f"{own} bytes; shares {shared}/{total} of web's layers")
    except (KeyError, *MEASUREMENT_ERRORS) as exc:
        column.fail("size.celery_over_web.mb", reason(exc))


def _project_startup(column: ProjectFigures, project: Project, images: dict[str, str]) -> None:
    """Time to healthy of the project's web and celery-unified, each with the environment its
    [tool.dockyard] gives its service (database, broker, secret under the site's own names)."""
    from dockyard.bench.runner import MEASUREMENT_ERRORS, reason, service_for_target, startup_figure

    keys = {"web": "startup.web.seconds", "celery-unified": "startup.celery.seconds"}
    timeout = float(project.settings.bench.startup_timeout)
    with contextlib.ExitStack() as stack:
        try:
            site = load_site(project)
            services = runtime.Services(stack, site.helper_image("redis"), site.helper_image("postgres"))
        except MEASUREMENT_ERRORS as exc:
            for key in keys.values():
                column.fail(key, reason(exc))
            return
        for target, key in keys.items():
            if target not in images:
                column.fail(key, f"no {target} image")
                continue
            try:
                _c, startup = runtime.seconds_to_healthy(
                    images[target],
                    stack,
                    timeout,
                    environment=services.environment(site.environment(service_for_target(site, target))),
                    network=services.network,
                    name=containers.unique_name(f"dockyard-bench-{target}"),
                )
            except MEASUREMENT_ERRORS as exc:
                column.fail(key, reason(exc))
                continue
            startup_figure(column, key, startup, "the project's HEALTHCHECK; new database")


def _project_images_run(column: ProjectFigures, project: Project, report: BenchReport, name: str) -> None:
    from dockyard.bench.checks_timing import run_passing_interrupts
    from dockyard.bench.runner import MEASUREMENT_ERRORS, reason

    with contextlib.ExitStack() as stack:
        from dockyard.core.tempdirs import run_tempdir

        try:
            out = stack.enter_context(run_tempdir("bench"))
        except OSError as exc:
            column.fail("checks.images.seconds", str(exc))
            return
        argv = [sys.executable, "-m", "dockyard.images_run", "--json", str(out / "images.json")]
        argv += ["--junit", str(out / "images-junit.xml")]
        log_path = out / "images.log"
        try:
            with open(log_path, "w", encoding="utf-8") as sink:
                run_passing_interrupts(argv, project.root, sink)  # a warm-up: the build cache and page cache
                start = time.monotonic()
                code = run_passing_interrupts(argv, project.root, sink)
                wall = time.monotonic() - start
        except MEASUREMENT_ERRORS as exc:
            column.fail("checks.images.seconds", reason(exc))
            return
        try:
            data = json.loads((out / "images.json").read_text("utf-8"))
        except (OSError, json.JSONDecodeError):
            data = {}
        report.raw.setdefault("projects", {})[name] = {"images_run": {"wall_seconds": wall, "report": data}}
        summary = data.get("summary") or {}
        if code != 0:
            tail = log_path.read_text("utf-8", errors="replace").strip().splitlines()[-1:] or ["no output"]
            column.fail("checks.images.seconds", f"exit {code}: {tail[0][:200]}")
        else:
            column.add(
                "checks.images.seconds",
                wall,
                f"python -m dockyard.images_run (no noxfile); {summary.get('checks', '?')} checks, "
                f"{summary.get('failed', '?')} failed",
            )
