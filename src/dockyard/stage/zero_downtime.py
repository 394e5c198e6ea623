"""`invoke test.zero-downtime`: requests through the proxy while the stage deploys, rolls back and refuses.

Four steps, each under a bounded loop of requests (docs/stage.md):

1. deploy: web and the workers move to a new image (the running one plus a label);
2. rollback: back to the images they ran, deployed explicitly (as CapRover and
   `rollback.quick --target stage` do; Swarm's own `--rollback` has nothing to go back to after
   an automatic rollback);
3. a web image that exits at start, and 4. one that never turns healthy: each must be refused,
   Swarm rolling web back by itself.

A step passes when it ended as expected, no request failed, and at least `requests` requests went
through. The periodic task's rows over the whole run show whether beat survived the workers'
stop-first updates (none doubled, none missed).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.core.errors import DockyardError
from dockyard.core.project import Project
from dockyard.deploy.registry import Registry
from dockyard.stage import heartbeat, variants
from dockyard.stage.lifecycle import current_images, require_up
from dockyard.stage.load import Load, LoadReport
from dockyard.stage.spec import stage_services, swarm_name
from dockyard.stage.update import Update, UpdateOutcome

BASELINE_S = 2.0  # requests before the update starts
TAIL_S = 5.0  # and after it ended


@dataclass
class StepReport:
    name: str
    expect: str  # "deployed" or "refused"
    updates: list[UpdateOutcome]
    load: LoadReport
    ok: bool
    problem: str = ""

    def to_dict(self) -> dict:
        web = self.updates[0]
        return {
            "name": self.name,
            "expect": self.expect,
            "ok": self.ok,
            "problem": self.problem,
            "requests": self.load.requests,
            "failed": self.load.failed,
            "p50_ms": self.load.p50_ms,
            "p99_ms": self.load.p99_ms,
            "max_ms": self.load.max_ms,
            "converge_s": web.converge_s,
            "outcome": web.state,
            "from": web.before,
            "to": web.requested,
            "runs": web.after,
            "load": self.load.to_dict(),
            "updates": [u.to_dict() for u in self.updates],
        }


@dataclass
class ZeroDowntimeReport:
    stage: str
    url: str
    min_requests: int
    steps: list[StepReport] = field(default_factory=list)
    heartbeat: heartbeat.HeartbeatReport | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        beat_ok = self.heartbeat is None or self.heartbeat.ok
        return len(self.steps) == 4 and all(s.ok for s in self.steps) and beat_ok

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "stage": self.stage,
            "url": self.url,
            "min_requests": self.min_requests,
            "steps": [s.to_dict() for s in self.steps],
            "heartbeat": self.heartbeat.to_dict() if self.heartbeat else None,
            "notes": self.notes,
        }


def run_step(
    name: str,
    expect: str,
    updates: list[Update],
    port: int,
    path: str,
    min_requests: int,
    max_seconds: float,
    on_state: Callable[[str, str], None] = lambda service, state: None,
) -> StepReport:
    """Requests through the proxy from before the updates start until TAIL_S after they ended (and
    at least `min_requests`), bounded by `max_seconds`."""
    load = Load(port, path, max_seconds=max_seconds + BASELINE_S + TAIL_S).start()
    outcomes: list[UpdateOutcome | None] = [None] * len(updates)
    try:
        time.sleep(BASELINE_S)
        for update in updates:
            update.start()
        started = time.monotonic()
        ended_at = None
        seen = [0] * len(updates)
        while time.monotonic() - started < max_seconds:
            outcomes = [u.poll() for u in updates]
            for i, update in enumerate(updates):
                for _, state in update.states[seen[i] :]:
                    on_state(update.service, state)
                seen[i] = len(update.states)
            if ended_at is None and all(o is not None for o in outcomes):
                ended_at = time.monotonic()
            if ended_at is not None and time.monotonic() - ended_at >= TAIL_S and load.count >= min_requests:
                break
            time.sleep(0.25)
    finally:
        report = load.stop()
    finished = [o for o in outcomes if o is not None]
    problem = _judge(expect, updates, finished, report, min_requests, max_seconds)
    if len(finished) < len(updates):
        finished = [u.poll() or _unfinished(u) for u in updates]
    return StepReport(name, expect, finished, report, ok=not problem, problem=problem)


def _unfinished(update: Update) -> UpdateOutcome:
    return UpdateOutcome(update.service, "", update.image, "timeout", states=list(update.states))


def _judge(expect: str, updates: list[Update], outcomes: list[UpdateOutcome], load: LoadReport,
           min_requests: int, max_seconds: float) -> str:
    if len(outcomes) < len(updates):
        return f"no final state within {max_seconds:g} s"
    for outcome in outcomes:
        if expect == "deployed" and not outcome.done:
            return f"{outcome.service} ended {outcome.state}: {outcome.message or 'not deployed'}"
        if expect == "refused":
            if not outcome.refused:
                return f"{outcome.service} accepted the broken image ({outcome.state})"
            if outcome.after.split("@")[0] != outcome.before.split("@")[0]:
                return f"{outcome.service} runs {outcome.after} after the rollback, not {outcome.before}"
    if load.failed:
        return f"{load.failed} of {load.requests} requests failed ({', '.join(load.first_failures[:3])})"
    if load.requests < min_requests:
        return f"only {load.requests} requests (fewer than {min_requests})"
    return ""


def run(
    project: Project,
    registry: Registry,
    min_requests: int | None = None,
    max_seconds: float | None = None,
    on_step: Callable[[str], None] = lambda name: None,
    on_state: Callable[[str, str], None] = lambda service, state: None,
    log: Callable[[str], None] = lambda message: None,
) -> ZeroDowntimeReport:
    """The four steps on the running stage; the images made for them are removed afterwards."""
    settings = project.settings.stage
    recorded = require_up(project)
    min_requests = min_requests or settings.requests
    max_seconds = max_seconds or settings.max_seconds
    roles = stage_services(project)
    web = next(name for name, role in roles.items() if role == "web")
    workers = [name for name, role in roles.items() if role == "worker"]
    running = current_images(project)
    report = ZeroDowntimeReport(settings.name, recorded.url, min_requests)
    made = variants.Variants(registry)
    name_of = {service: swarm_name(settings, service) for service in running}
    since = time.time() - 3 * settings.heartbeat_seconds
    model = heartbeat_model(project.settings)
    try:
        log("making the test images from the running ones")
        for service in [web, *workers]:
            variants.make(made, "next", service, running[service])
        variants.make(made, "exits", web, running[web])
        variants.make(made, "unhealthy", web, running[web])
        if model:
            _wait_for_heartbeats(name_of[web], model, settings, since, log)

        def step(name: str, expect: str, targets: dict[str, str]) -> None:
            on_step(name)
            updates = [Update(name_of[s], image, settings.timeout) for s, image in targets.items()]
            report.steps.append(
                run_step(name, expect, updates, recorded.port, settings.probe_path, min_requests, max_seconds, on_state)
            )

        step("deploy", "deployed", {s: made.ref("next", s) for s in [web, *workers]})
        step("rollback", "deployed", {s: running[s] for s in [web, *workers]})
        step("broken: exits at start", "refused", {web: made.ref("exits", web)})
        step("broken: never healthy", "refused", {web: made.ref("unhealthy", web)})
        if model:
            on_step("heartbeat rows")
            rows = heartbeat.read_rows(name_of[web], model, settings.heartbeat_time_field, since)
            report.heartbeat = heartbeat.analyse(rows, settings.heartbeat_seconds)
            if not report.heartbeat.ok:
                report.heartbeat.beat_log = _beat_log([name_of[w] for w in workers], report)
    finally:
        _restore(running, name_of, settings.timeout, report)
        left = variants.remove(made)
        report.notes += [f"could not remove {item}" for item in left]
    return report


def _beat_log(worker_services: list[str], report: ZeroDowntimeReport) -> list[str]:
    """What the workers' beats logged, for a failed heartbeat check; a note instead when unreadable."""
    try:
        return heartbeat.beat_timeline(heartbeat.read_beat_logs(worker_services))
    except DockyardError as exc:
        report.notes.append(f"could not read the workers' logs: {exc}")
        return []


