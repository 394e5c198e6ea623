"""`test.compose`: the whole stack up, healthy, /health/ answering, a task through the broker, down."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.core.project import Project
from dockyard.core.redact import redact
from dockyard.core.tempdirs import run_tempdir
from dockyard.docker.containers import cleanup_shield, host_port
from dockyard.runtime import stack as stacks
from dockyard.runtime.http import http_get
from dockyard.runtime.steps import StepFailed, StepResult, Steps

ROUND_TRIP_CODE = """\
from core.tasks import add
result = add.delay(2, 3)
print("dockyard-roundtrip", result.id, result.get(timeout={timeout}))
"""

# A Heartbeat row is written by core.tasks.record_heartbeat, which beat schedules every 10 s:
# a new row proves beat -> broker -> worker -> database end to end.
HEARTBEAT_CODE = """\
import time
from core.models import Heartbeat
last = Heartbeat.objects.order_by("-id").values_list("id", flat=True).first() or 0
deadline = time.monotonic() + {timeout}
while time.monotonic() < deadline:
    new = Heartbeat.objects.filter(id__gt=last).order_by("id").first()
    if new is not None:
        print("dockyard-heartbeat", new.id, new.hostname, new.task_id)
        break
    time.sleep(1)
else:
    print("dockyard-heartbeat none")
"""

_EXCEPTION = re.compile(
    r"^(?:[a-zA-Z_]\w*\.)*\w*(?:Error|error|Exception|Timeout)\w*: .+$", re.MULTILINE
)


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
    project: Project,
    *,
    web_image: str | None = None,
    celery_image: str | None = None,
    timeout: float | None = None,
    task_timeout: float = 30,
    check_beat: bool = True,
    keep: bool = False,
    on_step: Callable[[str], None] = lambda name: None,
    on_line: Callable[[str], None] = lambda line: None,
    log: Callable[[str], None] = lambda message: None,
) -> ComposeReport:
    """Run the compose test. Always takes the stack down (unless `keep`), on failure and Ctrl-C too."""
    timeout = float(timeout or project.settings.test.timeout)
    with run_tempdir("compose") as workdir:  # the label override lives as long as the stack
        stack = stacks.new_stack(
            project, web_image=web_image, celery_image=celery_image, workdir=workdir, kept=keep, log=log
        )
        return _run(stack, timeout, task_timeout, check_beat, keep, on_step, on_line)


def _run(
    stack: stacks.Stack,
    timeout: float,
    task_timeout: float,
    check_beat: bool,
    keep: bool,
    on_step: Callable[[str], None],
    on_line: Callable[[str], None],
) -> ComposeReport:
    steps = Steps(on_step=on_step)
    report = ComposeReport(stack=stack.name, ok=False, steps=steps.items)
    try:
        try:
            _up(stack, steps, on_line)
            _healthy(stack, steps, timeout)
            report.web_url = _health_endpoint(stack, steps)
            _round_trip(stack, steps, task_timeout)
            if check_beat:
                _heartbeat(stack, steps, task_timeout)
            report.ok = True
        except StepFailed as exc:
            failed = steps.items[-1].name
            trouble = stacks.problems(stack)
            # Lead with what is down (e.g. "the broker (service redis) is exited"), then what the step saw.
            report.failure = (
                f"{failed}: {trouble} — {exc}"
                if trouble and trouble not in str(exc)
                else f"{failed}: {exc}"
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
        bad = [
            (service, o) for service, o in outcomes.items() if o.status not in ("healthy", "none")
        ]
        if bad:
            service, outcome = bad[0]
            role = stack.role(service)
            raise StepFailed(
                f"the {role} (service {service}) did not become healthy: {outcome.reason}"
            )
        note["detail"] = ", ".join(
            f"{s} {o.seconds:.1f}s" if o.seconds is not None else f"{s} {o.status}"
            for s, o in outcomes.items()
        )


def _health_endpoint(stack: stacks.Stack, steps: Steps) -> str:
    with steps.run("GET /health/") as note:
        web = stack.project.containers().get(stack.web_service)
        if web is None:
            raise StepFailed(f"the web service ({stack.web_service}) has no container")
        url = f"http://127.0.0.1:{host_port(web, '80/tcp')}/health/"
        status, body = http_get(url, timeout=10)
        failing = _failing_checks(body)
        if status != 200:
            what = f"answered {status}" if status is not None else f"did not answer ({body})"
            raise StepFailed(f"{url} {what}" + (f": {failing}" if failing else ""))
        note["detail"] = f"{url} 200 {redact(body.strip())[:120]}"
        return url


def _failing_checks(body: str) -> str:
    """'broker: fail: ...' for every failing dependency in the site's /health/ JSON."""
    try:
        checks = json.loads(body).get("checks", {})
    except (ValueError, AttributeError):
        return ""
    names = {"broker": "broker", "database": "database"}
    return "; ".join(
        f"{names.get(k, k)} {v}"
        for k, v in checks.items()
        if isinstance(v, str) and v.startswith("fail")
    )


def _manage_shell(stack: stacks.Stack, code: str, timeout: float) -> tuple[int | None, str]:
    return stack.project.exec(stack.web_service, ["python", "manage.py", "shell", "-c", code], timeout)


def _error_line(output: str) -> str:
    matches = _EXCEPTION.findall(output)
    if matches:
        return matches[-1].strip()
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _round_trip(stack: stacks.Stack, steps: Steps, task_timeout: float) -> None:
    with steps.run("task round trip") as note:
        code, output = _manage_shell(
            stack, ROUND_TRIP_CODE.format(timeout=task_timeout), task_timeout + 30
        )
        m = re.search(r"^dockyard-roundtrip (\S+) (\S+)$", output, re.MULTILINE)
        if code is None:
            raise StepFailed(
                f"core.tasks.add(2, 3) did not come back within {task_timeout + 30:g}s"
            )
        if code != 0 or m is None:
            raise StepFailed(f"core.tasks.add(2, 3) failed: {_error_line(output)}")
        if m.group(2) != "5":
            raise StepFailed(f"core.tasks.add(2, 3) returned {m.group(2)}, expected 5")
        note["detail"] = f"core.tasks.add(2, 3) = 5 via the broker (task {m.group(1)})"


def _heartbeat(stack: stacks.Stack, steps: Steps, task_timeout: float) -> None:
    with steps.run("beat heartbeat") as note:
        code, output = _manage_shell(
            stack, HEARTBEAT_CODE.format(timeout=task_timeout), task_timeout + 30
        )
        m = re.search(r"^dockyard-heartbeat (\S+)(?: (\S+) (\S*))?$", output, re.MULTILINE)
        if code is None or code != 0 or m is None:
            raise StepFailed(f"could not read Heartbeat rows: {_error_line(output)}")
        if m.group(1) == "none":
            raise StepFailed(
                f"no new Heartbeat row within {task_timeout:g}s: beat did not schedule "
                "core.tasks.record_heartbeat or no worker ran it (see invoke troubleshoot.beat)"
            )
        note["detail"] = (
            f"Heartbeat {m.group(1)} written by {m.group(2)} (beat -> broker -> worker -> database)"
        )
