"""`invoke prune`: the card's "Clear cache" (`docker buildx prune -af`), confirmed and reported;
`--dangling` unused dangling images too; `--stale` only what killed runs left (docs/reliability.md)."""

from __future__ import annotations

from dockyard.cli.tasks._task import task
from dockyard.core.errors import ConfigError, DockyardError

# library modules are imported in the bodies: `invoke --list` and other tasks do not pay for them


@task(
    iterable=["filter"],
    help={
        "yes": "do not ask for confirmation",
        "all": "remove all unused build cache, not just dangling records (the card's -a)",
        "keep-storage": "keep this much build cache, e.g. 10GB (buildx --keep-storage)",
        "filter": "buildx filter KEY=VALUE, repeatable, e.g. until=24h (until also limits --images and --dangling)",
        "images": "also remove old tags of the service images (never the last two deploys)",
        "include-deployed": "with --images, also remove images named by the last two deploys",
        "dangling": "also remove dangling (<none>) images that nothing uses",
        "stale": "only remove what killed dockyard runs left (containers, networks, volumes, image tags, "
        "temp dirs); nothing of a run still going",
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
    dangling=False,
    stale=False,
    dry_run=False,
    json=False,
):
    """Remove build cache (docker buildx prune; --images: old service images, --dangling: unused
    dangling images too); report space. --stale: only what killed runs left behind."""
    from dockyard.cli.console import console, progress_console
    from dockyard.cli.tasks._confirm import confirm
    from dockyard.cli.tasks._output import emit, warning
    from dockyard.cli.views.prune import show_plan, show_report
    from dockyard.core.project import find_project
    from dockyard.prune import run
    from dockyard.prune.plan import cache_prune

    if stale:
        others = {"--all": all_, "--keep-storage": keep_storage, "--filter": filter, "--images": images,
                  "--include-deployed": include_deployed, "--dangling": dangling}
        given = [flag for flag, value in others.items() if value]
        if given:
            raise ConfigError(
                f"--stale cannot be combined with {', '.join(given)}: it removes only what killed runs left"
            )
        _prune_stale(yes=yes, dry_run=dry_run, json=json)
        return
    project = find_project()
    cache = cache_prune(all_, keep_storage, list(filter or []))
    with progress_console.status("measuring build cache and images"):
        plan = run.plan(
            project, cache, images_too=images, include_deployed=include_deployed, dangling=dangling, warn=warning
        )
    report, selection = plan.report, plan.selection
    if not json:
        show_plan(report, selection, images, dangling, plan.stale)
    if dry_run:
        if json:
            emit(
                True,
                {
                    "dry_run": True,
                    "would_remove_images": selection.remove,
                    "would_remove_dangling": [i.id for i in report.dangling.remove] if dangling else [],
                    **report.to_dict(),
                    "stale": plan.stale.to_dict() if plan.stale else None,
                },
                None,
            )
        else:
            console.print("dry run: nothing removed")
        return
    what = cache.describe()
    if selection.remove:
        what += f" and {len(selection.remove)} image tag(s)"
    if dangling and report.dangling.remove:
        what += f" and {len(report.dangling.remove)} dangling image(s)"
    if not confirm(f"Remove {what}?", yes):
        raise DockyardError("not confirmed: nothing removed")
    with progress_console.status("pruning build cache"):
        run.execute(plan)
    if json:
        emit(True, {**report.to_dict(), "stale": plan.stale.to_dict() if plan.stale else None}, None)
    else:
        show_report(report)


def _prune_stale(*, yes: bool, dry_run: bool, json: bool) -> None:
    """`invoke prune --stale`: what killed runs of this host left, removed after the same question."""
    from dockyard.cli.console import console, progress_console
    from dockyard.cli.tasks._confirm import confirm
    from dockyard.cli.tasks._output import emit
    from dockyard.cli.views.prune import show_stale
    from dockyard.prune import stale

    with progress_console.status("looking for what killed runs left"):
        found = stale.survey()
    if not json:
        show_stale(found)
    if dry_run or not found.stale:
        if json:
            emit(True, {"dry_run": dry_run, **found.to_dict(), "reaped": None}, None)
        elif dry_run:
            console.print("dry run: nothing removed")
        return
    if not confirm(f"Remove what {len(found.stale)} killed run(s) left?", yes):
        raise DockyardError("not confirmed: nothing removed")
    done = stale.reap(found.stale)
    if json:
        emit(True, {"dry_run": False, **found.to_dict(), "reaped": done.to_dict()}, None)
    else:
        for line in stale.report_lines(done):
            console.print(line, markup=False, highlight=False)
    if done.problems:
        raise DockyardError(f"{len(done.problems)} thing(s) could not be removed, e.g. {done.problems[0]}")
