"""`invoke test.*`: the card's Testing Commands, run against real containers, cleaned up afterwards."""

from __future__ import annotations

from invoke import Collection

from dockyard.cli.tasks import _args
from dockyard.cli.tasks._output import detail, emit, note, step
from dockyard.cli.tasks._task import task
from dockyard.core.errors import CheckFailed, ConfigError

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them

JSON_HELP = "print the result as JSON instead of tables"


def _step(name: str) -> None:
    step(name)


@task(
    makes=True,
    default=True,
    help={
        "web_image": "web image to run (default: [tool.dockyard.test] web_image, else the compose file's)",
        "celery_image": "worker image to run (default: [tool.dockyard.test] celery_image, else the compose file's)",
        "timeout": "seconds for every service to become healthy (default [tool.dockyard.test] timeout, 240)",
        "keep": "leave the stack running afterwards (prints the command that takes it down)",
        "beat": "also wait for the site's heartbeat (default on; --no-beat skips it)",
        "json": JSON_HELP,
    },
)
def compose(c, web_image=None, celery_image=None, timeout=None, keep=False, beat=True, json=False):
    """Smoke-test the compose stack: healthy services, the web's health answer, a Celery round trip, beat.

    Brings up the compose file of [tool.dockyard] (compose_file), waits for every service to be
    healthy, asks the web service's health path for its healthy answer, sends the round-trip task of
    [tool.dockyard.celery] through the broker, waits for the heartbeat, then takes the stack down
    (unless --keep). Exits non-zero on any failure."""
    from dockyard.cli.views import runtime as view
    from dockyard.core.project import find_project
    from dockyard.runtime.compose_test import run_compose_test
    from dockyard.runtime.site import load_site

    timeout = _args.seconds("--timeout", timeout)
    web_image = _args.image("--web-image", web_image)
    celery_image = _args.image("--celery-image", celery_image)
    project = find_project()
    compose_file = project.path("compose_file")
    if not compose_file.is_file():  # before the Engine: the site's roles may be read from images
        raise ConfigError(f"compose file not found: {compose_file}")
    site = load_site(project)
    report = run_compose_test(
        site,
        web_image=web_image,
        celery_image=celery_image,
        timeout=timeout,
        keep=keep,
        check_beat=beat,
        on_step=_step,
        on_line=detail,
        log=note,
    )
    emit(json, report.to_dict(), view.compose_view(report))
    if not report.ok:
        raise CheckFailed(f"test.compose failed at {report.failure}")


@task(
    makes=True,
    help={
        "image": "web image (default: [tool.dockyard.test] web_image, else the web service's image)",
        "port": "loopback host port for the web container's port (default 0: a free one)",
        "timeout": "seconds for the health path to answer and the HEALTHCHECK to pass (default 120)",
        "keep": "leave the container (and the postgres/redis it needed) running afterwards",
        "json": JSON_HELP,
    }
)
def web(c, image=None, port=0, timeout=120, keep=False, json=False):
    """Run the web image with the site's environment; poll its health path until it answers healthy.

    The port, health path and healthy answer are the web service's ([tool.dockyard.services]); a
    postgres and a redis are started beside it when its environment names them."""
    from dockyard.cli.views import runtime as view
    from dockyard.core.project import find_project
    from dockyard.runtime.answer import Endpoint
    from dockyard.runtime.helpers import Helpers
    from dockyard.runtime.site import load_site
    from dockyard.runtime.web_test import run_web_test

    image, port = _args.image("--image", image), _args.port("--port", port)
    timeout = _args.seconds("--timeout", timeout)
    site = load_site(find_project())
    service = site.require("web")
    image = image or site.project.settings.test.web_image or service.image
    if not image:
        raise ConfigError(f"no web image: pass --image, or give [tool.dockyard.services.{service.name}] an image")
    report = run_web_test(
        image,
        Endpoint.of(service.settings),
        environment=site.environment(service.name),
        helpers=Helpers(lambda kind: site.helper_image(kind, log=note), prefix="dockyard-test"),
        port=port,
        timeout=timeout,
        keep=keep,
        on_step=_step,
    )
    emit(json, report.to_dict(), view.web_view(report))
    if not report.ok:
        raise CheckFailed(f"test.web failed at {report.failure}")


@task(
    makes=True,
    help={
        "image": "Celery image (default: [tool.dockyard.test] celery_image, else the worker service's image)",
        "timeout": "seconds for the worker and beat to start (default 120)",
        "due_task": "also wait until beat sends its first due task (default on; --no-due-task skips it)",
        "json": JSON_HELP,
    }
)
def celery(c, image=None, timeout=120, due_task=True, json=False):
    """Run the worker image with the site's environment and the postgres/redis it names.

    Passes when what its command runs works: a worker answers `celery inspect ping`, beat writes its
    schedule state (or logs its start) and sends a due task. A worker with --beat needs both."""
    from dockyard.cli.views import runtime as view
    from dockyard.core.project import find_project
    from dockyard.runtime.celery_test import run_celery_test
    from dockyard.runtime.helpers import Helpers
    from dockyard.runtime.site import load_site

    image, timeout = _args.image("--image", image), _args.seconds("--timeout", timeout)
    site = load_site(find_project())
    service = site.require("worker")
    image = image or site.project.settings.test.celery_image or service.image
    if not image:
        raise ConfigError(f"no worker image: pass --image, or give [tool.dockyard.services.{service.name}] an image")
    report = run_celery_test(
        image,
        environment=site.environment(service.name),
        helpers=Helpers(lambda kind: site.helper_image(kind, log=note), prefix="dockyard-test"),
        app=site.celery_app,
        timeout=timeout,
        wait_for_due_task=due_task,
        on_step=_step,
    )
    emit(json, report.to_dict(), view.celery_view(report))
    if not report.ok:
        raise CheckFailed(f"test.celery failed at {report.failure}")


