"""`test.health`: the health status of running containers (`docker inspect -f {{.State.Health.Status}}`)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from dockyard.docker.containers import get_container, list_containers
from dockyard.runtime.health import health_probes, seconds_to_healthy, wait_healthy


@dataclass
class HealthRow:
    container: str
    image: str
    status: str  # container status: running, exited, restarting...
    health: str  # healthy | unhealthy | starting | none (no HEALTHCHECK)
    failing_streak: int
    last_probe_exit: int | None
    last_probe_output: str
    seconds_to_healthy: float | None

    @property
    def ok(self) -> bool:
        return self.status == "running" and self.health == "healthy"

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def row(container) -> HealthRow:
    container.reload()
    attrs = container.attrs
    state = attrs.get("State") or {}
    health = state.get("Health") or {}
    probes = health_probes(attrs, limit=1)
    last = probes[-1] if probes else None
    return HealthRow(
        container=container.name,
        image=attrs.get("Config", {}).get("Image", ""),
        status=state.get("Status", "unknown"),
        health=health.get("Status", "none"),
        failing_streak=int(health.get("FailingStreak") or 0),
        last_probe_exit=last.exit_code if last else None,
        last_probe_output=(last.output.splitlines()[-1][:200] if last and last.output else ""),
        seconds_to_healthy=seconds_to_healthy(attrs) if health.get("Status") == "healthy" else None,
    )


def health_rows(
    names: list[str] | None = None, wait: float = 0.0, label: str | None = None
) -> list[HealthRow]:
    """Rows for the named containers (each must exist), or for every running one (optionally by label).

    With `wait`, containers still "starting" are given up to that many seconds to settle.
    """
    found = [get_container(name) for name in names] if names else list_containers(label)
    if wait > 0:
        deadline = time.monotonic() + wait
        for container in found:
            container.reload()
            if ((container.attrs.get("State") or {}).get("Health") or {}).get(
                "Status"
            ) == "starting":
                wait_healthy(container, max(0.5, deadline - time.monotonic()))
    return sorted((row(c) for c in found), key=lambda r: r.container)
