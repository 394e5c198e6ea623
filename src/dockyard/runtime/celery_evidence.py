"""What a running container shows about its Celery worker and beat, structured evidence first.

One module for `test.celery`, `troubleshoot.beat` and the image check `celery_starts`:

- the command the container runs (the engine's record) and its process list (`docker top`):
  is a `celery worker --beat` or `celery beat` process there at all;
- Celery's own answers: `celery inspect ping --json` (and `registered --json`) run inside the
  container through `docker exec`, as its HEALTHCHECK does;
- the beat schedule's state, read inside the container with the site's own Celery app: the
  PersistentScheduler's file (its age) or django_celery_beat's tables (the last run);
- Celery's log text, whatever the log format (runtime.celery_logs).

The verdicts prefer the first three; the log adds the lines to quote and the known causes.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field

from dockyard.core.commands import CeleryCommand, argv_of, celery_command
from dockyard.docker.client import Container
from dockyard.docker.containers import ContainerError, exec_text, logs_text, process_argv, processes
from dockyard.runtime import celery_logs
from dockyard.runtime.celery_logs import BeatDiagnosis

# PersistentScheduler writes its file at start and at least every 3 minutes while it sends due
# tasks (beat_sync_every / Scheduler.sync_every); DatabaseScheduler saves last_run_at likewise.
FRESH_SECONDS = 300
EXEC_TIMEOUT = 20  # seconds for one command inside the container (`timeout` is in coreutils)

# Run inside the container with its own Python: the scheduler the app is configured with (or
# the command's --scheduler), and that scheduler's state. Prints one line of JSON.
_SCHEDULE_PROBE = r"""
import glob, json, os, sys, time
app_name, schedule, scheduler = sys.argv[1:4]
out = {}
try:
    from celery.app.utils import find_app
    from celery.utils.imports import symbol_by_name
    app = find_app(app_name)
    configured = scheduler or app.conf.beat_scheduler
    if not isinstance(configured, str):
        configured = f"{configured.__module__}.{configured.__qualname__}"
    out["scheduler"] = configured
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        import django
        django.setup()
    cls = symbol_by_name(configured)
    if any(c.__module__.startswith("django_celery_beat") for c in cls.__mro__):
        from django.db.models import Max
        from django_celery_beat.models import PeriodicTask
        last = PeriodicTask.objects.aggregate(last=Max("last_run_at"))["last"]
        out["kind"] = "database"
        out["where"] = PeriodicTask._meta.db_table
        out["entries"] = PeriodicTask.objects.count()
        out["age"] = time.time() - last.timestamp() if last else None
    else:
        name = schedule or app.conf.beat_schedule_filename
        files = [f for f in glob.glob(glob.escape(name) + "*") if os.path.isfile(f)]
        out["kind"] = "file"
        out["where"] = os.path.abspath(name)
        out["entries"] = len(files)
        out["age"] = time.time() - max(os.path.getmtime(f) for f in files) if files else None
