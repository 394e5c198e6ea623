"""Container health as the engine records it: the health log, time to healthy, and waiting for it."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from dockyard.core.redact import redact
from dockyard.core.untrusted import printable
from dockyard.docker.client import Container, NotFound
from dockyard.docker.containers import logs_tail


def parse_docker_time(value: str | None) -> datetime | None:
    """An engine timestamp (RFC 3339, nanoseconds) in UTC; None for unset (year 1) or unreadable."""
    if not value or value.startswith("0001-01-01"):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


ENGINE_HEALTH_LOG = 5  # the engine keeps the last five probes


@dataclass
class HealthProbe:
    """One entry of the engine's health log."""

    exit_code: int
    output: str
    start: str | None = None
    end: str | None = None


def health_probes(attrs: dict[str, Any], limit: int = 5) -> list[HealthProbe]:
    """The last probes of the engine's health log (it keeps five), oldest first, output masked."""
    log = ((attrs.get("State") or {}).get("Health") or {}).get("Log") or []
    return [
        HealthProbe(
            exit_code=int(entry.get("ExitCode", -1)),
            output=printable(redact((entry.get("Output") or "").strip())),
            start=entry.get("Start"),
            end=entry.get("End"),
        )
        for entry in log[-limit:]
    ]


def seconds_to_healthy(attrs: dict[str, Any]) -> float | None:
    """Seconds from the container's start to the end of the probe that made it healthy.

    The healthy transition comes with the first passing probe after the last failing one
    among those the engine kept; None when the log no longer shows it (five passes kept).
    """
    started = parse_docker_time((attrs.get("State") or {}).get("StartedAt"))
    probes = health_probes(attrs, limit=ENGINE_HEALTH_LOG)
    if started is None or not probes:
        return None
    first_pass = None
    seen_failure = False
    for probe in probes:
        if probe.exit_code == 0:
            first_pass = first_pass or probe
        else:
            first_pass, seen_failure = None, True
    if not seen_failure and len(probes) >= ENGINE_HEALTH_LOG:
        return None  # the engine dropped older probes: the transition is no longer in its log
    end = parse_docker_time(first_pass.end) if first_pass else None
    return None if end is None else round(max(0.0, (end - started).total_seconds()), 2)


# --------------------------------------------------------------------------- waiting


@dataclass
class HealthOutcome:
    """What became of a container while waiting for it to turn healthy."""

    status: str  # healthy | unhealthy | none (no HEALTHCHECK) | exited | timeout
    seconds: float | None  # from container start to healthy
    probes: list[tuple[int, str]]  # last health probes: (exit code, output)
    reason: str | None = None  # one line, when not healthy
    exit_code: int | None = None
    restart_count: int = 0
    oom_killed: bool = False
    log_tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "healthy"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def wait_healthy(container: Container, timeout: float, poll: float = 0.5) -> HealthOutcome:
    """Poll until the container is healthy, unhealthy or stopped, or `timeout` seconds pass.

    A container without a HEALTHCHECK that is running gives status "none" at once.
    """
    deadline = time.monotonic() + timeout
    name = container.name
    while True:
        try:
            container.reload()
        except NotFound:
            return HealthOutcome(
                "exited", None, [], reason=f"container {name} was removed while starting"
            )
        attrs = container.attrs
        state = attrs.get("State") or {}
        health = state.get("Health")
        probes = [(p.exit_code, p.output) for p in health_probes(attrs)]
        restarts = int(attrs.get("RestartCount") or 0)
        if state.get("Status") in ("exited", "dead", "restarting") or (
            state.get("Status") != "created" and not state.get("Running")
        ):
            code = state.get("ExitCode")
            tail = logs_tail(container, 10)
            loop = f", restarted {restarts} time(s)" if restarts else ""
            oom = " (killed: out of memory)" if state.get("OOMKilled") else ""
            last = f"; last log line: {tail[-1]}" if tail else ""
            return HealthOutcome(
                "exited",
                None,
                probes,
                exit_code=code,
                restart_count=restarts,
                oom_killed=bool(state.get("OOMKilled")),
                log_tail=tail,
                reason=f"container {name} exited with code {code}{oom}{loop}{last}",
            )
        if health is None:
            return HealthOutcome(
                "none",
                None,
                [],
                restart_count=restarts,
                reason=f"image of {name} defines no HEALTHCHECK",
            )
        status = health.get("Status")
        if status == "healthy":
            return HealthOutcome(
                "healthy", seconds_to_healthy(attrs), probes, restart_count=restarts
            )
        if status == "unhealthy":
            return HealthOutcome(
                "unhealthy",
                None,
                probes,
                restart_count=restarts,
                log_tail=logs_tail(container, 10),
                reason=f"container {name} is unhealthy after {health.get('FailingStreak', 0)} failing probe(s)"
                f"{_last_probe(probes)}",
            )
        if time.monotonic() >= deadline:
            return HealthOutcome(
                "timeout",
                None,
                probes,
                restart_count=restarts,
                log_tail=logs_tail(container, 10),
                reason=f"container {name} still '{status}' after {timeout:g}s{_last_probe(probes)}",
            )
        time.sleep(poll)


def _last_probe(probes: list[tuple[int, str]]) -> str:
    if not probes:
        return ""
    code, output = probes[-1]
    first = output.strip().splitlines()[-1] if output.strip() else "(no output)"
    return f"; last probe exit {code}: {first[:200]}"