def heartbeat_model(site) -> str:  # noqa: ANN001
    """The model whose rows show beat ran: the stage's own setting, else the site's heartbeat contract."""
    if site.stage.heartbeat_model is not None:
        return site.stage.heartbeat_model
    periodic = site.celery.heartbeat
    return (periodic.model or "") if periodic else ""


def _wait_for_heartbeats(web: str, model: str, settings, since: float, log: Callable[[str], None]) -> None:  # noqa: ANN001
    """At least two rows before the first update, so the gaps around it can be measured."""
    budget = 3 * settings.heartbeat_seconds + 60
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        if len(heartbeat.read_rows(web, model, settings.heartbeat_time_field, since)) >= 2:
            return
        log("waiting for the periodic task's first rows")
        time.sleep(settings.heartbeat_seconds / 2)
    raise heartbeat.HeartbeatError(
        f"no two {model} rows within {budget:g} s: is beat running in the worker?"
    )


def _restore(running: dict[str, str], name_of: dict[str, str], timeout: float, report: ZeroDowntimeReport) -> None:
    """Put every service back on the image it ran before (after a failure half-way)."""
    from dockyard.docker import swarm

    for service, image in running.items():
        with contextlib.suppress(Exception):
            if swarm.image_of(name_of[service]).split("@")[0] != image.split("@")[0]:
                report.notes.append(f"{service} was put back on {image}")
                update = Update(name_of[service], image, timeout)
                update.start()
                while update.poll() is None:
                    time.sleep(0.5)
