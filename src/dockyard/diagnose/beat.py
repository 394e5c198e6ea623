"""`troubleshoot.beat NAME`: is the beat scheduler running in this container, and if not, why.

The evidence is the container's own (runtime.celery_evidence): the command it runs and its
processes (`docker top`: a `celery worker --beat` or `celery beat`), beat's schedule state read
inside it with the site's Celery app (the PersistentScheduler's file, or django_celery_beat's
tables: how long ago beat last wrote), and Celery's log text in whatever format the site logs
(`beat: Starting...`, due tasks sent, known causes). A worker-only or beat-only container (the
card's legacy targets) is judged by what its command runs. Causes are only reported when the
log, the command or the state shows them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from dockyard.docker.containers import get_container, logs_text, process_argv, refresh
from dockyard.runtime import celery_evidence, celery_logs
from dockyard.runtime.celery_evidence import CeleryEvidence
from dockyard.runtime.celery_logs import BeatDiagnosis, LogCause


@dataclass
class BeatReport:
    container: str
    image: str
    container_status: str
    command: list[str]
    beat_requested: bool | None  # from the command: --beat / `celery beat`
    diagnosis: BeatDiagnosis
    evidence: CeleryEvidence
    beat_lines: list[str] = field(default_factory=list)
    last_due_task: str | None = None

    @property
    def beat_process(self) -> bool | None:
        return self.evidence.beat_process

    @property
    def schedule(self) -> str | None:
        return self.evidence.schedule.describe() if self.evidence.schedule else None

    @property
    def running(self) -> bool:
        return self.evidence.beat_running

    @property
    def verdict(self) -> str:
        if not self.running:
            return "not running"
        return "running, with problems" if self.diagnosis.findings else "running"

    def to_dict(self) -> dict:
        return {
            "container": self.container,
            "image": self.image,
            "container_status": self.container_status,
            "command": self.command,
            "beat_requested": self.beat_requested,
            "beat_process": self.beat_process,
            "schedule": self.evidence.schedule.__dict__ if self.evidence.schedule else None,
            "running": self.running,
            "verdict": self.verdict,
            "beat_lines": self.beat_lines,
            "last_due_task": self.last_due_task,
            **{k: v for k, v in self.diagnosis.to_dict().items() if k != "running"},
        }


def diagnose_container(name: str, wait: float = 0.0, poll: float = 1.0, app: str | None = None) -> BeatReport:
    """Diagnose beat in container `name`; with `wait`, give a starting container that long to settle
    (until beat starts, the worker is ready, a known cause shows, or the container stops). `app` is
    the Celery app when the container's command does not name one."""
    container = get_container(name)
    deadline = time.monotonic() + wait
    while True:
        refresh(container)  # a container removed meanwhile is one error line
        argv = process_argv(container)
        text = logs_text(container)
        diagnosis = celery_logs.diagnose_beat(text, argv)
        status = container.attrs["State"]["Status"]
        settled = (
            diagnosis.start is not None
            or diagnosis.worker_ready is not None
            or diagnosis.findings
            or status != "running"
        )
        if settled or time.monotonic() >= deadline:
            break
        time.sleep(poll)
    evidence = celery_evidence.gather(container, app, ask_worker=False, text=text)
    diagnosis = evidence.log
    findings = diagnosis.findings
    if status != "running":
        # After the causes read from the log: a stopped container is their consequence.
        state = container.attrs["State"]
        findings.append(
            LogCause(
                "container_not_running",
                f"the container is {status} (exit code {state.get('ExitCode')}), so nothing in it runs",
                f"see invoke troubleshoot.container {container.name}",
                f"State.Status={status} ExitCode={state.get('ExitCode')}",
            ),
        )
    elif evidence.beat_requested is None and diagnosis.start is None:
        findings.append(
            LogCause(
                "not_celery",
                "the container runs no celery worker or beat",
                "point troubleshoot.beat at the container of the worker (celery worker --beat) or of beat",
                " ".join(evidence.command),
            )
        )
    elif evidence.beat_requested and evidence.beat_process is False:
        findings.append(
            LogCause(
                "no_beat_process",
                "the command asks for beat, but no celery process with beat runs in the container",
                f"see invoke troubleshoot.container {container.name}",
                "docker top: " + ("; ".join(evidence.celery_processes) or "no celery process"),
            )
        )
    elif evidence.schedule is not None and evidence.schedule.age_seconds is not None and not evidence.schedule.fresh:
        findings.append(
            LogCause(
                "schedule_stale",
                f"beat has not written its schedule state for {evidence.schedule.age_seconds:.0f}s",
                "beat is stuck or dead: restart the container and read its log",
                evidence.schedule.describe(),
            )
        )
    elif (
        evidence.beat_requested
        and not evidence.beat_started
        and diagnosis.worker_ready is None
        and not findings
    ):
        findings.append(
            LogCause(
                "still_starting",
                "neither the worker nor beat has shown its start yet",
                "wait a little (or pass --wait 60) and run this again",
                evidence.schedule.describe() if evidence.schedule else "no ready/beat lines in the log",
            )
        )
    due = celery_logs.due_tasks(text)
    return BeatReport(
        container=container.name,
        image=container.attrs["Config"].get("Image", ""),
        container_status=status,
        command=evidence.command,
        beat_requested=evidence.beat_requested,
        diagnosis=diagnosis,
        evidence=evidence,
        beat_lines=_first_and_last(celery_logs.beat_lines(text, 10_000), 4),
        last_due_task=f"{due[-1][0]} ({due[-1][1]})" if due else None,
    )


def _first_and_last(lines: list[str], n: int) -> list[str]:
    """The first n lines (how beat started) and the last n (what it does now)."""
    if len(lines) <= 2 * n:
        return lines
    return lines[:n] + [f"... {len(lines) - 2 * n} more ..."] + lines[-n:]
