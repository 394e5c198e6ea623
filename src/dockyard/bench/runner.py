"""One bench run, end to end: export, builds, sizes, startup, memory, check timings, reports.

Everything the run creates is unique to it (image tag `bench-<run id>`, containers and networks
labelled with the run id, a temporary export) and removed at the end, also after a failure,
Ctrl-C or SIGTERM. The build cache is kept. A measurement that fails is reported as "not
measured" with its reason, and the run goes on with the others.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dockyard.bench import cardway, chart, checks_timing, runtime
from dockyard.bench.builds import Builder, cached_percent, steps_text
from dockyard.bench.edits import plan_edits
from dockyard.bench.metrics import METRICS
from dockyard.bench.report import BenchReport, markdown, write_json, write_text
from dockyard.core import run_record
from dockyard.core.errors import ConfigError, DockyardError, EngineUnavailable
from dockyard.core.project import Project, find_project
from dockyard.core.settings import BenchSettings
from dockyard.docker import buildx, containers
from dockyard.docker.client import ENGINE_ERRORS, ConnectionLost, RequestFailed, client
from dockyard.docker.git import git_or_none
from dockyard.docker.images import get_image, image_history, remove_tagged
from dockyard.images.checks.size import layer_sharing
from dockyard.images.export import SOURCES, isolated_context
from dockyard.images.pipeline import ProgressFactory, quiet_progress
from dockyard.runtime.site import Site, load_site

MB = 1_000_000
SLOW_STEP_SECONDS = 3.0  # in a log (not a terminal), build steps that took this long are listed

# What a measurement can fail with: dockyard's own errors, the Docker SDK's, and a connection the
# Engine dropped (docker-py lets requests' errors through when dockerd stops or restarts).
MEASUREMENT_ERRORS = (DockyardError, *ENGINE_ERRORS)
ENGINE_GONE = "the Docker Engine stopped answering (restarted?); check with `docker info`"


def reason(exc: BaseException) -> str:
    """One line saying why a measurement failed."""
    if isinstance(exc, ConnectionLost):
        return ENGINE_GONE
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class BenchIncomplete(DockyardError):
    """Some figures could not be measured (their reasons are in the report)."""


class TargetsMissed(DockyardError):
    """--strict: some figures miss their target."""


@dataclass
class BenchOptions:
    skip_cold: bool = False
    skip_checks: bool = False  # leave out `nox -s images` and the two timed check runs
    source: str = "worktree"
    out_dir: Path | None = None  # default [tool.dockyard.bench] out_dir
    json_path: Path | None = None  # an extra copy of the JSON (the chart goes next to it)
    strict: bool = False


# --------------------------------------------------------------------------- progress


class BenchProgress:
    """`[3/9] warm rebuild ...` lines on stderr, with how long each step took."""

    def __init__(self, titles: list[str], log: Callable[[str], None]):
        self.total = len(titles)
        self.log = log
        self.index = 0

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.index += 1
        self.log(f"[{self.index}/{self.total}] {title}")
        start = time.monotonic()
        try:
            yield
        finally:
            self.log(f"      {time.monotonic() - start:.1f}s")


# --------------------------------------------------------------------------- facts


def host_facts() -> dict[str, Any]:
    info = client().info()
    version = client().version()
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(int(info.get("MemTotal", 0)) / 1e9, 1),
        "engine": version.get("Version"),
        "cgroup": info.get("CgroupVersion"),
        "storage_driver": info.get("Driver"),
        "buildx": buildx.version(),
        "kernel": info.get("KernelVersion"),
    }


# --------------------------------------------------------------------------- the run

ALL_KEYS = [m.key for m in METRICS]


def run(
    project: Project,
    options: BenchOptions,
    log: Callable[[str], None] = lambda message: None,
    run_dir: Path | None = None,
    progress: ProgressFactory = quiet_progress,
) -> BenchReport:
    settings = project.settings.bench
    edits = plan_edits(dict(settings.edits))
    run_id = containers.current_run_id()
    tag = f"bench-{run_id}"
    report = BenchReport(run_id=run_id, started=datetime.now(UTC).isoformat(timespec="seconds"))
    report.host = host_facts()
    report.raw = {"builds": {}, "startup": {}, "memory": {}, "checks": {}}
    run_dir = run_dir or output_dir(project, options, settings, run_id)
    titles = [
        "export the tracked files",
        "cold build",
        "warm build of every target",
        "rebuild, nothing changed",
        *[f"rebuild, {e.kind} changed" for e in edits],
        "image sizes",
        "docker run -> healthy, idle memory",
        "the card's HEALTHCHECKs",
        "nox -s images and the checks",
    ]
    steps = BenchProgress(titles, log)
    start = time.monotonic()
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(_cleanup, run_id, tag, log)
            with steps.step("export the tracked files"):
                export = stack.enter_context(isolated_context(project.root, options.source))
            report.context = {
                "source": options.source,
                "commit": git_or_none(project.root, "rev-parse", "HEAD"),
                "tracked_changes": bool(git_or_none(project.root, "status", "--porcelain", "--untracked-files=no")),
                "files": export.files,
                "tag": tag,
            }
            builder = Builder(project, export.root, tag, progress, _once(log))
            images = _builds(report, builder, edits, options, steps, run_id)
            if images is None:
                return report
            with steps.step("image sizes"):
                _sizes(report, images)
            card_images = _runtime(report, project, images, settings, steps, tag)
            if options.skip_checks:
                for key in (
                    "checks.images.seconds",
                    "checks.own_health.seconds",
                    "checks.card_health.seconds",
                    "checks.images.card_way.seconds",
                ):
                    report.skip(key, "--skip-checks")
            else:
                with steps.step("nox -s images, then the same checks both ways"):
                    _checks(report, project, images, card_images, run_dir, run_id, log)
    finally:
        report.wall_seconds = round(time.monotonic() - start, 1)
    return report


def _once(log: Callable[[str], None]) -> Callable[[str], None]:
    """A note logger that shows each distinct note once (every bake repeats the base-image note)."""
    seen: set[str] = set()

    def note(message: str) -> None:
        if message not in seen:
            seen.add(message)
            log(f"note: {message}")

    return note


def _measure(report: BenchReport, keys: list[str]) -> Callable[[BaseException], None]:
    def failed(exc: BaseException) -> None:
        for key in keys:
            report.fail(key, reason(exc))

    return failed


def _builds(
    report: BenchReport,
    builder: Builder,
    edits: list,
    options: BenchOptions,
    steps: BenchProgress,
    run_id: str,
) -> dict[str, str] | None:
    """Cold, warm and one-file builds; target -> image (None when they could not be built)."""
    if options.skip_cold:
        report.skip("build.cold.seconds", "--skip-cold")
        steps.index += 1
    else:
        with steps.step("cold build of essential (--no-cache)"):
            try:
                result = builder.bake(["essential"], no_cache=True)
                report.add("build.cold.seconds", result.wall_seconds, steps_text(result))
                report.raw["builds"]["cold"] = result.to_dict()
            except MEASUREMENT_ERRORS as exc:
                _measure(report, ["build.cold.seconds"])(exc)
    with steps.step("warm build of web, celery-unified, flower and test"):
        try:
            prime = builder.bake(["production", "test"])
        except MEASUREMENT_ERRORS as exc:
            rest = [k for k in ALL_KEYS if k not in report.figures]
            _measure(report, rest)(DockyardError(f"the images could not be built: {reason(exc)}"))
            return None
    report.raw["builds"]["all_targets"] = prime.to_dict()
    images = {t.target: t.tag for t in prime.targets}
    with steps.step("rebuild of essential, nothing changed"):
        try:
            result = builder.bake(["essential"])
            report.add("build.nochange.seconds", result.wall_seconds, steps_text(result))
            report.raw["builds"]["nochange"] = result.to_dict()
        except MEASUREMENT_ERRORS as exc:
            _measure(report, ["build.nochange.seconds"])(exc)
    for edit in edits:
        keys = [f"build.warm.{edit.kind}.seconds", f"build.warm.{edit.kind}.cached_pct"]
        with steps.step(f"rebuild of essential, {edit.path} changed"):
            try:
                result = builder.bake_with_edit(["essential"], edit, f"dockyard bench {run_id} {edit.kind}")
            except MEASUREMENT_ERRORS as exc:
                _measure(report, keys)(exc)
                continue
        report.add(keys[0], result.wall_seconds, f"{edit.path}; {steps_text(result)}")
        report.add(keys[1], cached_percent(result.cached_steps, result.total_steps), steps_text(result))
        report.raw["builds"][f"edit_{edit.kind}"] = {"file": edit.path, **result.to_dict()}
    return images


def _sizes(report: BenchReport, images: dict[str, str]) -> None:
    for target, key in (
        ("web", "size.web.mb"),
        ("celery-unified", "size.celery.mb"),
        ("flower", "size.flower.mb"),
    ):
        try:
            size = int(get_image(images[target]).attrs["Size"])
            report.add(key, size / MB, images[target])
        except (KeyError, *MEASUREMENT_ERRORS) as exc:
            report.fail(key, f"no {target} image: {reason(exc)}")
    try:
        web = get_image(images["web"])
        celery = get_image(images["celery-unified"])
        web_layers = (web.attrs.get("RootFS") or {}).get("Layers") or []
        shared, own = layer_sharing(
            web_layers,
            (celery.attrs.get("RootFS") or {}).get("Layers") or [],
            image_history(images["web"]),
            image_history(images["celery-unified"]),
        )
        report.add(
            "size.celery_over_web.mb",
            own / MB,
            f"{own} bytes; shares {shared}/{len(web_layers)} of web's layers",
        )
    except (KeyError, *MEASUREMENT_ERRORS) as exc:
        report.fail("size.celery_over_web.mb", reason(exc))


def _runtime(
    report: BenchReport,
    project: Project,
    images: dict[str, str],
    settings: BenchSettings,
    steps: BenchProgress,
    tag: str,
) -> dict[str, str]:
    """Startup and idle memory as built, then startup with the card's HEALTHCHECKs.

    Returns the images with the card's HEALTHCHECKs (target -> tag) that could be made."""
    site = load_site(project)
    timeout = float(settings.startup_timeout)
    web_env = site.environment(_service_name(site, "web"))
    celery_env = site.environment(_service_name(site, "celery-unified"))
    card_images: dict[str, str] = {}
    with contextlib.ExitStack() as services_stack:
        try:
            services = runtime.Services(services_stack, site.helper_image("redis"), site.helper_image("postgres"))
        except MEASUREMENT_ERRORS as exc:
            _measure(
                report,
                [
                    "startup.celery.seconds",
                    "startup.celery.card_way.seconds",
                    "memory.celery.mb",
                    "memory.total.mb",
                ],
            )(exc)
            services = None
        with steps.step("docker run -> healthy (web, celery-unified), then idle memory"):
            try:
                _own_way(report, images, services, settings, timeout, web_env, celery_env)
            except MEASUREMENT_ERRORS as exc:
                keys = ["startup.web.seconds", "startup.celery.seconds", "memory.web.mb", "memory.celery.mb"]
                _measure(report, [k for k in [*keys, "memory.total.mb"] if k not in report.figures])(exc)
        with steps.step("docker run -> healthy with the card's HEALTHCHECKs"):
            for target, key in (
                ("web", "startup.web.card_way.seconds"),
                ("celery-unified", "startup.celery.card_way.seconds"),
            ):
                card_tag = f"{images[target].rsplit(':', 1)[0]}-cardhealth:{tag}"
                run_record.note_tags([card_tag])  # the run's own: reaped should the run be killed
                try:
                    card_images[target] = cardway.build_card_image(images[target], target, card_tag)
                except MEASUREMENT_ERRORS as exc:
                    report.fail(key, reason(exc))
                    continue
                if target == "celery-unified" and services is None:
                    continue
                try:
                    with contextlib.ExitStack() as stack:
                        env = (
                            runtime.web_environment(web_env)
                            if target == "web"
                            else services.celery_environment(celery_env)
                        )
                        network = None if target == "web" else services.network
                        _container, startup = runtime.seconds_to_healthy(
                            card_images[target],
                            stack,
                            max(timeout, 300.0),
                            environment=env,
                            network=network,
                            name=containers.unique_name(f"dockyard-bench-{target}-card"),
                        )
                except MEASUREMENT_ERRORS as exc:
                    report.fail(key, reason(exc))
                    continue
                report.raw["startup"][f"{target}_card_way"] = startup.to_dict()
                _startup_figure(report, key, startup, "card's HEALTHCHECK, no --start-interval")
    return card_images


