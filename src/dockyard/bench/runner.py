"""One bench run, end to end: exports, builds, sizes, startup, memory, nox, scale, reports.

On the reference site: the project's Dockerfile and the card's (bench/card/Dockerfile.card) side
by side, built by the same bake file from two exports of the tracked files; `nox -s images` with
its checks concurrent and sequential; a copy of the site grown 10 times. Then the same core
figures on every sample project (`dockyard.bench.projects`).

Everything the run creates is unique to it (image tags `bench-<run id>`, `bench-<run id>-card`,
`bench-<run id>-scale`, containers and networks labelled with the run id, temporary exports) and
removed at the end, also after a failure, Ctrl-C or SIGTERM. The build cache is kept. A measurement
that fails is reported as "not measured" with its reason, and the run goes on with the others.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dockyard.bench import card, chart, checks_timing, runtime, scale
from dockyard.bench.builds import Builder, cached_percent, steps_text
from dockyard.bench.edits import Edit, plan_edits
from dockyard.bench.metrics import METRICS, SCALE_FACTOR
from dockyard.bench.report import BenchReport, Figures, markdown, ratio_of, write_json, write_text
from dockyard.core.errors import ConfigError, DockyardError, EngineUnavailable
from dockyard.core.project import Project, find_project
from dockyard.core.settings import BenchSettings
from dockyard.docker import buildx, containers
from dockyard.docker.client import ENGINE_ERRORS, ConnectionLost, RequestFailed, client
from dockyard.docker.git import git_or_none
from dockyard.docker.images import get_image, image_history, remove_tagged
from dockyard.images.checks.size import layer_sharing
from dockyard.images.export import SOURCES, isolated_context
from dockyard.images.parallel import in_parallel
from dockyard.images.pipeline import ProgressFactory, quiet_progress
from dockyard.runtime.site import Site, load_site

MB = 1_000_000
SCALE_ROUNDS = 3  # one-file rebuilds per side in the scale comparison; the median is reported

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
    skip_checks: bool = False  # leave out `nox -s images` (concurrent and sequential)
    skip_card: bool = False  # leave out the card's Dockerfile
    skip_scale: bool = False  # leave out the site 10x the size
    skip_projects: bool = False  # leave out the sample projects
    source: str = "worktree"
    out_dir: Path | None = None  # default [tool.dockyard.bench] out_dir
    json_path: Path | None = None  # an extra copy of the JSON (the chart goes next to it)
    strict: bool = False


# --------------------------------------------------------------------------- progress


class BenchProgress:
    """`[3/9] warm rebuild ...` lines on stderr, with how long each step took."""

    def __init__(self, total: int, log: Callable[[str], None]):
        self.total = total
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


def load_average() -> list[float] | None:
    """The machine's 1, 5 and 15 minute load averages (what else was running), None where unknown."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


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
        "load_average": load_average(),
        "containers_running": info.get("ContainersRunning"),
    }


# --------------------------------------------------------------------------- the run

ALL_KEYS = [m.key for m in METRICS]


