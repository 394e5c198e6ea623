"""HEALTHCHECKs: present where a port is served, and able to pass in the process they probe."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from dockyard.dockerfile.graph import ImageConfig
from dockyard.lint.commands import classify, commands_of, is_http_probe
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule


def _run_commands(config: ImageConfig) -> list:
    return commands_of(config.entrypoint) + commands_of(config.cmd)


def _text(value) -> str:
    """An ENTRYPOINT/CMD instruction or a compose command/entrypoint, as written."""
    if value is None:
        return ""
    if isinstance(value, list):
        return shlex.join(value)
    if isinstance(value, str):
        return value
    return shlex.join(value.value) if value.json else " ".join(value.value)


def _run_text(entrypoint, cmd, limit: int = 60) -> str:
    """What the container runs: ENTRYPOINT followed by CMD, as Docker joins them (shortened)."""
    text = " ".join(part for part in (_text(entrypoint), _text(cmd)) if part)
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


@rule(
    "DY003",
    "worker-http-healthcheck",
    "error",
    summary="a worker image has (usually inherits) an HTTP HEALTHCHECK it can never pass",
    why=(
        "HEALTHCHECK is inherited through FROM. A celery stage built FROM the web stage keeps the "
        "web stage's `curl http://127.0.0.1:80/health/`; nothing listens there in a worker, so the"
        " container stays `unhealthy` forever and orchestrators restart or never route to it."
    ),
    fix=(
        "Give the worker stage its own probe, e.g. `HEALTHCHECK CMD celery --app config.celery "
        "inspect ping --timeout 10 || exit 1`, or `HEALTHCHECK NONE`; in compose, set "
        "`healthcheck:` on a service whose `command:` turns the web image into a worker."
    ),
)
def worker_http_healthcheck(ctx: LintContext) -> Iterator[LintFinding]:
    dep = ctx.deployment
    for shipped in dep.shipped:
        config = shipped.graph.image_config(shipped.stage)
        if not config.has_healthcheck or not is_http_probe(config.healthcheck):
            continue
        commands = _run_commands(config)
        if classify(commands) != "worker":
            continue
        source = config.healthcheck_stage
        path = shipped.dockerfile.path
        what = _run_text(config.entrypoint, config.cmd)
        if source is shipped.stage:
            yield ctx.finding(
                "DY003",
                path,
                config.healthcheck.line,
                f"stage '{shipped.stage.label}' runs `{what}` but its HEALTHCHECK probes HTTP",
            )
        else:
            yield ctx.finding(
                "DY003",
                path,
                shipped.stage.line,
                f"stage '{shipped.stage.label}' ({shipped.via}) inherits the HTTP HEALTHCHECK of "
                f"stage "
                f"'{source.label}' (line {config.healthcheck.line}) but runs `{what}`: it can "
                f"never "
                f"become healthy",
            )
    for compose in dep.composes:
        for service in compose.services.values():
            if service.command is None and service.entrypoint is None:
                continue
            if service.healthcheck is not None:
                if service.healthcheck_disabled or not is_http_probe(service.healthcheck):
                    continue
                commands = commands_of(service.entrypoint) + commands_of(service.command)
                if classify(commands) == "worker":
                    yield ctx.finding(
                        "DY003",
                        compose.path,
                        service.line_of("healthcheck"),
                        f"service '{service.name}' runs "
                        f"`{_run_text(service.entrypoint, service.command)}` but its "
                        f"healthcheck probes HTTP",
                    )
                continue
            found = dep.service_stage(compose, service)
            if found is None:
                continue
            dockerfile, stage = found
            config = dep.graph(dockerfile).image_config(stage)
            if not config.has_healthcheck or not is_http_probe(config.healthcheck):
                continue
            entrypoint = config.entrypoint if service.entrypoint is None else service.entrypoint
            commands = commands_of(entrypoint) + commands_of(service.command)
            if classify(commands) == "worker":
                key = "command" if service.command is not None else "entrypoint"
                yield ctx.finding(
                    "DY003",
                    compose.path,
                    service.line_of(key),
                    f"service '{service.name}' runs `{_run_text(entrypoint, service.command)}` "
                    f"in stage '{stage.label}', whose HTTP HEALTHCHECK (line "
                    f"{config.healthcheck.line}) it can never pass; set healthcheck: for this "
                    f"service",
                )


@rule(
    "DY010",
    "missing-healthcheck",
    "warning",
    summary="a shipped stage serves a port but has no HEALTHCHECK",
    why=(
        "Without a HEALTHCHECK a container is `running` as soon as its process starts, long before"
        " Django answers; zero-downtime deploys, `depends_on: service_healthy` and the card's "
        "health checks all need a real probe."
    ),
    fix=(
        "Add a probe of the served port, e.g. `HEALTHCHECK --interval=30s --timeout=10s "
        "--start-period=40s --retries=3 CMD curl -f http://127.0.0.1:80/health/ || exit 1`."
    ),
)
def missing_healthcheck(ctx: LintContext) -> Iterator[LintFinding]:
    for shipped in ctx.deployment.shipped:
        config = shipped.graph.image_config(shipped.stage)
        if config.has_healthcheck or not shipped.needs_own_healthcheck:
            continue
        ports = sorted(config.exposed)
        serves = bool(ports) or any(s.has_ports for s in shipped.services) or classify(_run_commands(config)) == "web"
        if not serves:
            continue
        where = f"port {', '.join(ports)}" if ports else "a port"
        if config.healthcheck is not None:  # HEALTHCHECK NONE
            yield ctx.finding(
                "DY010",
                shipped.dockerfile.path,
                config.healthcheck.line,
                f"stage '{shipped.stage.label}' ({shipped.via}) serves {where} but disables its HEALTHCHECK",
            )
        else:
            yield ctx.finding(
                "DY010",
                shipped.dockerfile.path,
                shipped.stage.line,
                f"stage '{shipped.stage.label}' ({shipped.via}) serves {where} but has no HEALTHCHECK",
            )
