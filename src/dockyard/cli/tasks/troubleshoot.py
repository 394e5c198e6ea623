"""`invoke troubleshoot.*`: the card's Troubleshooting section, read from the real engine for you."""

from __future__ import annotations

from invoke import Collection

from dockyard.cli.tasks import _args
from dockyard.cli.tasks._output import emit, note, step
from dockyard.cli.tasks._task import task
from dockyard.core.errors import CheckFailed

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them

JSON_HELP = "print the report as JSON instead of tables"


@task(
    makes=True,
    help={
        "target": "bake target or group to rebuild, e.g. web",
        "no_cache": "rebuild without the build cache",
        "verbose": "stream BuildKit's plain progress to stderr while it builds",
        "json": JSON_HELP,
    }
)
def build(c, target, no_cache=False, verbose=False, json=False):
    """Rebuild TARGET; report the failing step and the cache state.

    The failing step is shown with its command, error and last output lines. Exits non-zero
    when the build fails."""
    from dockyard.cli.views import diagnose as view
    from dockyard.core.project import find_project
    from dockyard.diagnose import build as build_mod

    project = find_project()
    from dockyard.cli.views.build import plain_printer

    step(f"rebuilding {target}")
    diagnosis = build_mod.diagnose_build(
        project,
        target,
        no_cache=no_cache,
        on_update=plain_printer if verbose else (lambda update: None),
        log=note,
    )
    emit(json, diagnosis.to_dict(), view.build_view(diagnosis))
    if not diagnosis.ok:
        raise CheckFailed(f"build of {target} failed at {diagnosis.failure}")


@task(
    makes=True,
    help={
        "name": "container name or id",
        "lines": "how many log lines to show (default: [tool.dockyard.troubleshoot] log_lines, 30)",
        "json": JSON_HELP,
    }
)
def container(c, name, lines=0, json=False):
    """Why container NAME will not start or stay healthy.

    Shows the logs tail, the health log, state/restarts/OOM, permissions of /code and whether
    the runtime user can write where it must."""
    from dockyard.cli.views import diagnose as view
    from dockyard.core.project import find_project
    from dockyard.diagnose import container as container_mod

    lines = _args.count("--lines", lines, minimum=0)
    project = find_project()
    settings = project.settings.troubleshoot
    report = container_mod.inspect_container(
        name,
        code_dir=settings.code_dir,
        writable_paths=list(settings.writable_paths),
        log_lines=lines or settings.log_lines,
    )
    emit(json, report.to_dict(), view.container_view(report))
    if not report.ok:
        raise CheckFailed(
            f"container {report.name}: "
            + "; ".join(f.summary for f in report.findings if f.severity == "error")
        )


@task(
    help={
        "name": "container name or id (a celery worker --beat, or celery beat)",
        "wait": "seconds to let a container that is still starting settle (default 0)",
        "json": JSON_HELP,
    }
)
def beat(c, name, wait=0, json=False):
    """Is the beat scheduler running in container NAME, and if not, why?

    Reads the container's command and processes, beat's schedule state (its file, or the
    django_celery_beat tables) and Celery's log whatever its format; shows the start line, the
    scheduler and the due tasks, or the causes found. Exits non-zero when beat is not running."""
    from dockyard.cli.views import diagnose as view
    from dockyard.diagnose import beat as beat_mod

    report = beat_mod.diagnose_container(name, wait=_args.seconds("--wait", wait, zero=True), app=_celery_app())
    emit(json, report.to_dict(), view.beat_view(report))
    if not report.running:
        why = (
            report.diagnosis.findings[0].summary
            if report.diagnosis.findings
            else report.diagnosis.state
        )
        raise CheckFailed(f"beat is not running in {report.container}: {why}")


@task(
    makes=True,
    help={
        "image": "image name or id, e.g. dockyard.local/shop-web:latest",
        "json": JSON_HELP,
    }
)
def size(c, image, json=False):
    """Where IMAGE's bytes are, and what to do about the waste.

    Layers by size with their instruction, the largest paths under /code, bytes written in one
    layer and deleted in a later one, with a suggestion per finding."""
    from dockyard.cli.views import diagnose as view
    from dockyard.core.project import find_project
    from dockyard.diagnose import size as size_mod

    image = _args.image("IMAGE", image)
    project = find_project()
    settings = project.settings.troubleshoot
    step(f"reading the layers of {image} (docker save)")
    report = size_mod.analyse_image(
        image,
        code_dir=settings.code_dir,
        min_waste=int(settings.min_waste_bytes),
        min_cache=int(settings.min_cache_bytes),
    )
    emit(
        json,
        report.to_dict(),
        view.size_view(report, int(settings.top_layers), int(settings.top_paths)),
    )


def _celery_app() -> str | None:
    """[tool.dockyard.celery] app of the project here, if there is one (a container's own command
    usually names its app; this is for those that do not)."""
    from dockyard.core.project import ProjectNotFound, find_project

    try:
        return find_project().settings.celery.app
    except ProjectNotFound:
        return None


ns = Collection("troubleshoot", build, container, beat, size)