@dataclass
class Tags:
    """The image tags of one run: the project's images, the card's, the scaled site's."""

    run_id: str

    @property
    def own(self) -> str:
        return f"bench-{self.run_id}"

    @property
    def card(self) -> str:
        return f"bench-{self.run_id}-card"

    @property
    def scale(self) -> str:
        return f"bench-{self.run_id}-scale"

    def project(self, name: str) -> str:
        return f"bench-{self.run_id}-{name}"


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
    tags = Tags(run_id)
    report = BenchReport(run_id=run_id, started=datetime.now(UTC).isoformat(timespec="seconds"))
    report.host = host_facts()
    report.raw = {"builds": {}, "startup": {}, "memory": {}, "checks": {}, "card": {}, "scale": {}}
    run_dir = run_dir or output_dir(project, options, settings, run_id)
    card_file = None if options.skip_card else card.card_dockerfile(project.root)
    samples = [] if options.skip_projects else _samples(project)
    steps = BenchProgress(12 + len(edits) + 2 * len(samples), log)
    note = _once(log)
    start = time.monotonic()
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(_cleanup, run_id, [tags.own, tags.card, tags.scale, *map(tags.project, samples)], log)
            with steps.step("export the tracked files (the project's Dockerfile, and the card's)"):
                export = stack.enter_context(isolated_context(project.root, options.source))
                card_export = None
                if card_file is not None:
                    card_export = stack.enter_context(isolated_context(project.root, options.source))
                    card.install(card_export.root, str(project.settings.dockerfile), card_file.read_text("utf-8"))
            report.context = {
                "source": options.source,
                "commit": git_or_none(project.root, "rev-parse", "HEAD"),
                "tracked_changes": bool(git_or_none(project.root, "status", "--porcelain", "--untracked-files=no")),
                "files": export.files,
                "tag": tags.own,
                "card_dockerfile": card.CARD_DOCKERFILE if card_file is not None else None,
            }
            own = Builder(project, export.root, tags.own, progress, note)
            theirs = Builder(project, card_export.root, tags.card, progress, note) if card_export else None
            if theirs is None:
                _skip_card(report, "--skip-card" if options.skip_card else f"no {card.CARD_DOCKERFILE}")
            images, card_images = _builds(report, own, theirs, edits, options, steps, run_id)
            if images is None:
                return report
            with steps.step("image sizes"):
                _sizes(report, images)
                if card_images:
                    _sizes(report, card_images, prefix="cardfile.")
            _runtime(report, project, images, card_images, settings, steps)
            if options.skip_checks:
                for key in ("checks.images.seconds", "checks.images.sequential.seconds"):
                    report.skip(key, "--skip-checks")
                steps.index += 1
            else:
                with steps.step("nox -s images, checks concurrent and sequential"):
                    _checks(report, project, run_dir)
            if options.skip_scale:
                for m in METRICS:
                    if m.group == "scale":
                        report.skip(m.key, "--skip-scale")
                steps.index += 1
            else:
                with steps.step(f"the site {SCALE_FACTOR}x the size: one-file rebuilds beside the site's"):
                    _scale(report, project, own, export.root, edits, tags.scale, progress, note, run_id)
        if samples:
            from dockyard.bench.projects import measure_project

            for name in samples:
                measure_project(report, project, name, options, tags.project(name), steps, progress, log)
    finally:
        report.wall_seconds = round(time.monotonic() - start, 1)
        report.host["load_average_end"] = load_average()
    return report


def _samples(project: Project) -> list[str]:
    from dockyard.bench.projects import sample_projects

    return sample_projects(project.root)


def _once(log: Callable[[str], None]) -> Callable[[str], None]:
    """A note logger that shows each distinct note once (every bake repeats the base-image note)."""
    seen: set[str] = set()

    def note(message: str) -> None:
        if message not in seen:
            seen.add(message)
            log(f"note: {message}")

    return note


def _measure(figures: Figures, keys: list[str]) -> Callable[[BaseException], None]:
    def failed(exc: BaseException) -> None:
        for key in keys:
            figures.fail(key, reason(exc))

    return failed


def _skip_card(report: BenchReport, why: str) -> None:
    for m in METRICS:
        if m.group == "cardfile":
            report.skip(m.key, why)


def cold_salt(run_id: str) -> str:
    """The CACHE_SALT of a cold build: new to this run, so its cache mounts start empty."""
    return f"cold-{run_id}"


