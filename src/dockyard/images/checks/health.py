"""Card checklist 2 and Success Metrics: a HEALTHCHECK that fits the service, healthy in < 60 s.

Time to healthy is what an orchestrator waits for. It is measured on the image as built: a
HEALTHCHECK with `--start-interval` probes every second or two during its start period, so
the container turns healthy as soon as the service answers; without it the first probe runs
only after a whole `--interval` (30 s and 60 s in the card). See docs/checks.md.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from dockyard.docker import containers
from dockyard.images.checks.context import TargetContext
from dockyard.images.checks.result import CheckResult, skipped

_URL = re.compile(r"\bhttps?://(?P<host>\[[^\]]+\]|[^/:\s'\"]+)(?::(?P<port>\d+))?(?P<path>/[^\s'\"]*)?")
_NS = 1_000_000_000


@dataclass(frozen=True)
class HealthcheckSpec:
    command: str  # as a shell would read it
    interval: float | None  # seconds; None: the engine default (30 s)
    start_period: float | None
    start_interval: float | None
    retries: int | None

    @property
    def http_port(self) -> int | None:
        """The port an HTTP(S) probe connects to, None for a probe that is not HTTP."""
        match = _URL.search(self.command)
        if not match:
            return None
        if match.group("port"):
            return int(match.group("port"))
        return 443 if match.group(0).startswith("https") else 80

    def summary(self) -> str:
        timing = []
        if self.interval:
            timing.append(f"every {self.interval:g}s")
        if self.start_period:
            timing.append(f"start period {self.start_period:g}s")
        if self.start_interval:
            timing.append(f"every {self.start_interval:g}s while starting")
        short = self.command if len(self.command) <= 70 else self.command[:67] + "..."
        return f"{short} ({', '.join(timing)})" if timing else short


def probe_of(config: dict[str, Any]) -> HealthcheckSpec | None:
    """The image's HEALTHCHECK, or None when it has none (or `HEALTHCHECK NONE`)."""
    spec = config.get("Healthcheck") or {}
    test = spec.get("Test") or []
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD-SHELL":
        command = " ".join(test[1:])
    else:
        command = shlex.join(test[1:] if test[0] == "CMD" else test)

    def seconds(key: str) -> float | None:
        value = spec.get(key)
        return value / _NS if value else None

    return HealthcheckSpec(
        command=command,
        interval=seconds("Interval"),
        start_period=seconds("StartPeriod"),
        start_interval=seconds("StartInterval"),
        retries=spec.get("Retries") or None,
    )


def listening_ports(proc_net_tcp: str) -> set[int]:
    """TCP ports in LISTEN state from the text of /proc/net/tcp and /proc/net/tcp6."""
    ports: set[int] = set()
    for line in proc_net_tcp.splitlines():
        fields = line.split()
        if len(fields) < 4 or ":" not in fields[1] or fields[3] != "0A":
            continue
        try:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except ValueError:
            continue
    return ports


def healthcheck(ctx: TargetContext) -> CheckResult:
    """The image defines a HEALTHCHECK (the card's services all have one)."""
    probe = probe_of(ctx.config)
    if probe is None:
        disabled = (ctx.config.get("Healthcheck") or {}).get("Test", [None])[0] == "NONE"
        why = "HEALTHCHECK NONE disables it" if disabled else "the image defines no HEALTHCHECK"
        return CheckResult(
            "healthcheck",
            ctx.target,
            False,
            "none",
            "HEALTHCHECK defined",
            f"{why}: an orchestrator cannot tell when the service is ready",
        )
    kind = f"HTTP probe, port {probe.http_port}" if probe.http_port else "command probe"
    return CheckResult("healthcheck", ctx.target, True, kind, "HEALTHCHECK defined", probe.summary())


def probe_fits(ctx: TargetContext) -> CheckResult:
    """An HTTP probe only where the running container listens on the probe's port.

    This catches the probe a worker image inherits from a web stage: it can never pass.
    """
    budget = "probe's port is listened on"
    probe = probe_of(ctx.config)
    if probe is None:  # nothing that could fail to fit; the healthcheck check reports the absence
        return skipped("probe_fits", ctx.target, "no HEALTHCHECK (see healthcheck)", budget)
    port = probe.http_port
    if port is None:
        return skipped("probe_fits", ctx.target, "not an HTTP probe, nothing to listen on", budget)
    running = ctx.running()
    if running.outcome.status == "exited":
        return CheckResult(
            "probe_fits",
            ctx.target,
            False,
            "container exited",
            budget,
            f"HTTP probe on port {port}, but {running.outcome.reason}",
        )
    code, text = containers.exec_text(running.container, ["cat", "/proc/net/tcp", "/proc/net/tcp6"])
    if not text.strip() or "sl" not in text:
        reason = running.outcome.reason or f"exit {code}: {text.strip()[:120]}"
        return CheckResult(
            "probe_fits",
            ctx.target,
            False,
            "cannot read ports",
            budget,
            f"HTTP probe on port {port}, but the container's listening ports are unknown: {reason}",
        )
    ports = sorted(listening_ports(text))
    listening = ", ".join(map(str, ports)) or "none"
    if port in ports:
        return CheckResult(
            "probe_fits",
            ctx.target,
            True,
            f"port {port} listening",
            budget,
            f"HTTP probe on port {port}; listening: {listening}",
        )
    return CheckResult(
        "probe_fits",
        ctx.target,
        False,
        f"port {port} not listening",
        budget,
        f"HTTP probe on port {port} cannot pass: the service listens on {listening} "
        f"(an inherited web probe?) - give this stage its own HEALTHCHECK",
    )


def healthy(ctx: TargetContext) -> CheckResult:
    """The container turns `healthy` within the startup budget; the time it took is the measure."""
    limit = float(ctx.settings.startup_seconds)
    budget = f"healthy in <= {limit:g}s"
    outcome = ctx.running().outcome
    if outcome.ok and outcome.seconds is not None:
        passed = outcome.seconds <= limit
        detail = (
            f"healthy {outcome.seconds:.1f}s after start"
            if passed
            else f"healthy after {outcome.seconds:.1f}s, {outcome.seconds - limit:.1f}s over the {limit:g}s budget"
        )
        return CheckResult(
            "healthy",
            ctx.target,
            passed,
            f"{outcome.seconds:.1f}s",
            budget,
            detail,
            value=outcome.seconds,
            limit=limit,
            unit="s",
        )
    measured = {"timeout": f"not healthy after {limit:g}s", "none": "no HEALTHCHECK"}.get(
        outcome.status, outcome.status
    )
    return CheckResult(
        "healthy",
        ctx.target,
        False,
        measured,
        budget,
        outcome.reason or outcome.status,
        limit=limit,
        unit="s",
    )