def _own_way(
    report: BenchReport,
    images: dict[str, str],
    services: runtime.Services | None,
    settings: BenchSettings,
    timeout: float,
    web_env: dict[str, str],
    celery_env: dict[str, str],
) -> None:
    with contextlib.ExitStack() as stack:
        running = {}
        web_c, web = runtime.seconds_to_healthy(
            images["web"],
            stack,
            timeout,
            environment=runtime.web_environment(web_env),
            name=containers.unique_name("dockyard-bench-web"),
        )
        report.raw["startup"]["web"] = web.to_dict()
        _startup_figure(report, "startup.web.seconds", web, "the Dockerfile's HEALTHCHECK")
        if web.status == "healthy":
            running["web"] = web_c
        if services is not None:
            celery_c, celery = runtime.seconds_to_healthy(
                images["celery-unified"],
                stack,
                timeout,
                environment=services.celery_environment(celery_env),
                network=services.network,
                name=containers.unique_name("dockyard-bench-celery"),
            )
            report.raw["startup"]["celery-unified"] = celery.to_dict()
            _startup_figure(report, "startup.celery.seconds", celery, "the Dockerfile's HEALTHCHECK")
            if celery.status == "healthy":
                running["celery-unified"] = celery_c
        if not running:
            for key in ("memory.web.mb", "memory.celery.mb", "memory.total.mb"):
                if key not in report.figures:
                    report.fail(key, "no service turned healthy")
            return
        time.sleep(float(settings.settle_seconds))
        samples = runtime.sample_memory(running, int(settings.memory_samples), 1.0)
    report.raw["memory"] = {"settle_seconds": settings.settle_seconds, **samples.to_dict()}
    detail = f"median of {len(samples.rounds)} samples, {samples.formula}"
    for target, key in (("web", "memory.web.mb"), ("celery-unified", "memory.celery.mb")):
        value = samples.median(target)
        if value is None:
            if key not in report.figures:
                report.fail(key, f"{target} was not running")
        else:
            report.add(key, value / MB, detail)
    total = samples.median_total(["web", "celery-unified"])
    if total is not None:
        report.add("memory.total.mb", total / MB, "median over samples of web + celery-unified")
    elif "memory.total.mb" not in report.figures:
        report.fail("memory.total.mb", "needs both services running")