def _builds(
    report: BenchReport,
    own: Builder,
    theirs: Builder | None,
    edits: list[Edit],
    options: BenchOptions,
    steps: BenchProgress,
    run_id: str,
) -> tuple[dict[str, str] | None, dict[str, str]]:
    """Cold, warm and one-file builds of both Dockerfiles; (target -> image) for each."""
    salt = {"CACHE_SALT": cold_salt(run_id)}
    if options.skip_cold:
        report.skip("build.cold.seconds", "--skip-cold")
        if theirs is not None:
            report.skip("cardfile.build.cold.seconds", "--skip-cold")
        steps.index += 2
    else:
        with steps.step("cold build of essential (--no-cache, empty cache mounts)"):
            cold(report, own, "build.cold.seconds", salt, "cold")
        with steps.step("cold build of essential, the card's Dockerfile (--no-cache)"):
            if theirs is not None:
                cold(report, theirs, "cardfile.build.cold.seconds", salt, "card_cold")
    with steps.step("warm build of web, celery-unified, flower and test; the card's web, celery-unified, flower"):
        try:
            prime = own.bake(["production", "test"])
        except MEASUREMENT_ERRORS as exc:
            rest = [k for k in ALL_KEYS if k not in report.figures]
            _measure(report, rest)(DockyardError(f"the images could not be built: {reason(exc)}"))
            return None, {}
        card_images: dict[str, str] = {}
        if theirs is not None:
            try:
                card_prime = theirs.bake(["production"])
                card_images = {t.target: t.tag for t in card_prime.targets}
                report.raw["builds"]["card_all_targets"] = card_prime.to_dict()
            except MEASUREMENT_ERRORS as exc:
                keys = [m.key for m in METRICS if m.group == "cardfile" and m.key not in report.figures]
                _measure(report, keys)(DockyardError(f"the card's images could not be built: {reason(exc)}"))
    report.raw["builds"]["all_targets"] = prime.to_dict()
    images = {t.target: t.tag for t in prime.targets}
    with steps.step("rebuild of essential, nothing changed"):
        try:
            result = own.bake(["essential"])
            report.add("build.nochange.seconds", result.wall_seconds, steps_text(result))
            report.raw["builds"]["nochange"] = result.to_dict()
        except MEASUREMENT_ERRORS as exc:
            _measure(report, ["build.nochange.seconds"])(exc)
    for edit in edits:
        with steps.step(f"rebuild of essential, {edit.path} changed"):
            one_file(report, own, edit, f"dockyard bench {run_id} {edit.kind}", "")
    python = next(e for e in edits if e.kind == "python")
    with steps.step(f"rebuild of essential, {python.path} changed, the card's Dockerfile"):
        if theirs is not None and card_images:
            one_file(report, theirs, python, f"dockyard bench {run_id} card", "cardfile.")
    return images, card_images


def cold(figures: Figures, builder: Builder, key: str, salt: dict[str, str], raw_name: str) -> None:
    try:
        result = builder.bake(["essential"], no_cache=True, variables=salt)
    except MEASUREMENT_ERRORS as exc:
        _measure(figures, [key])(exc)
        return
    figures.add(key, result.wall_seconds, f"{steps_text(result)}; cache mounts empty (CACHE_SALT)")
    if isinstance(figures, BenchReport):
        figures.raw["builds"][raw_name] = result.to_dict()


def one_file(figures: Figures, builder: Builder, edit: Edit, marker: str, prefix: str) -> None:
    keys = [f"{prefix}build.warm.{edit.kind}.seconds", f"{prefix}build.warm.{edit.kind}.cached_pct"]
    try:
        result = builder.bake_with_edit(["essential"], edit, marker)
    except MEASUREMENT_ERRORS as exc:
        _measure(figures, keys)(exc)
        return
    figures.add(keys[0], result.wall_seconds, f"{edit.path}; {steps_text(result)}")
    figures.add(keys[1], cached_percent(result.cached_steps, result.total_steps), steps_text(result))
    if isinstance(figures, BenchReport):
        figures.raw["builds"][f"{prefix or 'own.'}edit_{edit.kind}"] = {"file": edit.path, **result.to_dict()}


