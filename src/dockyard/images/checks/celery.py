"""Card "Unified Celery Service": the worker and beat the image's command asks for both work.

The card's test is `docker logs test-celery | grep -E "(worker|beat)"`. This asks Celery itself
where it can (runtime.celery_evidence): `celery inspect ping` through the broker (as the image's
HEALTHCHECK does) and beat's schedule state inside the container, with Celery's log text, in the
site's own format, as the evidence quoted. What is expected follows the container's command: a
`worker --beat` needs both, a legacy `celery worker` only the worker, a `celery beat` only beat
(it answers no ping).
"""

from __future__ import annotations

import time

from dockyard.core.commands import celery_command
from dockyard.docker import containers
from dockyard.images.checks.context import TargetContext
from dockyard.images.checks.result import CheckResult
from dockyard.runtime import celery_evidence, celery_logs
from dockyard.runtime.celery_evidence import CeleryEvidence

BEAT_GRACE_SECONDS = 10  # after the worker is ready, how long a beat start may still appear


def budget_for(worker: bool, beat: bool) -> str:
    wanted = (["worker answers inspect ping"] if worker else []) + (["beat started"] if beat else [])
    return ", ".join(wanted) or "a celery worker or beat"


def expected(evidence: CeleryEvidence, role: str | None) -> tuple[bool, bool]:
    """(worker expected, beat expected): what the command runs, and what the target's role says
    it must run (worker+beat: both, whatever the command)."""
    want_worker = evidence.is_worker or role in ("worker+beat", "worker")
    want_beat = bool(evidence.beat_requested) or role in ("worker+beat", "beat")
    return want_worker, want_beat


def judge(evidence: CeleryEvidence, role: str | None = None) -> tuple[bool, str, str]:
    """(passed, measured, detail) from what the container showed, for a target with `role`."""
    if evidence.celery is None or evidence.celery.subcommand not in ("worker", "beat"):
        return False, "not celery", f"the image runs `{' '.join(evidence.command)}`, not a celery worker or beat"
    want_worker, want_beat = expected(evidence, role)
    parts: list[str] = []
    problems: list[str] = []
    quotes: list[str] = []
    if want_beat and not evidence.beat_requested:
        problems.append(f"the {role} image's command starts no beat (no --beat in `{' '.join(evidence.command)}`)")
    if want_worker:
        ping = evidence.ping
        if ping is not None:
            parts.append("ping answered" if ping.ok else "ping unanswered")
            if not ping.ok:
                problems.append(f"inspect ping: {ping.detail}")
        else:
            parts.append("worker ready" if evidence.log.worker_ready else "worker not ready")
            if not evidence.log.worker_ready:
                problems.append("no `celery@... ready.` in the log and no Celery app to ping it with")
        if evidence.log.worker_ready:
            quotes.append(evidence.log.worker_ready)
    if want_beat:
        schedule = evidence.schedule
        started = evidence.beat_started
        how = schedule.describe() if schedule is not None and schedule.fresh else "log" if evidence.log.start else ""
        parts.append(f"beat started ({how})" if started else f"beat {evidence.log.state}")
        if not started:
            problems.append(
                "no beat start: "
                + (schedule.describe() if schedule is not None else "no schedule state read")
                + ", and no `beat: Starting...` in the log"
            )
        if evidence.log.start:
            quotes.append(evidence.log.start.line)
    measured = ", ".join(parts)
    if problems:
        if evidence.log.findings:  # what the log says went wrong explains the failure
            cause = evidence.log.findings[0]
            problems.append(f"{cause.summary} ({cause.evidence[:120]})")
        return False, measured, "; ".join(problems)
    detail = " / ".join(q[:100] for q in quotes) or measured
    if evidence.registered is not None:
        detail += f" ({len(evidence.registered)} tasks registered)"
    return True, measured, detail


def celery_starts(ctx: TargetContext) -> CheckResult:
    running = ctx.running()
    container = running.container
    deadline = running.started + float(ctx.settings.startup_seconds)
    container.reload()
    celery = celery_command(containers.process_argv(container))
    role = ctx.settings.role
    want_worker = (celery is not None and celery.subcommand == "worker") or role in ("worker+beat", "worker")
    want_beat = (celery is not None and celery.beat) or role in ("worker+beat", "beat")
    log = containers.logs_text(container)
    ready_at = None
    while celery is not None and time.monotonic() < deadline:
        ready = celery_logs.worker_ready(log) if want_worker else "n/a"
        beat = celery_logs.beat_started(log) if want_beat else "n/a"
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
    evidence = celery_evidence.gather(container, ctx.settings.celery_app or ctx.celery_app, text=log)
    passed, measured, detail = judge(evidence, role)
    return CheckResult("celery_starts", ctx.target, passed, measured, budget_for(want_worker, want_beat), detail)
