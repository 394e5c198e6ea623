"""Celery workers with an embedded beat (`celery worker --beat`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dockyard.dockerfile.shell import split_commands
from dockyard.lint.commands import CeleryWorker, celery_worker, commands_of
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule

# celery/worker/components.py, class Beat(bootsteps.StartStopStep), create():
#   if w.pool_cls.__module__.endswith(('gevent', 'eventlet')):
#       raise ImproperlyConfigured(ERR_B_GREEN)
# ERR_B_GREEN = "-B option doesn't work with eventlet/gevent pools: use standalone beat instead."
# prefork, solo and threads are accepted: beat.EmbeddedService then runs the scheduler in its own
# (billiard) child process, whatever the pool.
POOLS_REJECTING_BEAT = {"gevent", "eventlet"}


@dataclass(frozen=True)
class _Invocation:
    path: Path
    line: int
    worker: CeleryWorker
    where: str


def _invocations(ctx: LintContext) -> Iterator[_Invocation]:
    dep = ctx.deployment
    for dockerfile in dep.dockerfiles.values():
        for stage in dockerfile.stages:
            for instruction in stage.instructions:
                if instruction.cmd in ("CMD", "ENTRYPOINT"):
                    for command in commands_of(instruction):
                        worker = celery_worker(command)
                        if worker:
                            yield _Invocation(dockerfile.path, instruction.line, worker, f"stage '{stage.label}'")
    for compose in dep.composes:
        for service in compose.services.values():
            for key in ("entrypoint", "command"):
                for command in commands_of(getattr(service, key)):
                    worker = celery_worker(command)
                    if worker:
                        yield _Invocation(compose.path, service.line_of(key), worker, f"service '{service.name}'")
    for script in dep.files.scripts:
        try:
            lines = script.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(lines, start=1):
            if "celery" not in line:
                continue
            for command in split_commands(line.rstrip("\\")):
                worker = celery_worker(command)
                if worker:
                    yield _Invocation(script, number, worker, script.name)


@rule(
    "DY008",
    "celery-beat-pool",
    "error",
    summary="`celery worker --beat` with a pool that refuses an embedded beat (gevent, eventlet)",
    why=(
        "Celery's Beat bootstep raises ImproperlyConfigured(\"-B option doesn't work with "
        "eventlet/gevent pools: use standalone beat instead.\") when the worker's pool class comes "
        "from the gevent or eventlet module (celery/worker/components.py, Beat.create), so the "
        "worker exits at start-up and no periodic task ever runs. prefork, solo and threads accept"
        " --beat: the scheduler runs in its own child process."
    ),
    fix=(
        "Use `--pool prefork` (default), `solo` or `threads` with --beat, or keep the green pool "
        "and run beat as its own service: `celery --app config.celery beat`."
    ),
)
def celery_beat_pool(ctx: LintContext) -> Iterator[LintFinding]:
    for invocation in _invocations(ctx):
        worker = invocation.worker
        if worker.beat and worker.pool in POOLS_REJECTING_BEAT:
            yield ctx.finding(
                "DY008",
                invocation.path,
                invocation.line,
                f"celery worker --beat with --pool {worker.pool} in {invocation.where}: celery "
                f"refuses "
                f"to embed beat with the {worker.pool} pool and the worker exits",
            )


@rule(
    "DY016",
    "celery-beat-replicated",
    "error",
    summary="more than one running worker embeds beat (replicas, or several services with --beat)",
    why=(
        "Each embedded beat sends every periodic task on its own: two replicas of `worker --beat` "
        "run each scheduled job twice. The card's unified service relies on exactly one beat."
    ),
    fix=(
        "Keep `--beat` on a single service with one replica; scale workers with a second service "
        "without --beat, or run `celery beat` separately."
    ),
)
def celery_beat_replicated(ctx: LintContext) -> Iterator[LintFinding]:
    dep = ctx.deployment
    for compose in dep.composes:
        with_beat = []
        for service in compose.services.values():
            commands = commands_of(service.entrypoint) + commands_of(service.command)
            if service.command is None and service.entrypoint is None:
                found = dep.service_stage(compose, service)
                if found is not None:
                    config = dep.graph(found[0]).image_config(found[1])
                    commands = commands_of(config.entrypoint) + commands_of(config.cmd)
            if any((w := celery_worker(c)) is not None and w.beat for c in commands):
                with_beat.append(service)
        for service in with_beat:
            if service.replicas > 1:
                key = "deploy" if "deploy" in service.data else "scale"
                yield ctx.finding(
                    "DY016",
                    compose.path,
                    service.line_of(key),
                    f"service '{service.name}' runs {service.replicas} replicas of a worker with "
                    f"--beat: every periodic task runs {service.replicas} times",
                )
        for service in with_beat[1:]:
            yield ctx.finding(
                "DY016",
                compose.path,
                service.line,
                f"service '{service.name}' embeds beat too (so does '{with_beat[0].name}'): every "
                f"periodic task runs twice",
            )