def _service_name(site: Site, target: str) -> str | None:
    """The service whose image the bake target builds (the reference site's: same name)."""
    found = site.service_for_target(target)
    return found.name if found is not None else None


def _startup_figure(report: BenchReport, key: str, startup: runtime.Startup, how: str) -> None:
    if startup.seconds is None:
        report.fail(key, startup.reason or startup.status)
    else:
        engine = f"; engine: {startup.engine_seconds:.1f} s from start" if startup.engine_seconds is not None else ""
        report.add(key, startup.seconds, f"{how}{engine}")


def _checks(
    report: BenchReport,
    project: Project,
    images: dict[str, str],
    card_images: dict[str, str],
    run_dir: Path,
    run_id: str,
    log: Callable[[str], None],
) -> None:
    try:
        nox_run = checks_timing.time_nox_images(project.root, run_dir, log)
        report.raw["checks"]["nox_images"] = nox_run.to_dict()
        report.add("checks.images.seconds", nox_run.wall_seconds, nox_run.detail())
    except MEASUREMENT_ERRORS as exc:
        nox_run = None
        report.fail("checks.images.seconds", reason(exc))
    settings = checks_timing.with_startup_budget(project.settings.checks, checks_timing.CHECK_STARTUP_SECONDS)
    targets = [t for t in settings.targets if t in images]
    quiet = lambda message: None  # noqa: E731
    site = load_site(project)
    try:
        own = checks_timing.time_checks(targets, images, settings, run_id, quiet, site)
        report.raw["checks"]["own_health"] = own.to_dict()
        report.add("checks.own_health.seconds", own.wall_seconds, own.detail())
    except MEASUREMENT_ERRORS as exc:
        own = None
        report.fail("checks.own_health.seconds", reason(exc))
    missing = [t for t in cardway.CARD_HEALTHCHECKS if t not in card_images]
    if missing:
        card = None
        report.fail(
            "checks.card_health.seconds",
            f"no image with the card's HEALTHCHECK for {', '.join(missing)}",
        )
    else:
        try:
            card = checks_timing.time_checks(targets, {**images, **card_images}, settings, run_id, quiet, site)
            report.raw["checks"]["card_health"] = card.to_dict()
            report.add("checks.card_health.seconds", card.wall_seconds, card.detail())
        except MEASUREMENT_ERRORS as exc:
            card = None
            report.fail("checks.card_health.seconds", reason(exc))
    if nox_run is not None and own is not None and card is not None:
        report.add(
            "checks.images.card_way.seconds",
            checks_timing.derived_card_way(nox_run.wall_seconds, own.wall_seconds, card.wall_seconds),
            "nox -s images wall - checks as built + checks with the card's HEALTHCHECKs",
        )
    else:
        report.fail("checks.images.card_way.seconds", "needs nox -s images and both check runs")


