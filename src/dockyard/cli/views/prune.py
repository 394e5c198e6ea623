"""`invoke prune` for people: the plan before, the disk space table after."""

from __future__ import annotations

from collections import Counter

from rich.table import Table

from dockyard.cli.console import console
from dockyard.core.units import human_bytes
from dockyard.prune.plan import DanglingSelection, ImageSelection, Report
from dockyard.prune.stale import NOUNS, Survey


def show_plan(
    report: Report, selection: ImageSelection, images: bool, dangling: bool = False, stale: Survey | None = None
) -> None:
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
    _show_dangling(report.dangling, dangling)
    if stale is not None and stale.stale:
        console.print(
            f"left by killed runs: {_counts(_stale_counts(stale))} of {len(stale.stale)} run(s): "
            "`invoke prune --stale` removes them",
            markup=False,
            soft_wrap=True,
        )


def _show_dangling(found: DanglingSelection, removing: bool) -> None:
    if not found.found:
        console.print("dangling images: none")
        return
    line = (
        f"dangling images: {len(found.found)} ({human_bytes(found.size)} of their own), "
        f"{len(found.remove)} that nothing uses ({human_bytes(found.removable_size)})"
    )
    if removing:
        console.print(line, markup=False, soft_wrap=True)
        for image_id, why in found.keep.items():
            console.print(f"keeps dangling image {_short(image_id)}: {why}", markup=False)
    elif found.remove:
        console.print(f"{line}: --dangling removes them", markup=False, soft_wrap=True)
    else:
        console.print(line, markup=False, soft_wrap=True)


def show_stale(survey: Survey) -> None:
    """What killed runs left (one line a run), and what is left alone, counted."""
    if not survey.stale:
        console.print("nothing left by killed runs", markup=False)
    for run in survey.stale:
        console.print(
            f"run {run.owner.run} (pid {run.owner.pid}, gone) left {_counts(run.counts())}",
            markup=False,
            soft_wrap=True,
        )
    alone = [
        (survey.live, "of runs still going"),
        (survey.kept, "kept on purpose (--keep)"),
        (survey.ownerless, "labelled dockyard.run without an owner process (never reaped)"),
        (survey.elsewhere, "of runs on other hosts"),
    ]
    for counts, why in alone:
        shown = {k: n for k, n in counts.items() if k != "record"}
        if shown:
            console.print(f"left alone: {_counts(Counter(shown))} {why}", markup=False, soft_wrap=True)
    for path in survey.unreadable:
        console.print(f"warning: {path} is not a run record (left alone)", markup=False)


def _stale_counts(survey: Survey) -> Counter:
    total: Counter = Counter()
    for run in survey.stale:
        total.update(run.counts())
    return total


def _counts(counts: Counter) -> str:
    parts = [
        f"{counts[kind]} {NOUNS[kind][0 if counts[kind] == 1 else 1]}" for kind in NOUNS if counts.get(kind)
    ]
    return ", ".join(parts) or "nothing"


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


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
    if report.removed_dangling:
        console.print(f"removed {len(report.removed_dangling)} dangling image(s)", markup=False)
    for image_id, why in report.failed_dangling.items():
        console.print(f"kept dangling image {_short(image_id)}: {why}", markup=False)