def runtime_images(project) -> list[str]:
    """The first tag of every target in the bake group [tool.dockyard.test] runtime_group."""
    import os

    from dockyard.dockerfile.bake import load_bake

    definition = load_bake(project.path("bake_file"), parser="buildx", cwd=project.root, env=dict(os.environ))
    return [
        definition.targets[name].tags[0]
        for name in definition.resolve([project.settings.test.runtime_group])
        if definition.targets[name].tags
    ]


@task(
    makes=True,
    help={
        "images": "comma-separated images (default: every image of the bake group 'production')",
        "uid": "the uid every runtime image must run as (default 1000)",
        "json": JSON_HELP,
    }
)
def security(c, images=None, uid=1000, json=False):
    """Run `id` in every runtime image; pass when each runs as uid 1000."""
    from dockyard.cli.views import runtime as view
    from dockyard.core.project import find_project
    from dockyard.runtime.uid import check_uid

    given, uid = _args.images("--images", images), _args.uid("--uid", uid)
    project = find_project()
    names = given if given is not None else runtime_images(project)
    results = []
    for image in names:
        _step(f"id in {image}")
        results.append(check_uid(image, expected_uid=uid))
    emit(json, [r.to_dict() for r in results], view.security_view(results))
    failed = [r for r in results if not r.ok]
    if failed:
        raise CheckFailed("test.security: " + "; ".join(f"{r.image}: {r.detail}" for r in failed))


@task(
    iterable=["name"],
    help={
        "name": "a container to check (repeatable); default: every running container",
        "label": "only running containers with this label, e.g. com.docker.compose.project=NAME",
        "wait": "seconds to let containers still 'starting' settle (default 0)",
        "json": JSON_HELP,
    },
)
def health(c, name=None, label=None, wait=0, json=False):
    """Show the health status of running containers; fails when one is not healthy."""
    from dockyard.cli.views import runtime as view
    from dockyard.runtime.health_status import health_rows

    names = list(name or [])
    rows = health_rows(names, wait=_args.seconds("--wait", wait, zero=True), label=label)
    emit(json, [r.to_dict() for r in rows], view.health_view(rows, explicit=bool(names)))
    if not rows:
        raise CheckFailed(
            "test.health: no running containers" + (f" with label {label}" if label else "")
        )
    bad = [r for r in rows if not r.ok and (names or r.health != "none")]
    if bad:
        raise CheckFailed("test.health: " + "; ".join(_why_not_healthy(r) for r in bad))


def _why_not_healthy(row) -> str:  # noqa: ANN001
    if row.status != "running":
        return f"{row.container} is {row.status}"
    if row.health == "none":
        return f"{row.container} has no HEALTHCHECK, so nothing says it is healthy"
    return f"{row.container} is {row.health}"


@task(
    makes=True,
    help={
        "requests": "at least this many requests per step (0: [tool.dockyard.stage] requests, 500)",
        "max_seconds": "at most this long per step, seconds (0: [tool.dockyard.stage] max_seconds, 300)",
        "tag": "when the stage is not up: the image tag to bring it up with (default: the current commit)",
        "keep": "leave a stage this task brought up running afterwards",
        "json": JSON_HELP,
    },
)
def zero_downtime(c, requests=0, max_seconds=0, tag=None, keep=False, json=False):
    """Prove deploys drop nothing: requests through the stage's proxy during a deploy, a rollback and
    two broken images (refused, rolled back by Swarm). Reports requests, failed, p50/p99, converge.

    Uses the running stage, or brings one up (and takes it down afterwards unless --keep). Also
    reads the periodic task's rows: the worker's stop-first updates must not double or miss a run.
    Exits non-zero when a request failed, a step ended otherwise than expected, or beat slipped."""
    from dockyard.cli.console import progress_console
    from dockyard.cli.errors import sigterm_as_interrupt
    from dockyard.cli.tasks.stage import bring_up
    from dockyard.cli.views.stage import zero_downtime_view
    from dockyard.core.project import find_project
    from dockyard.deploy.registry import registry_from_settings
    from dockyard.docker.containers import cleanup_shield
    from dockyard.stage import lifecycle, state, zero_downtime

    sigterm_as_interrupt()  # a CI timeout cleans up as Ctrl-C does
    project = find_project()
    registry = registry_from_settings(project.settings.registry)
    brought = state.load(project) is None
    if brought:
        bring_up(project, tag, None)
    try:
        report = zero_downtime.run(
            project,
            registry,
            min_requests=int(requests) if requests else None,
            max_seconds=float(max_seconds) if max_seconds else None,
            on_step=_step,
            on_state=lambda service, update: progress_console.print(f"[dim]  {service}: {update}[/]"),
            log=note,
        )
    finally:
        if brought and not keep:
            with cleanup_shield(), progress_console.status("taking the stage down"):
                lifecycle.down(project)
    emit(json, report.to_dict(), zero_downtime_view(report))
    if not report.ok:
        raise CheckFailed("test.zero-downtime failed: " + (
            next((f"{s.name}: {s.problem}" for s in report.steps if not s.ok), "") or "the heartbeat rows show a slip"
        ))


ns = Collection("test", compose, web, celery, security, health, zero_downtime)