except Exception as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"
print("dockyard-schedule " + json.dumps(out))
"""


@dataclass
class Answer:
    """What `celery inspect COMMAND --json` said (or why it said nothing)."""

    ok: bool
    replies: dict = field(default_factory=dict)  # node -> its reply
    detail: str = ""  # the failure, one line


@dataclass
class ScheduleState:
    """Beat's own record of what it did: a schedule file, or django_celery_beat's tables."""

    kind: str  # "file" | "database" | "unknown"
    where: str | None = None  # the file, or the table
    scheduler: str | None = None
    age_seconds: float | None = None  # since beat last wrote it (None: never)
    detail: str = ""

    @property
    def fresh(self) -> bool:
        return self.age_seconds is not None and self.age_seconds <= FRESH_SECONDS

    def describe(self) -> str:
        if self.kind == "unknown":
            return f"schedule state unknown: {self.detail}" if self.detail else "schedule state unknown"
        what = f"schedule file {self.where}" if self.kind == "file" else f"table {self.where}"
        if self.age_seconds is None:
            return f"{what}: never written" if self.kind == "file" else f"{what}: no task has run yet"
        verb = "written" if self.kind == "file" else "last run"
        return f"{what} {verb} {self.age_seconds:.0f}s ago"


@dataclass
class CeleryEvidence:
    container: str
    running: bool  # the container is running
    command: list[str]
    celery: CeleryCommand | None  # the celery invocation in the command
    celery_processes: list[str]  # command lines of its celery worker/beat processes (docker top)
    log: BeatDiagnosis  # what the log text shows
    ping: Answer | None = None
    registered: list[str] | None = None  # task names the worker registered
    schedule: ScheduleState | None = None

    # ------------------------------------------------------------------ the worker

    @property
    def is_worker(self) -> bool:
        return self.celery is not None and self.celery.subcommand == "worker"

    @property
    def beat_requested(self) -> bool | None:
        """The command runs beat (worker --beat, or celery beat); None: not a celery worker/beat."""
        if self.celery is None or self.celery.subcommand not in ("worker", "beat"):
            return None
        return self.celery.beat

    @property
    def worker_ready(self) -> bool:
        """Celery answered a ping, or (without one) the log says the worker is ready."""
        if self.ping is not None:
            return self.ping.ok
        return self.log.worker_ready is not None

    # ------------------------------------------------------------------ beat

    @property
    def beat_process(self) -> bool | None:
        """A process with beat in its command runs in the container (None: cannot tell)."""
        if not self.running:
            return False
        if not self.celery_processes:
            return None
        return any(celery_logs.beat_in_command(argv_of(line)) for line in self.celery_processes)

    @property
    def beat_started(self) -> bool:
        """Beat's schedule state is fresh, or its log says it started (and did not die since)."""
        if self.log.state in ("crashed", "stopped"):
            return False
        return bool((self.schedule is not None and self.schedule.fresh) or self.log.start is not None)

    @property
    def beat_running(self) -> bool:
        return (
            self.running
            and self.beat_process is not False
            and self.beat_requested is not False
            and self.beat_started
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(
            worker_ready=self.worker_ready,
            beat_requested=self.beat_requested,
            beat_process=self.beat_process,
            beat_started=self.beat_started,
            beat_running=self.beat_running,
        )
        return data


def _celery_lines(container: Container) -> list[str]:
    try:
        lines = processes(container)
    except ContainerError:
        return []
    return [line for line in lines if celery_command(argv_of(line)) is not None]


def gather(
    container: Container,
    app: str | None = None,
    *,
    ask_worker: bool = True,
    read_schedule: bool = True,
    text: str | None = None,
) -> CeleryEvidence:
    """Everything the container shows, now. `app` is the Celery app when the command does not
    name one; `ask_worker` runs `inspect ping`/`registered`, `read_schedule` the schedule probe."""
    container.reload()
    argv = process_argv(container)
    celery = celery_command(argv)
    running = container.attrs.get("State", {}).get("Status") == "running"
    text = logs_text(container) if text is None else text
    evidence = CeleryEvidence(
        container=container.name,
        running=running,
        command=argv,
        celery=celery,
        celery_processes=_celery_lines(container) if running else [],
        log=celery_logs.diagnose_beat(text, argv),
    )
    app = (celery.app if celery else None) or app
    if not running or app is None:
        return evidence
    if ask_worker and evidence.is_worker:
        node = celery.hostname if celery and celery.hostname and "%" not in celery.hostname else None
        node = node or celery_logs.worker_node(text) or f"celery@{container.attrs['Config'].get('Hostname', '')}"
        evidence.ping = inspect(container, app, "ping", node)
        if evidence.ping.ok:
            registered = inspect(container, app, "registered", node)
            if registered.ok:
                evidence.registered = sorted({t.split(" ")[0] for tasks in registered.replies.values() for t in tasks})
    if read_schedule and evidence.beat_requested:
        evidence.schedule = schedule_state(container, app, celery)
    return evidence


_JSON_LINE = re.compile(r"^\s*\{.*\}\s*$")


def inspect(
    container: Container,
    app: str,
    command: str,
    node: str | None = None,
    timeout: float = 5,
    attempts: int = 3,
) -> Answer:
    """`celery --app APP inspect COMMAND --json [--destination NODE]` inside the container; a
    failed answer is asked again (`attempts` in all, 2 s apart), as a HEALTHCHECK retries: one
    lost reply or one failed name lookup on a busy engine is not a dead worker."""
    answer = _inspect_once(container, app, command, node, timeout)
    for attempt in range(2, attempts + 1):
        if answer.ok:
            break
        time.sleep(2)
        answer = _inspect_once(container, app, command, node, timeout)
        if not answer.ok:
            answer.detail += f" (asked {attempt} times)"
    return answer


def _inspect_once(container: Container, app: str, command: str, node: str | None, timeout: float) -> Answer:
    argv = ["timeout", str(EXEC_TIMEOUT), "celery", "--app", app, "inspect", command, "--json"]
    argv += ["--timeout", f"{timeout:g}"]
    if node:
        argv += ["--destination", node]
    try:
        code, output = exec_text(container, argv)
    except ContainerError as exc:
        return Answer(False, detail=str(exc))
    replies: dict = {}
    for line in output.splitlines():
        if _JSON_LINE.match(line):
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict):
                replies.update(data)
    if code == 0 and replies:
        return Answer(True, replies)
    last = (output.strip().splitlines() or ["no output"])[-1]
    why = "no worker replied" if code in (0, 1) and "No nodes replied" in output else f"exit {code}: {last[:160]}"
    return Answer(False, replies, why)


def schedule_state(container: Container, app: str, celery: CeleryCommand | None) -> ScheduleState:
    """The beat schedule's state, read inside the container with the site's own Celery app."""
    argv = [
        "timeout",
        str(EXEC_TIMEOUT),
        "python",
        "-c",
        _SCHEDULE_PROBE,
        app,
        (celery.schedule if celery else None) or "",
        (celery.scheduler if celery else None) or "",
    ]
    try:
        code, output = exec_text(container, argv)
    except ContainerError as exc:
        return ScheduleState("unknown", detail=str(exc))
    m = re.search(r"^dockyard-schedule (\{.*\})$", output, re.MULTILINE)
    if m is None:
        last = (output.strip().splitlines() or ["no output"])[-1]
        return ScheduleState("unknown", detail=f"exit {code}: {last[:160]}")
    data = json.loads(m.group(1))
    if "error" in data and "kind" not in data:
        return ScheduleState("unknown", scheduler=data.get("scheduler"), detail=str(data["error"])[:200])
    age = data.get("age")
    return ScheduleState(
        kind=str(data.get("kind", "unknown")),
        where=data.get("where"),
        scheduler=data.get("scheduler"),
        age_seconds=round(float(age), 1) if isinstance(age, int | float) else None,
        detail=str(data.get("error", ""))[:200],
    )
