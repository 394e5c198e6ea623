"""`test.web`: run the web image with the site's environment, publish its port on loopback, and
poll its health path until it gives the healthy answer (then its HEALTHCHECK).

The port, the health path and the healthy answer are the web service's (runtime.answer); the
environment is the site's own, and when it names the database or the broker (`{database_url}`,
`{broker_url}` ...) a postgres and a redis are started beside it (runtime.helpers).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
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
from dockyard.runtime.answer import Endpoint
from dockyard.runtime.health import wait_healthy
from dockyard.runtime.helpers import Helpers
from dockyard.runtime.http import http_get
from dockyard.runtime.steps import StepFailed, StepResult, Steps, start_helpers


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
    helpers: list[str] = field(default_factory=list)  # postgres/redis it started (removed afterwards)
    log_tail: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = dict(self.__dict__)
        data["steps"] = [s.to_dict() for s in self.steps]
        return data


def run_web_test(
    image: str,
    endpoint: Endpoint,
    *,
    environment: Mapping[str, str],
    helpers: Helpers,
    port: int = 0,
    timeout: float = 120,
    keep: bool = False,
    on_step: Callable[[str], None] = lambda name: None,
) -> WebReport:
    """Start `image` (its port on 127.0.0.1:`port`, 0: a free one), poll the health path, then its
    HEALTHCHECK. `environment` is the template; `helpers` starts what it needs and is closed here
    (unless `keep`)."""
    steps = Steps(on_step=on_step)
    name = unique_name("dockyard-test-web")
    report = WebReport(image=image, container=name, ok=False, steps=steps.items)
    container = None
    deadline = time.monotonic() + timeout
    try:
        try:
            helpers.kept = keep  # what --keep leaves is labelled as kept, the postgres/redis too
            report.helpers = start_helpers(steps, helpers, environment)
            with steps.run("start") as note:
                container = run_container(
                    image,
                    name=name,
                    ports={f"{endpoint.port}/tcp": port or None},
                    environment=helpers.environment(environment),
                    network=helpers.network_for(environment),
                    kept=keep,  # left running on purpose: never reaped as a dead run's leftover
                )
                base = f"http://127.0.0.1:{host_port(container, f'{endpoint.port}/tcp')}"
                report.url = base + endpoint.path
                note["detail"] = f"{name} publishing {endpoint.port} on {base}"
            with steps.run(f"GET {endpoint.path}") as note:
                report.status, report.body = _poll_health(container, report.url, endpoint, deadline)
                shown = json.dumps(report.body) if not isinstance(report.body, str) else report.body
                note["detail"] = f"{report.status} {shown[:160]}"
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
            if keep:
                report.kept = container is not None
            else:
                if container is not None:
                    force_remove(container)
                helpers.close()
    return report


def _poll_health(container, url: str, endpoint: Endpoint, deadline: float) -> tuple[int, object]:
    why = "no answer yet"
    while True:
        status, body = http_get(url, timeout=5)
        problem = endpoint.judge(status, body)
        if problem is None:
            return status, _json_or_text(body)  # type: ignore[return-value]
        why = problem
        container.reload()
        state = container.attrs.get("State", {})
        if state.get("Status") != "running":
            tail = logs_tail(container, 5)
            last = f"; last log line: {tail[-1]}" if tail else ""
            raise StepFailed(
                f"the container exited with code {state.get('ExitCode')} before {endpoint.path} "
                f"answered {endpoint.expectation()}{last}"
            )
        if time.monotonic() >= deadline:
            raise StepFailed(f"{url} {why}")
        time.sleep(0.5)


def _json_or_text(body: str) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return redact(body.strip())[:500]
