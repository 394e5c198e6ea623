"""`invoke prune`, step by step: measure, decide, prune the build cache, remove image tags and
dangling images, measure again. (`invoke prune --stale` is dockyard.prune.stale's survey and reap.)

The task asks and prints; this module measures and removes (through dockyard.docker).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.build.cache import CacheUsage
from dockyard.core.errors import ConfigError
from dockyard.core.project import Project
from dockyard.deploy import caprover, history
from dockyard.docker import buildx, images
from dockyard.prune import stale
from dockyard.prune.plan import (
    CachePrune,
    ImageSelection,
    Report,
    images_from_df,
    parse_duration,
    protected_images,
    select_dangling,
    select_images,
)
from dockyard.prune.stale import Survey


@dataclass
class PrunePlan:
    cache: CachePrune
    report: Report  # with the "before" figures, and the dangling images found
    selection: ImageSelection  # image tags to remove (and kept, with why)
    dangling: bool = False  # remove the dangling images nothing uses (report.dangling.remove)
    stale: Survey | None = None  # what killed runs left (removed only by `invoke prune --stale`)


def measure() -> tuple[CacheUsage, list, object]:
    """(build cache usage, images, image usage) from one `GET /system/df`."""
    usage = images.disk_usage()
    image_list, image_usage = images_from_df(usage)
    return CacheUsage.from_records(list(usage.get("BuildCache") or [])), image_list, image_usage


def plan(
    project: Project,
    cache: CachePrune,
    *,
    images_too: bool = False,
    include_deployed: bool = False,
    dangling: bool = False,
    dangling_label: str | None = None,
    warn: Callable[[str], None] = lambda message: None,
) -> PrunePlan:
    """Measure, and decide which image tags go (with --images), which dangling images (with
    --dangling), and why the others stay; count what killed runs left."""
    if include_deployed and not images_too:
        raise ConfigError("--include-deployed only makes sense with --images")
    cache_before, image_list, images_before = measure()
    report = Report(command=cache.command(), cache_before=cache_before, images_before=images_before)
    until = cache.filters.get("until") or cache.filters.get("unused-for")
    report.dangling = select_dangling(
        image_list, older_than=parse_duration(until) if until else None, now=time.time(), label=dangling_label
    )
    selection = ImageSelection()
    if images_too:
        config = caprover.deploy_config(project)
        recorded = history.read(config.history_path)
        for note in recorded.warnings():
            warn(note)
        protected = {} if include_deployed else protected_images(recorded.entries)
        selection = select_images(
            image_list,
            list(project.settings.image_repositories().values()),
            protected,
            project.settings.prune.keep_tags,
            older_than=parse_duration(until) if until else None,
            now=time.time(),
        )
        report.kept_images = dict(selection.keep)
    return PrunePlan(cache=cache, report=report, selection=selection, dangling=dangling, stale=stale.survey())


def execute(prune_plan: PrunePlan) -> Report:
    """Prune the build cache, remove the selected tags, and measure again."""
    cache, report = prune_plan.cache, prune_plan.report
    report.reclaimed = buildx.prune_cache(
        all_cache=cache.all_cache, keep_storage=cache.keep_storage, filters=cache.filters
    )
    for ref in prune_plan.selection.remove:
        try:
            images.remove_image(ref)
        except images.ImageError as exc:
            report.failed_images[ref] = str(exc).removeprefix(f"{ref}: ")[:160]
        else:
            report.removed_images.append(ref)
    if prune_plan.dangling:
        for image in report.dangling.remove:
            try:
                images.remove_image(image.id)
            except images.ImageError as exc:
                report.failed_dangling[image.id] = str(exc).removeprefix(f"{image.id}: ")[:160]
            else:
                report.removed_dangling.append(image.id)
    report.cache_after, _, report.images_after = measure()
    return report
