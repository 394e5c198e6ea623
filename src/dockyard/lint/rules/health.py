"""HEALTHCHECKs: present where an application server runs, and able to pass in the process they probe."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from dockyard.dockerfile.parser import Instruction
from dockyard.lint.commands import is_http_probe
from dockyard.lint.deployment import Runner
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule

SERVING = {"web", "flower", "proxy"}
PROBE_NEEDED = {"web", "flower"}


def _text(value) -> str:  # noqa: ANN001
    """An ENTRYPOINT/CMD instruction or a compose command/entrypoint, as written."""
    if value is None:
        return ""
    if isinstance(value, list):
        return shlex.join(str(v) for v in value)
    if isinstance(value, str):
        return value
    return shlex.join(value.value) if value.json else " ".join(value.value)


def _run_text(entrypoint, cmd, limit: int = 60) -> str:  # noqa: ANN001
    """What the container runs: ENTRYPOINT followed by CMD, as Docker joins them (shortened)."""
    text = " ".join(part for part in (_text(entrypoint), _text(cmd)) if part)
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _roles(ctx: LintContext, runner: Runner) -> set[str]:
    return {p.role for p in ctx.processes(runner) if p.role is not None}


@rule(
    "DY003",
    "worker-http-healthcheck",
    "error",
    summary="a worker image has (usually inherits) an HTTP HEALTHCHECK it can never pass",
    why=(
        "HEALTHCHECK is inherited through FROM, and a compose service that runs another service's image with its "
        "own `command:` keeps that image's probe. A celery worker or beat with the web stage's `curl "
        "http://127.0.0.1:8000/health/` has nothing listening there: the container stays `unhealthy` forever and "
        "orchestrators restart it or never route to it."
    ),
    fix=(
        "Give the worker stage its own probe, e.g. `HEALTHCHECK CMD celery --app config.celery inspect ping "
        "--timeout 10 || exit 1`, or `HEALTHCHECK NONE`; in compose, set `healthcheck:` on the service."
    ),
)
def worker_http_healthcheck(ctx: LintContext) -> Iterator[LintFinding]:
    reported: set[tuple[str, int]] = set()
    for runner in ctx.deployment.runners:
        probe = runner.healthcheck
        if probe is None or not is_http_probe(probe):
            continue
        roles = _roles(ctx, runner)
        if not roles or roles & SERVING:
            continue
        finding = _worker_probe_finding(ctx, runner, probe, roles)
        key = (str(finding.path), finding.line)
        if key not in reported:
            reported.add(key)
            yield finding


def _worker_probe_finding(ctx: LintContext, runner: Runner, probe, roles: set[str]) -> LintFinding:  # noqa: ANN001
    what = _run_text(runner.entrypoint, runner.cmd)
    kinds = " and ".join(sorted(roles))
    service = runner.service
    if isinstance(probe, dict):  # the service's own healthcheck
        assert service is not None and runner.compose is not None
        return ctx.finding(
            "DY003",
            runner.compose.path,
            service.line_of("healthcheck"),
            f"service '{service.name}' runs `{what}` ({kinds}) but its healthcheck probes HTTP",
        )
    config = runner.config
    assert isinstance(probe, Instruction)
    if service is not None and (service.command is not None or service.entrypoint is not None):
        key = "command" if service.command is not None else "entrypoint"
        assert runner.compose is not None
        return ctx.finding(
            "DY003",
            runner.compose.path,
            service.line_of(key),
            f"service '{service.name}' runs `{what}` ({kinds}) in stage '{runner.stage.label}', whose HTTP "
            f"HEALTHCHECK (line {probe.line}) it can never pass; set healthcheck: for this service",
        )
    path = runner.dockerfile.path
    if config.healthcheck_stage is runner.stage:
        return ctx.finding(
            "DY003",
            path,
            probe.line,
            f"stage '{runner.stage.label}' runs `{what}` ({kinds}) but its HEALTHCHECK probes HTTP",
        )
    source = config.healthcheck_stage.label if config.healthcheck_stage else "?"
    return ctx.finding(
        "DY003",
        path,
        runner.stage.line,
        f"stage '{runner.stage.label}' ({runner.label}) inherits the HTTP HEALTHCHECK of stage '{source}' "
        f"(line {probe.line}) but runs `{what}` ({kinds}): it can never become healthy",
    )


@rule(
    "DY010",
    "missing-healthcheck",
    "warning",
    summary="a deployed image runs an application server (gunicorn, uvicorn, uwsgi, flower...) with no HEALTHCHECK",
    why=(
        "Without a probe a container is `running` as soon as its process starts, long before Django answers: "
        "rolling and zero-downtime deploys (CapRover, swarm `start-first`) send it traffic too early and "
        "`depends_on: service_healthy` cannot wait for it. The server is found in CMD, in the scripts CMD or a "
        "compose `command:` starts (`/start`), and in supervisord or s6 services."
    ),
    fix=(
        "Add a probe of the served port, e.g. `HEALTHCHECK --interval=30s --timeout=10s --start-period=40s "
        "--retries=3 CMD curl -f http://127.0.0.1:8000/health/ || exit 1` (or `healthcheck:` on the compose service)."
    ),
)
def missing_healthcheck(ctx: LintContext) -> Iterator[LintFinding]:
    reported: set[tuple[str, int]] = set()
    for shipped in ctx.deployment.shipped:
        for runner in ctx.deployment.deployed_runners_of(shipped):
            if runner.healthcheck is not None:
                continue
            servers = [p for p in ctx.processes(runner) if p.role in PROBE_NEEDED]
            if not servers:
                continue
            config = runner.config
            disabled_here = (
                config.healthcheck is not None
                and not config.has_healthcheck
                and (runner.service is None or runner.service.healthcheck is None)
            )
            line = config.healthcheck.line if disabled_here and config.healthcheck else shipped.stage.line
            key = (str(shipped.dockerfile.path), line)
            if key in reported:
                continue
            reported.add(key)
            server = servers[0]
            how = "disables its HEALTHCHECK" if disabled_here else "has no HEALTHCHECK"
            started = (
                f" (started by {server.where}:{server.line})"
                if server.where and not server.where.startswith(("CMD", "ENTRYPOINT"))
                else ""
            )
            yield ctx.finding(
                "DY010",
                shipped.dockerfile.path,
                line,
                f"stage '{shipped.stage.label}' ({runner.label}) runs {server.command.program}{started} but {how}",
            )
