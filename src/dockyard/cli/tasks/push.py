"""`invoke push`: the services' images into the registry, tagged with the git SHA (docs/stage.md)."""

from __future__ import annotations

from dockyard.cli.tasks._task import task

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them


def _jobs(project, services: list[str], tag: str | None):  # noqa: ANN001, ANN202
    from dockyard.build.revision import commit, commit_or_none
    from dockyard.core.errors import ConfigError
    from dockyard.deploy import deployer
    from dockyard.deploy import push as pushing
    from dockyard.deploy.registry import registry_from_settings

    registry = registry_from_settings(project.settings.registry)
    registry.ping()  # a registry that does not answer is the first thing to say
    if tag is None:
        head = commit(project.root)
        tag, sha = head.short, head.sha
    else:
        deployer.validate_tag(tag)
        named = commit_or_none(project.root, tag)
        sha = named.sha if named and named.sha.startswith(tag) else None
    if not services:
        raise ConfigError("no service to push: give --service NAME (a service with an image)")
    return registry, pushing.plan(project, registry, services, tag, sha)


def _push(project, registry, jobs, quiet: bool):  # noqa: ANN001, ANN202
    from dockyard.cli.views.push import PushLine
    from dockyard.deploy import push as pushing

    if quiet:
        return pushing.push_all(jobs, registry)
    with PushLine() as line:
        return pushing.push_all(jobs, registry, on_progress=line)


def push_built(project, result, tag: str | None, quiet: bool = False) -> list[dict]:  # noqa: ANN001
    """After `build.* --push`: push the services whose targets were just built."""
    from dockyard.cli.console import console
    from dockyard.cli.views.push import push_table
    from dockyard.deploy import push as pushing

    services = pushing.services_built(project, [t.target for t in result.targets])
    registry, jobs = _jobs(project, services, tag)
    results = _push(project, registry, jobs, quiet)
    if not quiet:
        console.print(push_table(results))
    return [r.to_dict() for r in results]


@task(
    iterable=["service"],
    help={
        "service": "service to push (repeatable); default: every service with an image and a CapRover app",
        "tag": "the tag to push as (default: the current commit's SHA, 12 digits); the local image "
        "<image>:TAG, else <image>:latest if it was built from that commit",
        "json": "print the pushed references and digests as JSON",
    },
)
def push(c, service=None, tag=None, json=False):
    """Push the services' images to the registry ([tool.dockyard.registry], default 127.0.0.1:5000), SHA-tagged.

    Each image goes up as <registry>/<namespace>/<name>:<SHA> and, for build caches, as
    :<cache_tag> (default latest). A registry that does not answer is named in one line with how
    to start it."""
    from dockyard.cli.tasks._output import emit
    from dockyard.cli.views.push import push_table
    from dockyard.core.project import find_project
    from dockyard.deploy import push as pushing

    project = find_project()
    registry, jobs = _jobs(project, list(service or pushing.default_services(project)), tag)
    results = _push(project, registry, jobs, quiet=json)
    emit(json, {"registry": registry.host, "pushed": [r.to_dict() for r in results]}, push_table(results))
