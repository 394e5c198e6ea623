"""`troubleshoot.beat NAME`: is the beat scheduler running in this container, and if not, why.

Everything comes from the container itself: its log (the standalone `celery beat v5.x.x is
starting.` banner, or the embedded beat's `beat: Starting...` from a `worker --beat`), the
command it runs, and its state. Causes are only reported when the log or command shows them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from dockyard.docker.containers import get_container, logs_text, process_argv, refresh
from dockyard.runtime import celery_logs
from dockyard.runtime.celery_logs import BeatDiagnosis, LogCause


@dataclass
class BeatReport:
    container: str
    image: str
    container_status: str
    command: list[str]
    beat_requested: bool | None  # from the command: --beat / `celery beat`
    diagnosis: BeatDiagnosis
    beat_lines: list[str] = field(default_factory=list)
    last_due_task: str | None = None

    @property
    def running(self) -> bool:
        return self.diagnosis.running and self.container_status == "running"

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
            "running": self.running,
            "verdict": self.verdict,
            "beat_lines": self.beat_lines,
            "last_due_task": self.last_due_task,
            **{k: v for k, v in self.diagnosis.to_dict().items() if k != "running"},
        }


def diagnose_container(name: str, wait: float = 0.0, poll: float = 1.0) -> BeatReport:
    """Diagnose beat in container `name`; with `wait`, give a starting container that long to settle
    (until beat starts, the worker is ready, a known cause shows, or the container stops)."""
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
    if status != "running":
        # After the causes read from the log: a stopped container is their consequence.
        state = container.attrs["State"]
        diagnosis.findings.append(
            LogCause(
                "container_not_running",
                f"the container is {status} (exit code {state.get('ExitCode')}), so nothing in it runs",
                f"see invoke troubleshoot.container {container.name}",
                f"State.Status={status} ExitCode={state.get('ExitCode')}",
            ),
        )
    elif diagnosis.start is None and diagnosis.worker_ready is None and not diagnosis.findings:
        diagnosis.findings.append(
            LogCause(
                "still_starting",
                "neither the worker nor beat has logged its start yet",
                "wait a little (or pass --wait 60) and run this again",
                "no ready/beat lines in the log",
            )
        )
    due = celery_logs.due_tasks(text)
    return BeatReport(
        container=container.name,
        image=container.attrs["Config"].get("Image", ""),
        container_status=status,
        command=argv,
        beat_requested=celery_logs.beat_in_command(argv),
        diagnosis=diagnosis,
        beat_lines=_first_and_last(celery_logs.beat_lines(text, 10_000), 4),
        last_due_task=f"{due[-1][0]} ({due[-1][1]})" if due else None,
    )


def _first_and_last(lines: list[str], n: int) -> list[str]:
    """The first n lines (how beat started) and the last n (what it does now)."""
    if len(lines) <= 2 * n:
        return lines
    return lines[:n] + [f"... {len(lines) - 2 * n} more ..."] + lines[-n:]