def _sizes(figures: Figures, images: dict[str, str], prefix: str = "") -> None:
    """Sizes of web, celery-unified and flower, and what celery-unified adds over web; `prefix`
    "cardfile." for the card's images."""
    for target, key in (
        ("web", "size.web.mb"),
        ("celery-unified", "size.celery.mb"),
        ("flower", "size.flower.mb"),
    ):
        try:
            figures.add(prefix + key, int(get_image(images[target]).attrs["Size"]) / MB, images[target])
        except (KeyError, *MEASUREMENT_ERRORS) as exc:
            figures.fail(prefix + key, f"no {target} image: {reason(exc)}")
    try:
        shared, own, total = celery_over_web(images["web"], images["celery-unified"])
        figures.add(
            prefix + "size.celery_over_web.mb", own / MB, f"{own} bytes; shares {shared}/{total} of web's layers"
        )
    except (KeyError, *MEASUREMENT_ERRORS) as exc:
        figures.fail(prefix + "size.celery_over_web.mb", reason(exc))


def celery_over_web(web_image: str, celery_image: str) -> tuple[int, int, int]:
    """(web layers celery-unified shares, bytes of its own, web's layer count)."""
    web = get_image(web_image)
    celery = get_image(celery_image)
    web_layers = (web.attrs.get("RootFS") or {}).get("Layers") or []
    shared, own = layer_sharing(
        web_layers,
        (celery.attrs.get("RootFS") or {}).get("Layers") or [],
        image_history(web_image),
        image_history(celery_image),
    )
    return shared, own, len(web_layers)


# --------------------------------------------------------------------------- runtime


def _runtime(
    report: BenchReport,
    project: Project,
    images: dict[str, str],
    card_images: dict[str, str],
    settings: BenchSettings,
    steps: BenchProgress,
) -> None:
    """Startup and idle memory of the project's images, then startup of the card's, each with the
    site's environment ([tool.dockyard.environment] and its services' own)."""
    site = load_site(project)
    timeout = float(settings.startup_timeout)
    web_env = site.environment(service_for_target(site, "web"))
    celery_env = site.environment(service_for_target(site, "celery-unified"))
    with contextlib.ExitStack() as services_stack:
        try:
            services = runtime.Services(services_stack, site.helper_image("redis"), site.helper_image("postgres"))
        except MEASUREMENT_ERRORS as exc:
            keys = ["startup.celery.seconds", "memory.celery.mb", "memory.total.mb", "cardfile.startup.celery.seconds"]
            _measure(report, [k for k in keys if k not in report.figures])(exc)
            services = None
        with steps.step("docker run -> healthy (web, celery-unified), then idle memory"):
            try:
                own_way(report, images, services, settings, timeout, web_env, celery_env)
            except MEASUREMENT_ERRORS as exc:
                keys = ["startup.web.seconds", "startup.celery.seconds", "memory.web.mb", "memory.celery.mb"]
                _measure(report, [k for k in [*keys, "memory.total.mb"] if k not in report.figures])(exc)
        with steps.step("docker run -> healthy, the card's images (web and celery-unified at once)"):
            if card_images:
                card_way(report, card_images, services, max(timeout, 300.0), web_env, celery_env)


