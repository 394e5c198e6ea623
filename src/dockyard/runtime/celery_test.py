"""`test.celery`: a Celery image started with the site's environment (and the postgres/redis it
names); its worker and its beat seen working, by Celery's own answers where it gives them.

What is expected follows the container's command: a worker (`celery worker`) must answer
`inspect ping`; beat (`worker --beat`, `celery beat`) must start (its schedule state written, or
its `beat: Starting...`) and, unless told otherwise, send a due task. The evidence comes from
runtime.celery_evidence, the same module troubleshoot.beat and the image checks read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dockyard.core.commands import celery_command
from dockyard.docker.client import Container
from dockyard.docker.containers import (
    cleanup_shield,
    force_remove,
    logs_tail,
    logs_text,
    process_argv,
    run_container,
    unique_name,
)
from dockyard.runtime import celery_evidence, celery_logs
from dockyard.runtime.health import wait_healthy
from dockyard.runtime.helpers import Helpers
from dockyard.runtime.steps import StepFailed, StepResult, Steps, start_helpers

STRUCTURED_EVERY = 5.0  # seconds between asking Celery itself while the log says nothing yet


@dataclass
class CeleryReport:
    image: str
    ok: bool
    steps: list[StepResult]
    role: str | None = None  # worker+beat | worker | beat, from the container's command
    worker_line: str | None = None
    ping: str | None = None  # who answered `inspect ping`, or why nobody did
    registered: list[str] | None = None
    beat_line: str | None = None
    beat_mode: str | None = None
    scheduler: str | None = None
    schedule: str | None = None  # the schedule state, described
    due_task_line: str | None = None
    health: str | None = None
    failure: str | None = None
    containers: list[str] = field(default_factory=list)  # what it started (all removed afterwards)
    findings: list[dict] = field(default_factory=list)
    log_tail: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = dict(self.__dict__)
        data["steps"] = [s.to_dict() for s in self.steps]
        return data


def run_celery_test(
    image: str,
    *,
    environment: Mapping[str, str],
    helpers: Helpers,
    app: str | None = None,
    timeout: float = 120,
    wait_for_due_task: bool = True,
    on_step: Callable[[str], None] = lambda name: None,
) -> CeleryReport:
    """Start `image` with `environment` (a template: `helpers` starts what it names) and wait for its
    worker and beat. Everything it started is removed before it returns."""
    steps = Steps(on_step=on_step)
    report = CeleryReport(image=image, ok=False, steps=steps.items)
    deadline = time.monotonic() + timeout
    container: Container | None = None
    try:
        try:
            report.containers += start_helpers(steps, helpers, environment)
            with steps.run(f"start {image}") as note:
                container = run_container(
                    image,
                    name=unique_name("dockyard-test-celery"),
                    environment=helpers.environment(environment),
                    network=helpers.network_for(environment),
                )
                report.containers.append(container.name)
                argv = process_argv(container)
                note["detail"] = " ".join(argv)
            celery = celery_command(argv)
            if celery is None or celery.subcommand not in ("worker", "beat"):
                raise_step(steps, "celery command", f"the image runs `{' '.join(argv)}`, not a celery worker or beat")
            app = celery.app or app
            report.role = "beat" if celery.subcommand == "beat" else "worker+beat" if celery.beat else "worker"
            if celery.subcommand == "worker":
                _worker_ready(container, report, steps, app, deadline)
            if celery.beat:
                _beat_started(container, report, steps, app, deadline)
                if wait_for_due_task:
                    _due_task(container, report, steps, deadline)
            with steps.run("HEALTHCHECK") as note:
                outcome = wait_healthy(container, max(1.0, deadline - time.monotonic()))
                report.health = outcome.status
                if outcome.status not in ("healthy", "none"):
                    raise StepFailed(outcome.reason or outcome.status)
                note["detail"] = (
                    outcome.status if outcome.seconds is None else f"healthy {outcome.seconds:.1f}s after start"
                )
            report.ok = True
        except StepFailed as exc:
            report.failure = f"{steps.items[-1].name}: {exc}"
            if container is not None and not report.log_tail:
                report.log_tail = logs_tail(container, 15)
    finally:
        with cleanup_shield():
            if container is not None:
                force_remove(container)
            helpers.close()
    return report


def raise_step(steps: Steps, name: str, why: str) -> None:
    with steps.run(name):
        raise StepFailed(why)


def _stop_reason(container: Container, report: CeleryReport, deadline: float, waiting_for: str) -> str | None:
    """Why waiting must stop now (container stopped, a known cause in the log, out of time)."""
    container.reload()
    argv = process_argv(container)
    text = logs_text(container)
    diagnosis = celery_logs.diagnose_beat(text, argv)
    report.findings = [f.__dict__ for f in diagnosis.findings]
    stopped = container.attrs["State"]["Status"] != "running"
    cause = diagnosis.findings[0] if diagnosis.findings else None
    if not (stopped or cause is not None or diagnosis.state == "crashed" or time.monotonic() >= deadline):
        return None
    report.log_tail = logs_tail(container, 15)
    if cause is not None:
        return f"{cause.summary} ({cause.evidence})"
    if stopped:
        return f"the container exited with code {container.attrs['State']['ExitCode']}"
    return f"{waiting_for} not seen within the time allowed (beat is {diagnosis.state})"


def _worker_ready(container: Container, report: CeleryReport, steps: Steps, app: str | None, deadline: float) -> None:
    with steps.run("worker ready") as note:
        asked = 0.0
        while True:
            text = logs_text(container)
            report.worker_line = celery_logs.worker_ready(text)
            if app and (report.worker_line or time.monotonic() - asked >= STRUCTURED_EVERY):
                asked = time.monotonic()
                node = celery_logs.worker_node(text) or f"celery@{container.attrs['Config'].get('Hostname', '')}"
                answer = celery_evidence.inspect(container, app, "ping", node, attempts=1)
                if answer.ok:
                    report.ping = "answered by " + ", ".join(answer.replies)
                    registered = celery_evidence.inspect(container, app, "registered", node)
                    if registered.ok:
                        report.registered = sorted(
                            {t.split(" ")[0] for tasks in registered.replies.values() for t in tasks}
                        )
                    note["detail"] = f"inspect ping {report.ping}" + (
                        f"; {len(report.registered)} tasks registered" if report.registered is not None else ""
                    )
                    return
                report.ping = answer.detail
                if report.worker_line:
                    raise StepFailed(f"the log says {report.worker_line!r} but inspect ping got {answer.detail}")
            elif report.worker_line and not app:
                note["detail"] = f"{report.worker_line} (no Celery app known to ping it)"
                return
            why = _stop_reason(container, report, deadline, "the worker's ready")
            if why:
                raise StepFailed(why)
            time.sleep(1)


def _beat_started(container: Container, report: CeleryReport, steps: Steps, app: str | None, deadline: float) -> None:
    with steps.run("beat started") as note:
        asked = 0.0
        while True:
            argv = process_argv(container)
            text = logs_text(container)
            diagnosis = celery_logs.diagnose_beat(text, argv)
            report.scheduler = diagnosis.scheduler
            if diagnosis.start is not None and diagnosis.state == "running":
                report.beat_line, report.beat_mode = diagnosis.start.line, diagnosis.start.mode
            if app and (report.beat_line or time.monotonic() - asked >= STRUCTURED_EVERY):
                asked = time.monotonic()
                state = celery_evidence.schedule_state(container, app, celery_command(argv))
                report.schedule = state.describe()
                report.scheduler = state.scheduler or report.scheduler
                if state.fresh or report.beat_line:
                    parts = [report.schedule] if state.fresh else []
                    note["detail"] = "; ".join([*parts, *([report.beat_line] if report.beat_line else [])])
                    return
            elif report.beat_line:
                note["detail"] = report.beat_line
                return
            why = _stop_reason(container, report, deadline, "beat's start")
            if why:
                raise StepFailed(why)
            time.sleep(1)


def _due_task(container: Container, report: CeleryReport, steps: Steps, deadline: float) -> None:
    with steps.run("beat sent a due task") as note:
        while True:
            text = logs_text(container)
            due = [line for line in celery_logs.beat_lines(text, 10_000) if "Sending due task" in line]
            if due:
                report.due_task_line = due[0]
                note["detail"] = due[0]
                return
            why = _stop_reason(container, report, deadline, "a due task")
            if why:
                raise StepFailed(why)
            time.sleep(1)
