"""`invoke prune`: the card's "Clear cache" (`docker buildx prune -af`), confirmed and reported."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from dockyard.cli.tasks._task import task
from dockyard.core.errors import ConfigError, DockyardError

if TYPE_CHECKING:
    from dockyard.prune import plan as pruning

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
        "builder": "buildx builder to prune (default: the current one)",
        "dry-run": "measure and show what would run; remove nothing",
        "json": "print the report as JSON",
    },
)
def prune(
    c,
    yes=False,
    all_=False,
    keep_storage=None,
    filter=None,
    images=False,
    include_deployed=False,  # noqa: A002
    builder=None,
    dry_run=False,
    json_=False,
):
    """Remove build cache (docker buildx prune; --images: old service images too); report space."""
    import docker.errors
    from rich.markup import escape

    from dockyard.cli.console import console, progress_console
    from dockyard.cli.tasks._confirm import confirm
    from dockyard.core.project import find_project
    from dockyard.deploy import caprover, history
    from dockyard.docker import client as engine
    from dockyard.prune import plan as pruning

    project = find_project()
    filters = pruning.parse_filters(list(filter or []))
    argv = pruning.prune_argv(builder, all_, keep_storage, filters)
    if include_deployed and not images:
        raise ConfigError("--include-deployed only makes sense with --images")
    engine.require_cli("buildx")
    client = engine.client()
    with progress_console.status("measuring build cache and images"):
        cache_before = pruning.build_cache_usage(builder)
        image_list, images_before = pruning.images_from_df(client.df())
    report = pruning.Report(argv=argv, cache_before=cache_before, images_before=images_before)

    selection = pruning.ImageSelection()
    if images:
        settings = caprover.load_settings(project)
        recorded = history.read(settings.history_path)
        for note in recorded.warnings():
            progress_console.print(f"[yellow]warning:[/] {escape(note)}")
        protected = {} if include_deployed else pruning.protected_images(recorded.entries)
        defaults = {"keep_tags": list(pruning.DEFAULT_KEEP_TAGS)}
        keep_tags = tuple(project.section("prune", defaults)["keep_tags"])
        until = filters.get("until") or filters.get("unused-for")
        selection = pruning.select_images(
            image_list,
            list(settings.images.values()),
            protected,
            keep_tags,
            older_than=pruning.parse_duration(until) if until else None,
            now=time.time(),
        )
        report.kept_images = dict(selection.keep)

    if not json_:
        _show_plan(report, selection, images)
    if dry_run:
        if json_:
            console.print_json(
                json.dumps(
                    {"dry_run": True, "would_remove_images": selection.remove, **report.to_dict()}
                )
            )
        else:
            console.print("dry run: nothing removed")
        return
    what = "ALL unused build cache" if all_ else "dangling build cache"
    if filters:
        what += " matching " + ", ".join(f"{k}={v}" for k, v in filters.items())
    if selection.remove:
        what += f" and {len(selection.remove)} image tag(s)"
    if not confirm(f"Remove {what}?", yes):
        raise DockyardError("not confirmed: nothing removed")

    with progress_console.status("pruning build cache"):
        report.reported_reclaimed = pruning.run_prune(argv)
    for ref in selection.remove:
        try:
            client.images.remove(ref)
        except docker.errors.ImageNotFound:
            report.failed_images[ref] = "already gone"
        except docker.errors.APIError as exc:
            report.failed_images[ref] = str(exc.explanation or exc).splitlines()[0][:160]
        else:
            report.removed_images.append(ref)
    with progress_console.status("measuring again"):
        report.cache_after = pruning.build_cache_usage(builder)
        _, report.images_after = pruning.images_from_df(client.df())
    if json_:
        console.print_json(json.dumps(report.to_dict()))
    else:
        _show_report(report)


def _show_plan(report: pruning.Report, selection: pruning.ImageSelection, images: bool) -> None:
    from dockyard.cli.console import console
    from dockyard.core.units import human_bytes

    cache, layers = report.cache_before, report.images_before
    console.print(
        f"build cache now: {human_bytes(cache.total)} in {cache.records} records, "
        f"{human_bytes(cache.reclaimable)} reclaimable, "
        f"{human_bytes(cache.private)} not shared with images; "
        f"image layers: {human_bytes(layers.layers_size)} in {layers.count} images",
        markup=False,
        soft_wrap=True,
    )
    console.print(f"will run: {' '.join(report.argv)}", markup=False, soft_wrap=True)
    if images:
        for ref in selection.remove:
            console.print(f"will remove image tag {ref}", markup=False)
        for ref, why in selection.keep.items():
            console.print(f"keeps {ref}: {why}", markup=False)
        if not selection.remove:
            console.print("no image tag to remove")


def _show_report(report: pruning.Report) -> None:
    from rich.table import Table

    from dockyard.cli.console import console
    from dockyard.core.units import human_bytes

    table = Table(title="disk space")
    for column in ("", "before", "after", "freed"):
        table.add_column(column, justify="right" if column else "left")
    before, after = report.cache_before, report.cache_after
    assert after is not None and report.images_after is not None
    rows = [
        (f"build cache ({before.records} -> {after.records} records)", before.total, after.total),
        ("  reclaimable", before.reclaimable, after.reclaimable),
        ("  not shared with images", before.private, after.private),
        (
            f"image layers ({report.images_before.count} -> {report.images_after.count} images)",
            report.images_before.layers_size,
            report.images_after.layers_size,
        ),
    ]
    for label, was, now in rows:
        table.add_row(label, human_bytes(was), human_bytes(now), human_bytes(max(0, was - now)))
    console.print(table)
    if report.reported_reclaimed is not None:
        console.print(
            f"docker buildx prune reported {human_bytes(report.reported_reclaimed)} removed "
            f"(cache shared with images stays on disk until those images go)"
        )
    for ref in report.removed_images:
        console.print(f"removed image tag {ref}", markup=False)
    for ref, why in report.failed_images.items():
        console.print(f"kept image tag {ref}: {why}", markup=False)
