"""Card "Unified Celery Service": worker and beat start in one container; the worker answers.

The card's test is `docker logs test-celery | grep -E "(worker|beat)"`; this reads the same log
for Celery's own lines (`celery@host ready.`, beat's start) and asks the worker over the broker
with `celery inspect ping`, as the image's HEALTHCHECK does.
"""

from __future__ import annotations

import time

from dockyard.docker import containers
from dockyard.images.checks.context import TargetContext
from dockyard.images.checks.result import CheckResult
from dockyard.runtime import celery_logs

BUDGET = "worker ready, beat started, ping answered"
BEAT_GRACE_SECONDS = 10  # after the worker is ready, how long a beat start may still appear


def judge(log: str, ping_exit: int | None, ping_output: str) -> tuple[bool, str, str]:
    """(passed, measured, detail) from the container's log and the result of `inspect ping`."""
    ready = celery_logs.worker_ready(log)
    beat = celery_logs.beat_started(log)
    pong = ping_exit == 0 and "pong" in ping_output
    parts = [
        f"worker {'ready' if ready else 'not ready'}",
        f"beat {'started (' + beat.mode + ')' if beat else 'not started'}",
        f"ping {'answered' if pong else 'unanswered'}",
    ]
    measured = ", ".join(parts)
    if ready and beat and pong:
        return True, measured, f"{ready} / {beat.line[:100]}"
    problems = []
    if not ready:
        problems.append("no `celery@... ready.` line in the log")
    if not beat:
        problems.append("no beat start in the log")
    if not pong:
        last = (ping_output.strip().splitlines() or ["no output"])[-1]
        problems.append(f"inspect ping: {'not run' if ping_exit is None else f'exit {ping_exit}'}: {last[:120]}")
    causes = celery_logs.find_causes(log)
    if causes:
        problems.append(f"{causes[0].summary} ({causes[0].evidence[:120]})")
    return False, measured, "; ".join(problems)


def celery_starts(ctx: TargetContext) -> CheckResult:
    running = ctx.running()
    container = running.container
    deadline = running.started + float(ctx.settings.startup_seconds)
    log = containers.logs_text(container)
    ready_at = None
    while time.monotonic() < deadline:
        ready, beat = celery_logs.worker_ready(log), celery_logs.beat_started(log)
        if ready and beat:
            break
        if ready and ready_at is None:
            ready_at = time.monotonic()
        if ready_at is not None and time.monotonic() - ready_at > BEAT_GRACE_SECONDS:
            break  # embedded beat starts before the worker is ready; it is not coming
        container.reload()
        if container.status != "running":
            break
        time.sleep(1)
        log = containers.logs_text(container)
    container.reload()
    ping_exit, ping_output = None, "the container is not running"
    if container.status == "running":
        node = f"celery@{container.attrs['Config']['Hostname']}"
        argv = ["celery", "--app", ctx.settings.celery_app, "inspect", "ping"]
        ping_exit, ping_output = containers.exec_text(container, [*argv, "--destination", node, "--timeout", "10"])
    passed, measured, detail = judge(log, ping_exit, ping_output)
    return CheckResult("celery_starts", ctx.target, passed, measured, BUDGET, detail)
