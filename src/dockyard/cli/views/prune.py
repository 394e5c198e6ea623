"""`invoke prune` for people: the plan before, the disk space table after."""

from __future__ import annotations

from rich.table import Table

from dockyard.cli.console import console
from dockyard.core.units import human_bytes
from dockyard.prune.plan import ImageSelection, Report


def show_plan(report: Report, selection: ImageSelection, images: bool) -> None:
    cache, layers = report.cache_before, report.images_before
    console.print(
        f"build cache now: {human_bytes(cache.total)} in {cache.records} records, "
        f"{human_bytes(cache.reclaimable)} reclaimable, "
        f"{human_bytes(cache.private)} not shared with images; "
        f"image layers: {human_bytes(layers.layers_size)} in {layers.count} images",
        markup=False,
        soft_wrap=True,
    )
    console.print(f"will run: {' '.join(report.command)}", markup=False, soft_wrap=True)
    if images:
        for ref in selection.remove:
            console.print(f"will remove image tag {ref}", markup=False)
        for ref, why in selection.keep.items():
            console.print(f"keeps {ref}: {why}", markup=False)
        if not selection.remove:
            console.print("no image tag to remove")


def show_report(report: Report) -> None:
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
    if report.reclaimed is not None:
        console.print(
            f"the engine reported {human_bytes(report.reclaimed)} of build cache removed "
            f"(cache shared with images stays on disk until those images go)"
        )
    for ref in report.removed_images:
        console.print(f"removed image tag {ref}", markup=False)
    for ref, why in report.failed_images.items():
        console.print(f"kept image tag {ref}: {why}", markup=False)