def own_way(
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
        rounds = int(settings.startup_rounds)
        web_c, web, web_starts = runtime.median_startup(
            images["web"],
            stack,
            timeout,
            rounds,
            lambda: runtime.web_environment(web_env),
            name_prefix="dockyard-bench-web",
        )
        report.raw["startup"]["web"] = {**web.to_dict(), "starts": [s.to_dict() for s in web_starts]}
        startup_figure(report, "startup.web.seconds", web, f"the Dockerfile's HEALTHCHECK; median of {rounds} starts")
        if web.status == "healthy" and web_c is not None:
            running["web"] = web_c
        if services is not None:
            celery_c, celery, celery_starts = runtime.median_startup(
                images["celery-unified"],
                stack,
                timeout,
                rounds,
                lambda: services.environment(celery_env),
                network=services.network,
                name_prefix="dockyard-bench-celery",
            )
            report.raw["startup"]["celery-unified"] = {
                **celery.to_dict(),
                "starts": [s.to_dict() for s in celery_starts],
            }
            startup_figure(
                report,
                "startup.celery.seconds",
                celery,
                f"the Dockerfile's HEALTHCHECK; median of {rounds} starts, each on a new database it migrates",
            )
            if celery.status == "healthy" and celery_c is not None:
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


def service_for_target(site: Site, target: str) -> str | None:
    """The service whose image the bake target builds (the reference site's: same name)."""
    found = site.service_for_target(target)
    return found.name if found is not None else None


def card_way(
    report: BenchReport,
    card_images: dict[str, str],
    services: runtime.Services | None,
    timeout: float,
    web_env: dict[str, str],
    celery_env: dict[str, str],
) -> None:
    """Time the card's web and celery-unified to healthy, both at once: their first probe waits a
    whole interval (30 s, 60 s: no start interval), which dominates either figure."""
    starts: dict[str, dict[str, Any]] = {
        "web": {"environment": runtime.web_environment(web_env)},
    }
    if services is None:
        report.fail("cardfile.startup.celery.seconds", "redis and postgres did not start")
    else:
        try:
            starts["celery-unified"] = {
                "environment": services.environment(celery_env),
                "network": services.network,
            }
        except MEASUREMENT_ERRORS as exc:
            report.fail("cardfile.startup.celery.seconds", reason(exc))
    outcomes: dict[str, runtime.Startup | BaseException] = {}
    with contextlib.ExitStack() as stack:

        def start(target: str) -> None:
            try:
                _c, outcomes[target] = runtime.seconds_to_healthy(
                    card_images[target],
                    stack,
                    timeout,
                    name=containers.unique_name(f"dockyard-bench-card-{target}"),
                    **starts[target],
                )
            except BaseException as exc:  # noqa: BLE001 - reported as the figure's reason
                outcomes[target] = exc

        # on Ctrl-C/SIGTERM: no new container of the run, its containers removed, the threads joined
        in_parallel(list(starts), lambda target, _stop_point: start(target), containers.current_run_id())
    for target, key in (("web", "cardfile.startup.web.seconds"), ("celery-unified", "cardfile.startup.celery.seconds")):
        outcome = outcomes.get(target)
        if isinstance(outcome, runtime.Startup):
            report.raw["startup"][f"card_{target}"] = outcome.to_dict()
            startup_figure(report, key, outcome, "the card's HEALTHCHECK (no --start-interval)")
        elif outcome is not None:
            report.fail(key, reason(outcome))


def startup_figure(figures: Figures, key: str, startup: runtime.Startup, how: str) -> None:
    if startup.seconds is None:
        figures.fail(key, startup.reason or startup.status)
    else:
        engine = f"; engine: {startup.engine_seconds:.1f} s from start" if startup.engine_seconds is not None else ""
        figures.add(key, startup.seconds, f"{how}{engine}")


# --------------------------------------------------------------------------- nox -s images


def _checks(report: BenchReport, project: Project, run_dir: Path) -> None:
    try:
        checks_timing.warm_nox_images(project.root, run_dir)
    except MEASUREMENT_ERRORS as exc:
        _measure(report, ["checks.images.seconds", "checks.images.sequential.seconds"])(exc)
        return
    for key, sequential in (("checks.images.seconds", False), ("checks.images.sequential.seconds", True)):
        try:
            nox_run = checks_timing.time_nox_images(project.root, run_dir, sequential=sequential)
        except MEASUREMENT_ERRORS as exc:
            report.fail(key, reason(exc))
            continue
        report.raw["checks"]["sequential" if sequential else "concurrent"] = nox_run.to_dict()
        if nox_run.returncode != 0:
            report.fail(key, f"nox -s images failed: {nox_run.detail()} (log: {nox_run.log_path})")
        else:
            report.add(key, nox_run.wall_seconds, nox_run.detail())


# --------------------------------------------------------------------------- scale


def _scale(
    report: BenchReport,
    project: Project,
    own: Builder,
    export_root: Path,
    edits: list[Edit],
    tag: str,
    progress: ProgressFactory,
    note: Callable[[str], None],
    run_id: str,
) -> None:
    keys = [m.key for m in METRICS if m.group == "scale"]
    python = next(e for e in edits if e.kind == "python")
    asset = next(e for e in edits if e.kind == "asset")
    try:
        with scale.scaled_copy(export_root, python.path, asset.path, SCALE_FACTOR) as site:
            report.raw["scale"] = {
                "factor": SCALE_FACTOR,
                "before": site.plan.before.to_dict(),
                "after": site.plan.after.to_dict(),
                "rounds": SCALE_ROUNDS,
            }
            big = Builder(project, site.root, tag, progress, note)
            first = big.bake(["essential"])
            report.add("scale.build.x10.seconds", first.wall_seconds, steps_text(first))
            small_runs, big_runs = [], []
            for i in range(SCALE_ROUNDS):  # interleaved: load on the machine falls on both alike
                small_runs.append(own.bake_with_edit(["essential"], python, f"dockyard bench {run_id} scale1 {i}"))
                big_runs.append(big.bake_with_edit(["essential"], python, f"dockyard bench {run_id} scale10 {i}"))
    except MEASUREMENT_ERRORS as exc:
        _measure(report, [k for k in keys if k not in report.figures])(exc)
        return
    report.raw["scale"]["rebuilds"] = {
        "x1": [r.to_dict() for r in small_runs],
        f"x{SCALE_FACTOR}": [r.to_dict() for r in big_runs],
    }
    for runs, suffix in ((small_runs, "x1"), (big_runs, "x10")):
        seconds = statistics.median(r.wall_seconds for r in runs)
        cached = statistics.median(cached_percent(r.cached_steps, r.total_steps) or 0.0 for r in runs)
        detail = f"{python.path}; median of {len(runs)}: " + ", ".join(f"{r.wall_seconds:.1f}" for r in runs) + " s"
        report.add(f"scale.rebuild.{suffix}.seconds", seconds, detail)
        report.add(f"scale.cached_pct.{suffix}", cached, steps_text(runs[0]))
    for key, a, b in (
        ("scale.rebuild.ratio", "scale.rebuild.x10.seconds", "scale.rebuild.x1.seconds"),
        ("scale.cached.ratio", "scale.cached_pct.x10", "scale.cached_pct.x1"),
    ):
        value = ratio_of(report.value(a), report.value(b))
        if value is None:
            report.fail(key, f"needs {a} and {b}")
        else:
            report.add(key, value, f"{report.value(a):g} / {report.value(b):g}")


# --------------------------------------------------------------------------- clean-up and outputs


def _cleanup(run_id: str, tags: list[str], log: Callable[[str], None]) -> None:
    with containers.cleanup_shield():
        try:
            removed = containers.remove_labelled(run_id)
            images = [ref for tag in tags for ref in remove_tagged(tag)]
            log(
                f"cleanup: {removed['containers']} container(s), "
                f"{removed['networks']} network(s), "
                f"{len(images)} image(s) of the run removed; the build cache is kept"
            )
        except MEASUREMENT_ERRORS as exc:
            log(f"cleanup incomplete: {exc}")


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
    errors = report.all_errors
    if errors:
        where, first = errors[0]
        raise BenchIncomplete(
            f"{len(errors)} figure(s) not measured, e.g. {first.key}"
            + ("" if where == "reference site" else f" of {where}")
            + f": {first.error}"
        )
    if strict and report.missed_targets:
        raise TargetsMissed(
            f"{len(report.missed_targets)} figure(s) miss their target: "
            + ", ".join(m.key for m in report.missed_targets)
        )