def _cleanup(run_id: str, tag: str, log: Callable[[str], None]) -> None:
    with containers.cleanup_shield():
        try:
            removed = containers.remove_labelled(run_id)
            images = remove_tagged(tag)
            log(
                f"cleanup: {removed['containers']} container(s), "
                f"{removed['networks']} network(s), "
                f"{len(images)} image(s) of the run removed; the build cache is kept"
            )
        except MEASUREMENT_ERRORS as exc:
            log(f"cleanup incomplete: {exc}")


# --------------------------------------------------------------------------- outputs


def output_dir(project: Project, options: BenchOptions, settings: BenchSettings, run_id: str) -> Path:
    base = options.out_dir or Path(settings.out_dir)
    if not base.is_absolute():
        base = project.root / base
    return base / f"{time.strftime('%Y%m%d-%H%M%S')}-{run_id}"


def write_outputs(report: BenchReport, run_dir: Path, json_path: Path | None = None) -> dict[str, Path]:
    """bench.json, bench.html (the chart) and bench.md in the run's directory, latest.* beside it,
    and the JSON (with the chart next to it) at `json_path` when given."""
    html, md = chart.page(report), markdown(report)
    paths = {
        "json": write_json(report, run_dir / "bench.json"),
        "chart": write_text(run_dir / "bench.html", html),
        "markdown": write_text(run_dir / "bench.md", md),
    }
    write_json(report, run_dir.parent / "latest.json")
    write_text(run_dir.parent / "latest.html", html)
    write_text(run_dir.parent / "latest.md", md)
    if json_path is not None:
        paths["json_copy"] = write_json(report, json_path)
        paths["chart_copy"] = write_text(json_path.with_suffix(".html"), html)
    return paths


def execute(
    options: BenchOptions,
    log: Callable[[str], None] = lambda message: None,
    progress: ProgressFactory = quiet_progress,
) -> tuple[BenchReport, dict[str, Path]]:
    """Run and write JSON + chart + Markdown; returns the report and where it was written."""
    if options.source not in SOURCES:
        raise ConfigError(f"unknown source '{options.source}' (known: {', '.join(SOURCES)})")
    project = find_project()
    run_dir = output_dir(project, options, project.settings.bench, containers.current_run_id())
    try:
        report = run(project, options, log=log, run_dir=run_dir, progress=progress)
    except RequestFailed:
        raise EngineUnavailable(ENGINE_GONE) from None
    return report, write_outputs(report, run_dir, options.json_path)


def verdict(report: BenchReport, strict: bool) -> None:
    """Raise when figures are missing (or, with --strict, targets missed)."""
    if report.errors:
        first = report.errors[0]
        raise BenchIncomplete(f"{len(report.errors)} figure(s) not measured, e.g. {first.key}: {first.error}")
    if strict and report.missed_targets:
        raise TargetsMissed(
            f"{len(report.missed_targets)} figure(s) miss their target: "
            + ", ".join(m.key for m in report.missed_targets)
        )
