"""Celery workers with an embedded beat (`celery worker --beat`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dockyard.dockerfile.shell import split_commands
from dockyard.lint.commands import CeleryWorker, celery_worker, commands_of
from dockyard.lint.deployment import Runner
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
    for runner in dep.runners:
        for process in ctx.processes(runner):
            worker = celery_worker(process.command)
            if worker:
                yield _Invocation(process.path, process.line, worker, process.where)
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
    reported: set[tuple[str, int]] = set()
    for invocation in _invocations(ctx):
        worker = invocation.worker
        if (str(invocation.path), invocation.line) in reported:
            continue
        reported.add((str(invocation.path), invocation.line))
        if worker.beat and worker.pool in POOLS_REJECTING_BEAT:
            yield ctx.finding(
                "DY008",
                invocation.path,
                invocation.line,
                f"celery worker --beat with --pool {worker.pool} in {invocation.where}: celery "
                f"refuses "
                f"to embed beat with the {worker.pool} pool and the worker exits",
            )


@dataclass(frozen=True)
class _Beat:
    runner: Runner
    path: Path
    line: int
    embedded: bool  # `worker --beat` (else a standalone `celery beat`)
    where: str


@rule(
    "DY016",
    "celery-beat-replicated",
    "error",
    summary="more than one beat scheduler runs: replicas of a worker with --beat, or beat in several places",
    why=(
        "Each beat sends every periodic task on its own: two replicas of `worker --beat`, a `worker --beat` beside "
        "a `celery beat` service, or two targets whose images both run beat make every scheduled job run twice. "
        "The processes are found in CMD, compose `command:`, the scripts they start, supervisord programs and s6 "
        "services of every deployed image."
    ),
    fix=(
        "Run exactly one scheduler: keep `--beat` on a single service with one replica and drop it elsewhere, or "
        "run `celery beat` as its own single service and start the workers without --beat."
    ),
)
def celery_beat_replicated(ctx: LintContext) -> Iterator[LintFinding]:
    beats: list[_Beat] = []
    seen: set[tuple[int, str, int]] = set()
    for runner in ctx.deployment.deployed_runners:
        for process in ctx.processes(runner):
            embedded = celery_worker(process.command)
            standalone = process.role == "beat"
            if not standalone and not (embedded and embedded.beat):
                continue
            key = (id(runner), str(process.path), process.line)
            if key in seen:
                continue
            seen.add(key)
            beats.append(_Beat(runner, process.path, process.line, not standalone, process.where))
    reported: set[tuple[str, int]] = set()

    def report(path: Path, line: int, message: str) -> Iterator[LintFinding]:
        if (str(path), line) not in reported:
            reported.add((str(path), line))
            yield ctx.finding("DY016", path, line, message)

    for beat in beats:
        service = beat.runner.service
        if service is not None and service.replicas > 1 and beat.runner.compose is not None:
            deploy = service.data.get("deploy")
            if isinstance(deploy, dict) and "replicas" in deploy:
                line = deploy.line_of("replicas") if hasattr(deploy, "line_of") else service.line_of("deploy")
            else:
                line = service.line_of("scale")
            kind = "a worker with --beat" if beat.embedded else "celery beat"
            yield from report(
                beat.runner.compose.path,
                line,
                f"service '{service.name}' runs {service.replicas} replicas of {kind} ({beat.where}:{beat.line}): "
                f"every periodic task runs {service.replicas} times",
            )
    if len(beats) < 2:
        return
    ordered = sorted(beats, key=lambda b: (str(b.path), b.line))
    for i, first in enumerate(ordered):
        for second in ordered[i + 1 :]:
            if first.runner is second.runner or not _together(first.runner, second.runner):
                continue
            # beside a standalone scheduler the embedded one is the extra; else the later one
            extra, other = (first, second) if first.embedded and not second.embedded else (second, first)
            what = "embeds beat (worker --beat)" if extra.embedded else "runs celery beat"
            yield from report(
                extra.path,
                extra.line,
                f"{extra.runner.label} {what} while {other.runner.label} runs beat too ({other.where}:{other.line}): "
                f"every periodic task runs twice",
            )


def _together(a: Runner, b: Runner) -> bool:
    """Whether two runners are deployed side by side: services of one compose file, bake targets
    of one group (all of them when the file has no groups), or an image built on its own."""
    if a.kind == "compose" and b.kind == "compose":
        return a.compose is b.compose
    if a.kind == "bake" and b.kind == "bake":
        if a.bake is not b.bake or a.bake is None:
            return False
        groups = [g for g in a.bake.groups if g != "default" or len(a.bake.groups) == 1]
        if not groups:
            return True
        for group in groups:
            try:
                members = set(a.bake.resolve([group]))
            except Exception:  # noqa: BLE001 - a group naming an unknown target: bake reports it
                continue
            if a.name in members and b.name in members:
                return True
        return False
    if "compose" in (a.kind, b.kind) and "bake" in (a.kind, b.kind):
        return False
    return True
