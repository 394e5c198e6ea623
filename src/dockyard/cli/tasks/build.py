"""`invoke build.*`: the card's Build Commands (docker buildx bake TARGET), one task for each
target and group of the project's bake file, plus `build.targets` for any list of them.

The names come from the bake file's text (dockyard.dockerfile.bake.scan_file), read when Invoke
loads the tasks; a project with other targets gets tasks for its own.
"""

from __future__ import annotations

import re

from invoke import Collection

from dockyard.cli.tasks._output import emit, note
from dockyard.cli.tasks._task import task
from dockyard.core.errors import DockyardError

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them

HELP = {
    "no_cache": "build without using the build cache (docker buildx bake --no-cache)",
    "progress": "'auto' (a live status line) or 'plain' (BuildKit's full output)",
    "json": "print the result as JSON instead of a table",
    "tag": "image tag (bake variable TAG; default: latest), e.g. the git SHA",
    "push": "then push the images to the registry as SHA tags ([tool.dockyard.registry]; see invoke push)",
    "cache-from-registry": "take the build cache from the images in the registry and write it inline "
    "(default: [tool.dockyard.registry] cache)",
}
_TASK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def _bake(
    names: list[str],
    no_cache: bool,
    progress: str,
    as_json: bool,
    tag: str | None,
    push: bool = False,
    cache_from_registry: bool = False,
) -> None:
    if progress not in ("auto", "plain"):
        raise DockyardError(f"--progress must be 'auto' or 'plain', not '{progress}'")
    if tag is not None:
        from dockyard.core.imageref import validate_tag

        tag = validate_tag(tag)
    from dockyard.build.revision import commit_or_none
    from dockyard.build.runner import BuildRequest, run_build
    from dockyard.cli.views.build import progress_for, result_table
    from dockyard.core.project import find_project
    from dockyard.deploy import push as pushing
    from dockyard.deploy.registry import registry_from_settings

    project = find_project()
    head = commit_or_none(project.root)
    use_cache = cache_from_registry or project.settings.registry.cache
    registry = registry_from_settings(project.settings.registry)
    request = BuildRequest(
        names=names,
        no_cache=no_cache,
        variables={"TAG": tag} if tag else {},
        labels=head.labels() if head else {},
        cache_from=pushing.cache_sources(project, registry) if use_cache else {},
    )
    with progress_for(progress)() as on_update:
        result = run_build(project, request, on_update=on_update, log=note)
    data = result.to_dict()
    if not as_json:
        emit(False, data, result_table(result))
    if push:
        from dockyard.cli.tasks.push import push_built

        data["pushed"] = push_built(project, result, tag, quiet=as_json)
    if as_json:
        emit(True, data, None)


def _bake_task(name: str, doc: str):
    def body(c, no_cache=False, progress="auto", json=False, tag=None, push=False, cache_from_registry=False):
        _bake([name], no_cache, progress, json, tag, push, cache_from_registry)

    body.__doc__ = doc
    body.__name__ = name.replace("-", "_")
    return task(help=HELP, makes=True)(body)


@task(help={"targets": "comma-separated bake targets or groups", **HELP}, makes=True)
def targets(c, targets, no_cache=False, progress="auto", json=False, tag=None, push=False, cache_from_registry=False):
    """Build any bake targets or groups, e.g. --targets web,flower."""
    from dockyard.cli.tasks._args import names

    _bake(names("--targets", targets) or [], no_cache, progress, json, tag, push, cache_from_registry)


def bake_tasks() -> list:
    """A task per target and group of the project's bake file (none when there is no such file)."""
    from dockyard.core.errors import ConfigError
    from dockyard.core.project import find_project
    from dockyard.dockerfile.bake import scan_file

    try:
        project = find_project()
        bake = scan_file(project.path("bake_file"))
    except ConfigError as exc:
        from dockyard.cli.tasks._program import unavailable

        unavailable("build.", str(exc))  # `invoke build.web` then says why there is no such task
        return []  # `invoke --list` still works
    tasks = []
    for name, target in bake.targets.items():
        if bake.is_template(name) or not _TASK_NAME.match(name) or name == "targets":
            continue
        stage = f" (Dockerfile stage {target.stage})" if target.stage else ""
        tasks.append(_bake_task(name, f"Build bake target '{name}'{stage}."))
    for name, members in bake.groups.items():
        if name in bake.targets or not _TASK_NAME.match(name) or name == "targets":
            continue
        tasks.append(_bake_task(name, f"Build bake group '{name}': {', '.join(members)}."))
    return tasks


def collection() -> Collection:
    """`build.targets` and a task per bake target and group; bake's `default` group is the
    collection's default (`invoke build`)."""
    tasks = Collection("build", targets)
    for bake_task in bake_tasks():
        tasks.add_task(bake_task, default=bake_task.name == "default")
    return tasks
