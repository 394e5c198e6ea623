"""`test.compose`: the whole stack up and healthy, the web service's healthy answer, the site's
round-trip task through the broker, and its heartbeat; then down.

Everything site-specific comes from the contract (runtime.site): which service answers HTTP, on
which port and path, and what a healthy answer is; the round-trip task (name, arguments,
expected result) and the heartbeat (a model's new row, a log line, or Celery's own `Task ...
succeeded`) from `[tool.dockyard.celery]`. A step the site has nothing for is skipped, and says so.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.core.redact import redact
from dockyard.core.settings import CELERY_ROLES, PeriodicSettings, RoundTripSettings
from dockyard.core.tempdirs import run_tempdir
from dockyard.docker.containers import ContainerError, cleanup_shield, host_port, logs_text
from dockyard.runtime import celery_logs
from dockyard.runtime import stack as stacks
from dockyard.runtime.answer import Endpoint
from dockyard.runtime.http import http_get
from dockyard.runtime.site import Site
from dockyard.runtime.steps import StepFailed, StepResult, Steps

# Sent from a container of the stack with the site's own Celery app (found as `celery --app` finds
# it), so the task goes through the broker the site is configured with and its result comes back.
ROUND_TRIP_CODE = """\
import json, sys
from celery.app.utils import find_app
app = find_app(sys.argv[1])
result = app.send_task(sys.argv[2], args=json.loads(sys.argv[3]), kwargs=json.loads(sys.argv[4]))
print("dockyard-roundtrip", result.id, json.dumps(result.get(timeout=float(sys.argv[5]))))
"""

# A new row of the heartbeat's model (beat -> broker -> worker -> database, end to end).
MODEL_CODE = """\
import sys, time
import django
django.setup()
from django.apps import apps
model = apps.get_model(sys.argv[1])
def mark():
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last, model.objects.count()
before = mark()
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    now = mark()
    if now != before and now[1] > 0:
        print("dockyard-heartbeat", now[0], now[1])
        break
    time.sleep(1)
else:
    print("dockyard-heartbeat none", before[1])
