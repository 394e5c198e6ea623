"""Image checks: the card's pre-deployment checklist and success metrics, one function each.

Every check takes a `TargetContext` (the image of one bake target, its settings, and its running
container when a check needs one) and returns a `CheckResult`. `CHECKS` maps each name to its
function; `[tool.dockyard.checks]` decides which apply to which target (dockyard.core.settings).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dockyard.core.errors import DockyardError
from dockyard.docker.client import ENGINE_ERRORS
from dockyard.images.checks import celery, health, memory, node_modules, secrets, size, user
from dockyard.images.checks.context import TargetContext, target_context
from dockyard.images.checks.result import CheckResult

Check = Callable[[TargetContext], CheckResult]

# In the order they run: what reads the image first, then what needs the running container;
# idle_memory last, so the time the others take after healthy counts towards its settling.
CHECKS: dict[str, Check] = {
    "non_root": user.non_root,
    "healthcheck": health.healthcheck,
    "image_size": size.image_size,
    "shared_layers": size.shared_layers,
    "node_modules": node_modules.node_modules,
    "no_secrets": secrets.no_secrets,
    "healthy": health.healthy,
    "probe_fits": health.probe_fits,
    "celery_starts": celery.celery_starts,
    "idle_memory": memory.idle_memory,
}

__all__ = [
    "CHECKS",
    "CheckResult",
    "TargetContext",
    "run_check",
    "run_checks",
    "target_context",
]


def run_check(name: str, ctx: TargetContext) -> CheckResult:
    """One check; a check that cannot run (engine error, missing image) fails with the reason."""
    start = time.monotonic()
    try:
        result = CHECKS[name](ctx)
    except (DockyardError, *ENGINE_ERRORS) as exc:
        text = str(exc).strip().splitlines()
        result = CheckResult(name, ctx.target, False, "error", "-", f"could not run: {text[0] if text else exc}")
    result.seconds = round(time.monotonic() - start, 2)
    return result


def run_checks(ctx: TargetContext, on_result: Callable[[CheckResult], None] = lambda r: None) -> list[CheckResult]:
    """Every check the target's settings list, in `CHECKS` order."""
    results = []
    for name in CHECKS:
        if name in ctx.settings.checks:
            result = run_check(name, ctx)
            on_result(result)
            results.append(result)
    return results
