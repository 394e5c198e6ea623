"""`invoke prune`: the card's "Clear cache" (`docker buildx prune -af`), confirmed and reported."""

from __future__ import annotations

from dockyard.cli.tasks._task import task
from dockyard.core.errors import DockyardError

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them


@task(
    iterable=["filter"],
    help={
        "yes": "do not ask for confirmation",
        "all": "remove all unused build cache, not just dangling records (the card's -a)",
        "keep-storage": "keep this much build cache, e.g. 10GB (buildx --keep-storage)",
        "filter": "buildx filter KEY=VALUE, repeatable, e.g. until=24h (also limits --images)",
        "images": "also remove old tags of the service images (never the last two deploys)",
        "include-deployed": "with --images, also remove images named by the last two deploys",
        "dry-run": "measure and show what would run; remove nothing",
        "json": "print the report as JSON",
    },
)
def prune(
    c,
    yes=False,
    all_=False,
    keep_storage=None,
    filter=None,  # noqa: A002
    images=False,
    include_deployed=False,
    dry_run=False,
    json=False,
):
    """Remove build cache (docker buildx prune; --images: old service images too); report space."""
    from dockyard.cli.console import console, progress_console
    from dockyard.cli.tasks._confirm import confirm
    from dockyard.cli.tasks._output import emit, warning
    from dockyard.cli.views.prune import show_plan, show_report
    from dockyard.core.project import find_project
    from dockyard.prune import run
    from dockyard.prune.plan import cache_prune

    project = find_project()
    cache = cache_prune(all_, keep_storage, list(filter or []))
    with progress_console.status("measuring build cache and images"):
        plan = run.plan(project, cache, images_too=images, include_deployed=include_deployed, warn=warning)
    report, selection = plan.report, plan.selection
    if not json:
        show_plan(report, selection, images)
    if dry_run:
        if json:
            emit(True, {"dry_run": True, "would_remove_images": selection.remove, **report.to_dict()}, None)
        else:
            console.print("dry run: nothing removed")
        return
    what = cache.describe()
    if selection.remove:
        what += f" and {len(selection.remove)} image tag(s)"
    if not confirm(f"Remove {what}?", yes):
        raise DockyardError("not confirmed: nothing removed")
    with progress_console.status("pruning build cache"):
        run.execute(plan)
    if json:
        emit(True, report.to_dict(), None)
    else:
        show_report(report)