"""

_EXCEPTION = re.compile(r"^(?:[a-zA-Z_]\w*\.)*\w*(?:Error|error|Exception|Timeout)\w*: .+$", re.MULTILINE)


@dataclass
class ComposeReport:
    stack: str
    ok: bool
    steps: list[StepResult]
    services: list[stacks.ServiceState] = field(default_factory=list)
    failure: str | None = None
    kept: bool = False
    down_command: str | None = None
    web_url: str | None = None

    def to_dict(self) -> dict:
        return {
            "stack": self.stack,
            "ok": self.ok,
            "failure": self.failure,
            "kept": self.kept,
            "down_command": self.down_command,
            "web_url": self.web_url,
            "steps": [s.to_dict() for s in self.steps],
            "services": [s.to_dict() for s in self.services],
        }


def run_compose_test(
    site: Site,
    *,
    web_image: str | None = None,
    celery_image: str | None = None,
    timeout: float | None = None,
    task_timeout: float | None = None,
    check_beat: bool = True,
    keep: bool = False,
    on_step: Callable[[str], None] = lambda name: None,
    on_line: Callable[[str], None] = lambda line: None,
    log: Callable[[str], None] = lambda message: None,
) -> ComposeReport:
    """Run the compose test. Always takes the stack down (unless `keep`), on failure and Ctrl-C too.
    `task_timeout` overrides the round trip's and the heartbeat's timeouts."""
    timeout = float(timeout or site.project.settings.test.timeout)
    with run_tempdir("compose") as workdir:  # the override (labels, images) lives as long as the stack
        stack = stacks.new_stack(
            site, web_image=web_image, celery_image=celery_image, workdir=workdir, kept=keep, log=log
        )
        return _run(site, stack, timeout, task_timeout, check_beat, keep, on_step, on_line)


def _run(
    site: Site,
    stack: stacks.Stack,
    timeout: float,
    task_timeout: float | None,
    check_beat: bool,
    keep: bool,
    on_step: Callable[[str], None],
    on_line: Callable[[str], None],
) -> ComposeReport:
    settings = site.project.settings
    steps = Steps(on_step=on_step)
    report = ComposeReport(stack=stack.name, ok=False, steps=steps.items)
    try:
        try:
            _up(stack, steps, on_line)
            _healthy(stack, steps, timeout)
            report.web_url = _health_endpoint(site, stack, steps)
            trip, beat = settings.celery.round_trip, settings.celery.heartbeat
            if task_timeout is not None:
                trip = dataclasses.replace(trip, timeout=task_timeout) if trip else None
                beat = dataclasses.replace(beat, timeout=task_timeout) if beat else None
            _round_trip(site, stack, steps, trip)
            if check_beat:
                _heartbeat(site, stack, steps, beat)
            else:
                steps.skip("beat heartbeat", "skipped: --no-beat")
            report.ok = True
        except StepFailed as exc:
            failed = steps.items[-1].name
            trouble = stacks.problems(stack)
            # Lead with what is down (e.g. "the broker (service redis) is exited"), then what the step saw.
            report.failure = (
                f"{failed}: {trouble} — {exc}" if trouble and trouble not in str(exc) else f"{failed}: {exc}"
            )
        report.services = stacks.service_states(stack)
    finally:
        with cleanup_shield():
            if keep:
                report.kept = True
                report.down_command = stack.project.down_hint()
            else:
                on_step("down")
                stacks.down(stack)
    return report


def _up(stack: stacks.Stack, steps: Steps, on_line: Callable[[str], None]) -> None:
    with steps.run("up") as note:
        try:
            stacks.up(stack, on_line)
        except stacks.StackError as exc:
            raise StepFailed(str(exc)) from None
        note["detail"] = f"project {stack.name}"


def _healthy(stack: stacks.Stack, steps: Steps, timeout: float) -> None:
    with steps.run("healthy") as note:
        outcomes = stacks.wait_services(stack, timeout)
        bad = [(service, o) for service, o in outcomes.items() if o.status not in ("healthy", "none")]
        if bad:
            service, outcome = bad[0]
            role = stack.role(service)
            raise StepFailed(f"the {role} (service {service}) did not become healthy: {outcome.reason}")
        note["detail"] = ", ".join(
            f"{s} {o.seconds:.1f}s" if o.seconds is not None else f"{s} {o.status}" for s, o in outcomes.items()
        )


def _health_endpoint(site: Site, stack: stacks.Stack, steps: Steps) -> str | None:
    web = site.web
    if web is None or stack.web_service is None:
        steps.skip("GET health", "skipped: no service of the compose file has the role web")
        return None
    endpoint = Endpoint.of(web.settings)
    with steps.run(f"GET {endpoint.path}") as note:
        container = stack.project.containers().get(web.name)
        if container is None:
            raise StepFailed(f"the web service ({web.name}) has no container")
        try:
            port = host_port(container, f"{endpoint.port}/tcp")
        except ContainerError as exc:
            raise StepFailed(
                f"{exc}: set the port its container listens on as port = ... in "
                f"[tool.dockyard.services.{web.name}] (now {endpoint.port})"
            ) from None
        url = f"http://127.0.0.1:{port}{endpoint.path}"
        status, body = http_get(url, timeout=10)
        problem = endpoint.judge(status, body)
        if problem is not None:
            raise StepFailed(f"{url} {problem}")
        note["detail"] = f"{url} {status} {redact(body.strip())[:120]}"
        return url


def _exec_service(site: Site, stack: stacks.Stack) -> str | None:
    """Where the site's own code is run from: the web service, else a Celery service."""
    for role in ("web", *CELERY_ROLES):
        for service in site.services.values():
            if service.compose and service.role == role:
                return service.name
    return None


def _celery_services(site: Site) -> list[str]:
    return [s.name for s in site.services.values() if s.compose and s.role in CELERY_ROLES]


def _error_line(output: str) -> str:
    matches = _EXCEPTION.findall(output)
    if matches:
        return matches[-1].strip()
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _call(args: tuple, kwargs: dict) -> str:
    shown = [json.dumps(a) for a in args] + [f"{k}={json.dumps(v)}" for k, v in kwargs.items()]
    return ", ".join(shown)


