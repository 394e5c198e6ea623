"""`invoke stage.*`: the local stage shaped like CapRover (Swarm services behind nginx; docs/stage.md)."""

from __future__ import annotations

from invoke import Collection

from dockyard.cli.tasks._task import task

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them


def _log(message: str) -> None:
    from dockyard.cli.console import progress_console

    progress_console.print(f"stage: {message}", markup=False, style="dim")


def bring_up(project, tag: str | None, port: int | None):  # noqa: ANN001, ANN201
    """Push the images of `tag` (default: the current commit) and bring the stage up; its state."""
    from rich.text import Text

    from dockyard.build.revision import commit, commit_or_none
    from dockyard.cli.console import progress_console
    from dockyard.deploy.deployer import validate_tag
    from dockyard.deploy.registry import registry_from_settings
    from dockyard.stage import lifecycle

    registry = registry_from_settings(project.settings.registry)
    if tag is None:
        head = commit(project.root)
        tag, sha = head.short, head.sha
    else:
        named = commit_or_none(project.root, validate_tag(tag))
        sha = named.sha if named and named.sha.startswith(tag) else None
    with progress_console.status(Text(f"bringing the stage {project.settings.stage.name} up")):
        return lifecycle.up(project, registry, tag, sha, port=port, log=_log)


@task(
    makes=True,
    help={
        "tag": "the image tag to run (default: the current commit's SHA; pushed first, see invoke push)",
        "port": "the proxy's port on 127.0.0.1 (default: [tool.dockyard.stage] port, 0 = a free one)",
        "json": "print the stage's state as JSON",
    },
)
def up(c, tag=None, port=None, json=False):
    """Run the built images as Swarm services (web, worker, database, broker) behind an nginx proxy.

    Initialises a single-node swarm on 127.0.0.1 if there is none (stage.down then leaves it),
    pushes the web and worker images to the registry, and publishes the proxy on 127.0.0.1 only."""
    from dataclasses import asdict

    from dockyard.cli.console import console
    from dockyard.cli.errors import sigterm_as_interrupt
    from dockyard.cli.tasks._output import emit
    from dockyard.core.project import find_project

    sigterm_as_interrupt()  # killed half-way, it takes down what it made
    project = find_project()
    state = bring_up(project, tag, int(port) if port is not None else None)
    if json:
        emit(True, {**asdict(state), "url": state.url}, None)
    else:
        console.print(f"stage {state.name} is up: {state.url} (invoke stage.down removes it)", markup=False)


@task(help={"json": "print what was removed as JSON"})
def down(c, json=False):
    """Remove the stage's proxy, services and network; leave the swarm if stage.up initialised it."""
    from dockyard.cli.console import console
    from dockyard.cli.tasks._output import emit
    from dockyard.core.project import find_project
    from dockyard.stage import lifecycle

    done = lifecycle.down(find_project(), log=_log)
    if json:
        emit(True, {"done": done}, None)
        return
    for line in done or ["nothing to remove"]:
        console.print(line, markup=False)


@task(help={"json": "print the stage's services as JSON"})
def status(c, json=False):
    """Show the stage's services: image, tasks running, the last update's state; and the proxy URL."""
    from dockyard.cli.tasks._output import emit
    from dockyard.cli.views.stage import status_table
    from dockyard.core.project import find_project
    from dockyard.stage import lifecycle

    found = lifecycle.status(find_project())
    emit(json, found.to_dict(), status_table(found))


ns = Collection("stage", up, down, status)
