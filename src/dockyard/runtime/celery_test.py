"""`test.celery`: celery-unified with its own redis and postgres; worker and beat both seen in the logs."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.docker.client import Container
from dockyard.docker.containers import (
    logs_tail,
    logs_text,
    process_argv,
    temporary_container,
    temporary_network,
    unique_name,
)
from dockyard.runtime import celery_logs
from dockyard.runtime.health import wait_healthy
from dockyard.runtime.steps import StepFailed, StepResult, Steps


@dataclass
class CeleryReport:
    image: str
    ok: bool
    steps: list[StepResult]
    worker_line: str | None = None
    beat_line: str | None = None
    beat_mode: str | None = None
    scheduler: str | None = None
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
    redis_image: str,
    postgres_image: str,
    timeout: float = 120,
    wait_for_due_task: bool = True,
    on_step: Callable[[str], None] = lambda name: None,
) -> CeleryReport:
    """Start redis + postgres + `image` on a private network; wait for worker ready and beat started."""
    steps = Steps(on_step=on_step)
    report = CeleryReport(image=image, ok=False, steps=steps.items)
    password = uuid.uuid4().hex  # lives as long as the test; never printed
    deadline = time.monotonic() + timeout
    with contextlib.ExitStack() as stack:
        network = stack.enter_context(temporary_network())
        try:
            with steps.run("redis + postgres") as note:
                redis = stack.enter_context(
                    temporary_container(
                        redis_image, name=unique_name("dockyard-test-redis"), network=network.name
                    )
                )
                postgres = stack.enter_context(
                    temporary_container(
                        postgres_image,
                        name=unique_name("dockyard-test-postgres"),
                        network=network.name,
                        environment={
                            "POSTGRES_USER": "refsite",
                            "POSTGRES_PASSWORD": password,
                            "POSTGRES_DB": "refsite",
                        },
                    )
                )
                report.containers += [redis.name, postgres.name]
                for role, container in (("broker", redis), ("database", postgres)):
                    outcome = wait_healthy(container, max(1.0, deadline - time.monotonic()))
                    if outcome.status not in ("healthy", "none"):
                        raise StepFailed(
                            f"the {role} ({container.image.tags[0] if container.image.tags else ''})"
                            f" did not become healthy: {outcome.reason}"
                        )
                note["detail"] = f"{redis.name}, {postgres.name} healthy"
            with steps.run("start celery-unified") as note:
                celery = stack.enter_context(
                    temporary_container(
                        image,
                        name=unique_name("dockyard-test-celery"),
                        network=network.name,
                        environment={
                            "DATABASE_URL": f"postgres://refsite:{password}@{postgres.name}:5432/refsite",
                            "CELERY_BROKER_URL": f"redis://{redis.name}:6379/0",
                            "DJANGO_SECRET_KEY": "dockyard-test-only-not-a-secret",
                            "DJANGO_MIGRATE": "1",  # no web container here to apply the migrations
                        },
                    )
                )
                report.containers.append(celery.name)
                note["detail"] = " ".join(process_argv(celery))
            _watch_logs(celery, report, steps, deadline, wait_for_due_task)
            with steps.run("HEALTHCHECK") as note:
                outcome = wait_healthy(celery, max(1.0, deadline - time.monotonic()))
                report.health = outcome.status
                if outcome.status not in ("healthy", "none"):
                    raise StepFailed(outcome.reason or outcome.status)
                note["detail"] = (
                    outcome.status
                    if outcome.seconds is None
                    else f"healthy {outcome.seconds:.1f}s after start"
                )
            report.ok = True
        except StepFailed as exc:
            report.failure = f"{steps.items[-1].name}: {exc}"
    return report


def _watch_logs(
    celery: Container, report: CeleryReport, steps: Steps, deadline: float, wait_for_due_task: bool
) -> None:
    argv = process_argv(celery)
    wanted = ["worker ready", "beat started"] + (
        ["beat sent a due task"] if wait_for_due_task else []
    )
    for step in wanted:
        with steps.run(step) as note:
            while True:
                text = logs_text(celery)
                diagnosis = celery_logs.diagnose_beat(text, argv)
                report.worker_line = diagnosis.worker_ready
                report.findings = [f.__dict__ for f in diagnosis.findings]
                if diagnosis.start:
                    report.beat_line, report.beat_mode = diagnosis.start.line, diagnosis.start.mode
                report.scheduler = diagnosis.scheduler
                due = [
                    line for line in celery_logs.beat_lines(text, 200) if "Sending due task" in line
                ]
                report.due_task_line = due[0] if due else None
                found = {
                    "worker ready": report.worker_line,
                    "beat started": report.beat_line,
                    "beat sent a due task": report.due_task_line,
                }[step]
                if found and not (step != "worker ready" and diagnosis.state == "crashed"):
                    note["detail"] = found
                    break
                celery.reload()
                stopped = celery.attrs["State"]["Status"] != "running"
                cause = diagnosis.findings[0] if diagnosis.findings else None
                if (
                    stopped
                    or cause is not None
                    or diagnosis.state == "crashed"
                    or time.monotonic() >= deadline
                ):
                    report.log_tail = logs_tail(celery, 15)
                    why = (
                        f"{cause.summary} ({cause.evidence})"
                        if cause
                        else (
                            f"container exited with code {celery.attrs['State']['ExitCode']}"
                            if stopped
                            else f"not seen in the logs within the time allowed (beat is {diagnosis.state})"
                        )
                    )
                    raise StepFailed(why)
                time.sleep(1)
