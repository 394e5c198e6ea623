"""Card "Image Targets" and "Performance": image sizes, and celery riding on web's layers.

Sizes are the engine's `Size` of the image (what `docker images` shows, in decimal MB/GB).
"""

from __future__ import annotations

from typing import Any

from dockyard.core.units import human_bytes
from dockyard.images.checks.context import TargetContext
from dockyard.images.checks.result import CheckResult, over_budget

MB = 1_000_000


def image_size(ctx: TargetContext) -> CheckResult:
    size = int(ctx.attrs["Size"])
    limit = float(ctx.settings.image_size_mb) * MB
    return CheckResult(
        "image_size",
        ctx.target,
        size <= limit,
        human_bytes(size),
        f"<= {human_bytes(limit)}",
        over_budget(size, limit, human_bytes),
        value=round(size / MB, 1),
        limit=limit / MB,
        unit="MB",
    )


def layer_sharing(
    base_layers: list[str],
    layers: list[str],
    base_history: list[dict[str, Any]],
    history: list[dict[str, Any]],
) -> tuple[int, int]:
    """(how many of the base image's layers the image starts with, bytes of the image's own layers).

    Histories are oldest first. Own bytes are the sizes of the history entries after the part
    both histories have in common (same step, same size, same time).
    """
    shared = 0
    for mine, theirs in zip(layers, base_layers, strict=False):
        if mine != theirs:
            break
        shared += 1
    common = 0
    for mine, theirs in zip(history, base_history, strict=False):
        if (mine.get("CreatedBy"), mine.get("Size"), mine.get("Created")) != (
            theirs.get("CreatedBy"),
            theirs.get("Size"),
            theirs.get("Created"),
        ):
            break
        common += 1
    own = sum(int(entry.get("Size") or 0) for entry in history[common:])
    return shared, own


def shared_layers(ctx: TargetContext) -> CheckResult:
    """The image is built on the other target's image: all its layers shared, own layers small."""
    base_target = ctx.settings.shares_layers_with
    limit = float(ctx.settings.own_layers_mb) * MB
    budget = f"all {base_target} layers, own <= {human_bytes(limit)}"
    base = ctx.peer_attrs(base_target)
    base_layers = (base.get("RootFS") or {}).get("Layers") or []
    layers = (ctx.attrs.get("RootFS") or {}).get("Layers") or []
    shared, own = layer_sharing(base_layers, layers, ctx.history(base["Id"]), ctx.history())
    measured = f"{shared}/{len(base_layers)} {base_target} layers, own {human_bytes(own)}"
    problems = []
    if shared < len(base_layers):
        problems.append(
            f"shares only {shared} of {base_target}'s {len(base_layers)} layers: a first pull "
            f"downloads {human_bytes(own)} more (build the stage FROM {base_target}'s stage)"
        )
    if own > limit:
        problems.append(f"own layers: {over_budget(own, limit, human_bytes)}")
    detail = "; ".join(problems) or (
        f"built on {base_target}'s {len(base_layers)} layers; own layers {over_budget(own, limit, human_bytes)}"
    )
    return CheckResult(
        "shared_layers",
        ctx.target,
        not problems,
        measured,
        budget,
        detail,
        value=round(own / MB, 2),
        limit=limit / MB,
        unit="MB",
    )