def _round_trip(site: Site, stack: stacks.Stack, steps: Steps, trip: RoundTripSettings | None) -> None:
    if trip is None:
        steps.skip("task round trip", "skipped: round_trip = false in [tool.dockyard.celery]")
        return
    where = _exec_service(site, stack)
    call = f"{trip.task}({_call(trip.args, dict(trip.kwargs))})"
    with steps.run("task round trip") as note:
        app = site.celery_app
        if app is None:
            raise StepFailed("no Celery app: set app = \"...\" in [tool.dockyard.celery]")
        if where is None:
            raise StepFailed("no web or worker service in the compose file to send the task from")
        code, output = stack.project.exec(
            where,
            [
                "python",
                "-c",
                ROUND_TRIP_CODE,
                app,
                trip.task,
                json.dumps(list(trip.args)),
                json.dumps(dict(trip.kwargs)),
                f"{trip.timeout:g}",
            ],
            trip.timeout + 30,
        )
        m = re.search(r"^dockyard-roundtrip (\S+) (.+)$", output, re.MULTILINE)
        if code is None:
            raise StepFailed(f"{call} did not come back within {trip.timeout + 30:g}s")
        if code != 0 or m is None:
            raise StepFailed(f"{call} failed: {_error_line(output)}")
        result = json.loads(m.group(2))
        if trip.has_expected and result != trip.expected:
            raise StepFailed(f"{call} returned {json.dumps(result)}, expected {json.dumps(trip.expected)}")
        note["detail"] = f"{call} = {json.dumps(result)} via the broker (task {m.group(1)}, sent from {where})"


def _heartbeat(site: Site, stack: stacks.Stack, steps: Steps, beat: PeriodicSettings | None) -> None:
    if beat is None:
        steps.skip("beat heartbeat", "skipped: heartbeat = false in [tool.dockyard.celery]")
        return
    with steps.run("beat heartbeat") as note:
        if beat.model:
            note["detail"] = _model_heartbeat(site, stack, beat)
        else:
            note["detail"] = _log_heartbeat(site, stack, beat)


def _model_heartbeat(site: Site, stack: stacks.Stack, beat: PeriodicSettings) -> str:
    where = _exec_service(site, stack)
    if where is None:
        raise StepFailed("no web or worker service in the compose file to read the database from")
    code, output = stack.project.exec(
        where, ["python", "-c", MODEL_CODE, str(beat.model), f"{beat.timeout:g}"], beat.timeout + 30
    )
    m = re.search(r"^dockyard-heartbeat (\S+) (\S+)$", output, re.MULTILINE)
    if code is None or code != 0 or m is None:
        raise StepFailed(f"could not read {beat.model} rows: {_error_line(output)}")
    if m.group(1) == "none":
        task = f" {beat.task}" if beat.task else ""
        raise StepFailed(
            f"no new {beat.model} row within {beat.timeout:g}s: beat did not send{task} or no worker ran it "
            f"(see invoke troubleshoot.beat on the worker's container)"
        )
    return f"new {beat.model} row {m.group(1)} ({m.group(2)} rows; beat -> broker -> worker -> database)"


def _log_heartbeat(site: Site, stack: stacks.Stack, beat: PeriodicSettings) -> str:
    services = _celery_services(site)
    if not services:
        raise StepFailed("no worker service in the compose file to read the heartbeat's log from")
    what = f"a line matching {beat.log!r}" if beat.log else f"Celery's `Task {beat.task}[...] succeeded`"
    deadline = time.monotonic() + beat.timeout
    while True:
        containers = stack.project.containers()
        for service in services:
            container = containers.get(service)
            if container is None:
                continue
            text = logs_text(container)
            found = (
                celery_logs.matching_line(text, beat.log)
                if beat.log
                else celery_logs.task_succeeded(text, str(beat.task))
            )
            if found:
                return f"{service}: {found[:200]}"
        if time.monotonic() >= deadline:
            raise StepFailed(
                f"no {what} in the log of {', '.join(services)} within {beat.timeout:g}s "
                "(see invoke troubleshoot.beat on the worker's container)"
            )
        time.sleep(1)
