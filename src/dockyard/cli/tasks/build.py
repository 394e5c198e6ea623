"""`invoke build.*`: the card's Build Commands (docker buildx bake TARGET)."""

from __future__ import annotations

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
}


def _bake(names: list[str], no_cache: bool, progress: str, as_json: bool, tag: str | None) -> None:
    if progress not in ("auto", "plain"):
        raise DockyardError(f"--progress must be 'auto' or 'plain', not '{progress}'")
    from dockyard.build.runner import BuildRequest, run_build
    from dockyard.cli.views.build import LiveProgress, plain_printer, result_table
    from dockyard.core.project import find_project

    project = find_project()
    request = BuildRequest(names=names, no_cache=no_cache, variables={"TAG": tag} if tag else {})
    if progress == "plain":
        result = run_build(project, request, on_line=plain_printer, log=note)
    else:
        with LiveProgress() as live:
            result = run_build(project, request, on_line=live, log=note)
    emit(as_json, result.to_dict(), result_table(result))


def _target_task(target: str, doc: str):
    def body(c, no_cache=False, progress="auto", json=False, tag=None):
        _bake([target], no_cache, progress, json, tag)

    body.__doc__ = doc
    body.__name__ = target.replace("-", "_")
    return task(help=HELP)(body)


essential = _target_task("essential", "Build web + celery-unified (bake group 'essential').")
web = _target_task("web", "Build the web image (runtime-full).")
celery_unified = _target_task("celery-unified", "Build the celery-unified image (worker + beat).")
flower = _target_task("flower", "Build the flower image (runtime-minimal).")
test = _target_task("test", "Build the test image (builder + the site's test suite).")
production = _target_task("production", "Build web, celery-unified and flower (bake group 'production').")


@task(help={"targets": "comma-separated bake targets or groups", **HELP}, default=False)
def targets(c, targets, no_cache=False, progress="auto", json=False, tag=None):
    """Build any bake targets or groups, e.g. --targets web,flower."""
    _bake([t.strip() for t in targets.split(",") if t.strip()], no_cache, progress, json, tag)


ns = Collection("build", essential, web, celery_unified, flower, test, production, targets)
