"""Card Success Metrics: "Memory usage: ~750MB idle" - each service's memory once it has settled.

Memory is counted as `docker stats` counts it: the cgroup's usage less the inactive page cache
(`total_inactive_file` on cgroup v1, `inactive_file` on v2). Idle means `settle_seconds` after the
container turned healthy; the largest of a few samples is reported.
"""

from __future__ import annotations

import time
from typing import Any

from dockyard.core.units import human_bytes
from dockyard.docker import containers
from dockyard.images.checks.context import TargetContext
from dockyard.images.checks.result import CheckResult, over_budget

MB = 1_000_000
SAMPLES = 3


def memory_used(stats: dict[str, Any]) -> int | None:
    """Bytes in use from one `docker stats` sample, as the docker CLI computes it."""
    memory = stats.get("memory_stats") or {}
    usage = memory.get("usage")
    if usage is None:
        return None
    details = memory.get("stats") or {}
    for key in ("total_inactive_file", "inactive_file"):  # cgroup v1, then v2
        inactive = details.get(key)
        if inactive is not None and inactive < usage:
            return int(usage - inactive)
    return int(usage)


def idle_memory(ctx: TargetContext) -> CheckResult:
    limit = float(ctx.settings.idle_memory_mb) * MB
    budget = f"<= {human_bytes(limit)} idle"
    running = ctx.settled()
    container = running.container
    samples = []
    for i in range(SAMPLES):
        container.reload()
        if container.status != "running":
            break
        used = memory_used(containers.stats(container))
        if used is not None:
            samples.append(used)
        if i < SAMPLES - 1:
            time.sleep(1)
    if not samples:
        reason = running.outcome.reason or f"container is {container.status}"
        return CheckResult(
            "idle_memory",
            ctx.target,
            False,
            "not measured",
            budget,
            f"no memory sample: {reason}",
            limit=limit / MB,
            unit="MB",
        )
    used = max(samples)
    state = "" if running.outcome.ok else f" (container not healthy: {running.outcome.status})"
    return CheckResult(
        "idle_memory",
        ctx.target,
        used <= limit,
        human_bytes(used),
        budget,
        over_budget(used, limit, human_bytes) + state,
        value=round(used / MB, 1),
        limit=limit / MB,
        unit="MB",
    )
