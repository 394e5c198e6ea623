"""`test.web`: run the web image on a loopback port and poll /health/ until it answers 200."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.core.redact import redact
from dockyard.docker.containers import (
    cleanup_shield,
    force_remove,
    host_port,
    logs_tail,
    run_container,
    unique_name,
)
from dockyard.runtime.health import wait_healthy
from dockyard.runtime.http import http_get
from dockyard.runtime.steps import StepFailed, StepResult, Steps

TEST_ENVIRONMENT = {
    "DJANGO_SECRET_KEY": "dockyard-test-only-not-a-secret",
    "DJANGO_ALLOWED_HOSTS": "*",
}


@dataclass
class WebReport:
    image: str
    container: str
    ok: bool
    steps: list[StepResult]
    url: str | None = None
    status: int | None = None
    body: object = None
    health: str | None = None
    seconds_to_healthy: float | None = None
    failure: str | None = None
    kept: bool = False
    log_tail: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = dict(self.__dict__)
        data["steps"] = [s.to_dict() for s in self.steps]
        return data


def run_web_test(
    image: str,
    *,
    port: int = 0,
    timeout: float = 120,
    keep: bool = False,
    environment: dict[str, str] | None = None,
    on_step: Callable[[str], None] = lambda name: None,
) -> WebReport:
    """Start `image` with port 80 on 127.0.0.1:`port` (0: random), poll /health/, then its HEALTHCHECK."""
    steps = Steps(on_step=on_step)
    name = unique_name("dockyard-test-web")
    report = WebReport(image=image, container=name, ok=False, steps=steps.items)
    container = None
    deadline = time.monotonic() + timeout
    try:
        try:
            with steps.run("start") as note:
                container = run_container(
                    image,
                    name=name,
                    ports={"80/tcp": port or None},
                    environment={**TEST_ENVIRONMENT, **(environment or {})},
                    kept=keep,  # left running on purpose: never reaped as a dead run's leftover
                )
                report.url = f"http://127.0.0.1:{host_port(container, '80/tcp')}/health/"
                note["detail"] = f"{name} publishing 80 on {report.url.rsplit('/health/', 1)[0]}"
            with steps.run("GET /health/") as note:
                report.status, report.body = _poll_health(container, report.url, deadline)
                note["detail"] = (
                    f"200 {json.dumps(report.body) if not isinstance(report.body, str) else report.body}"
                )
            with steps.run("HEALTHCHECK") as note:
                outcome = wait_healthy(container, max(1.0, deadline - time.monotonic()))
                report.health, report.seconds_to_healthy = outcome.status, outcome.seconds
                if outcome.status not in ("healthy", "none"):
                    raise StepFailed(outcome.reason or outcome.status)
                note["detail"] = (
                    f"healthy {outcome.seconds:.1f}s after start"
                    if outcome.seconds is not None
                    else "healthy"
                    if outcome.status == "healthy"
                    else "image has no HEALTHCHECK"
                )
            report.ok = True
        except StepFailed as exc:
            report.failure = f"{steps.items[-1].name}: {exc}"
            if container is not None:
                report.log_tail = logs_tail(container, 15)
    finally:
        with cleanup_shield():
            if container is not None and keep:
                report.kept = True
            elif container is not None:
                force_remove(container)
    return report


def _poll_health(container, url: str, deadline: float) -> tuple[int, object]:
    status: int | None = None
    body = ""
    while True:
        status, body = http_get(url, timeout=5)
        if status == 200:
            return status, _json_or_text(body)
        container.reload()
        state = container.attrs.get("State", {})
        if state.get("Status") != "running":
            tail = logs_tail(container, 5)
            last = f"; last log line: {tail[-1]}" if tail else ""
            raise StepFailed(
                f"the container exited with code {state.get('ExitCode')} before /health/ "
                f"answered 200{last}"
            )
        if time.monotonic() >= deadline:
            seen = (
                f"answered {status}: {redact(body.strip())[:200]}"
                if status
                else f"did not answer ({body})"
            )
            raise StepFailed(f"{url} {seen}")
        time.sleep(0.5)


def _json_or_text(body: str) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return redact(body.strip())[:500]
