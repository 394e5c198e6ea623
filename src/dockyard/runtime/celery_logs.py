"""Reading Celery's own log text, whatever the site's log format: worker ready, beat started,
due tasks sent, and why beat is not running.

Celery's messages (`celery@HOST ready.`, `beat: Starting...`, `Scheduler: Sending due task
NAME (TASK)`, the standalone `celery beat v5.x (name) is starting.` banner) are matched wherever
they stand in a line: after Celery's default `[time: LEVEL/Process]` prefix, after a site's own
`INFO <time> Beat 15 celery.beat` prefix, or inside the `message` field of a JSON log line (whose
`exc_info` is read too). Every conclusion points at the line it came from, so a report can quote
the evidence instead of guessing. What the container's command says (dockyard.core.commands) is
stronger evidence than the text and wins where both speak (runtime.celery_evidence).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import asdict, dataclass, field

from dockyard.core.commands import argv_of, celery_command

# The fields a JSON log line carries its message, its exception and its process name in
# (Python's logging names first, then common JSON formatters' names).
_MESSAGE_FIELDS = ("message", "msg", "event", "text", "log")
_EXCEPTION_FIELDS = ("exc_info", "exception", "exc_text", "stack_trace", "traceback")
_PROCESS_FIELDS = ("processName", "process_name", "process")

# `celery@host ready.` (celery/apps/worker.py: on_consumer_ready)
_WORKER_READY = re.compile(r"(?P<node>\b[\w.-]+@[\w.-]+) ready\.")
# Standalone `celery beat`: `celery beat v5.5.3 (immunity) is starting.` printed before logging starts.
_BEAT_BANNER = re.compile(r"celery beat v(?P<version>\d[\w.]*)(?: \([^)]*\))? is starting\.(?P<rest>.*)$")
_EMBEDDED_SCHEDULER = re.compile(r"\bscheduler (?P<cls>[\w.:]+)")
_BANNER_SCHEDULER = re.compile(r"^\s*\. scheduler -> (?P<cls>\S+)\s*$")
# `beat: Starting...` logged by celery.beat.Service.start (processName "Beat" when embedded).
_BEAT_STARTING = re.compile(r"\bbeat: Starting\.\.\.")
_BEAT_STOPPING = re.compile(r"\bbeat: Shutting down\.\.\.")
_DUE_TASK = re.compile(r"Scheduler: Sending due task (?P<name>\S+) \((?P<task>[^)]*)\)")
_SCHEDULER_NAMED = re.compile(r"(?:^|[\s\]])(?P<cls>\w*Scheduler): ")
# The embedded beat process died (billiard prints "Process Beat" + traceback) or standalone beat raised.
_BEAT_CRASH = re.compile(r"(?:^|[\s\]])Process Beat:?\s*$|beat raised exception ")
_EXCEPTION_LINE = re.compile(
    r"(?:^|[\s\]])(?P<exc>(?:[a-zA-Z_]\w*\.)*\w*(?:Error|error|Exception|Configured)): (?P<msg>.+)$"
)
_TASK_SUCCEEDED = r"Task {task}\[[^\]]+\] succeeded in "


@dataclass(frozen=True)
class LogLine:
    """One line of a container's log: as printed, Celery's message in it, and its process."""

    raw: str
    message: str  # the JSON message field, or the whole line for text logs
    process: str | None  # "Beat", "MainProcess" ... when the line says


def _process_in_text(line: str) -> str | None:
    """The process name of a text line: Celery's `/Beat]`, or a bare `Beat` / `MainProcess` word."""
    m = re.search(r"/(?P<name>[\w-]+)\]", line)
    if m:
        return m.group("name")
    m = re.search(r"(?:^|\s)(?P<name>Beat|MainProcess|ForkPoolWorker-\d+)(?:\s|$)", line)
    return m.group("name") if m else None


def log_lines(text: str) -> list[LogLine]:
    """Every line, JSON lines read for their message (and their exception text, as more lines)."""
    out: list[LogLine] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.lstrip()
        if stripped.startswith("{") and stripped.endswith("}"):
            try:
                data = json.loads(stripped)
            except ValueError:
                data = None
            if isinstance(data, dict):
                message = next((str(data[k]) for k in _MESSAGE_FIELDS if isinstance(data.get(k), str)), "")
                process = next((str(data[k]) for k in _PROCESS_FIELDS if isinstance(data.get(k), str)), None)
                out.append(LogLine(line, message, process))
                for key in _EXCEPTION_FIELDS:
                    if isinstance(data.get(key), str):
                        out += [LogLine(line, part, process) for part in data[key].splitlines()]
                continue
        out.append(LogLine(line, line, _process_in_text(line)))
    return out


def messages_text(text: str) -> str:
    """The log with JSON lines replaced by their message (and exception): what a person would read."""
    return "\n".join(line.message for line in log_lines(text))


def _quote(line: LogLine) -> str:
    """The evidence to show for a line: the line as printed (a JSON line: its message)."""
    return line.raw.strip() if line.raw.strip() == line.message.strip() else line.message.strip()


@dataclass
class BeatStart:
    """Where the log says beat started."""

    mode: str  # "standalone" (celery beat) or "embedded" (celery worker --beat)
    line: str  # the line that says so
    version: str | None = None
    scheduler: str | None = None  # scheduler class, when the log names it


@dataclass
class LogCause:
    """A known reason why beat does not run (or does not work), with the line that shows it."""

    cause: str  # short key, e.g. "broker_unreachable"
    summary: str  # what is wrong, one line
    fix: str  # what to do
    evidence: str  # the log line (or command) it was detected from


@dataclass
class BeatDiagnosis:
    state: str  # running | crashed | stopped | not started
    start: BeatStart | None
    scheduler: str | None
    due_tasks_sent: int
    worker_ready: str | None
    findings: list[LogCause] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.state == "running"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["running"] = self.running
        return data


def worker_ready(text: str) -> str | None:
    """The `celery@host ready.` line, or None when the worker never became ready."""
    for line in log_lines(text):
        if _WORKER_READY.search(line.message):
            return _quote(line)
    return None


def worker_node(text: str) -> str | None:
    """`celery@host` of the ready line (the node name `inspect --destination` takes)."""
    for line in log_lines(text):
        m = _WORKER_READY.search(line.message)
        if m:
            return m.group("node")
    return None


def beat_started(text: str) -> BeatStart | None:
    """The first sign that beat started: the standalone banner or the embedded beat's lines."""
    lines = log_lines(text)
    banner_at = starting_at = None
    for index, line in enumerate(lines):
        if banner_at is None and _BEAT_BANNER.search(line.message):
            banner_at = index
        if starting_at is None and _BEAT_STARTING.search(line.message):
            starting_at = index
    if banner_at is None and starting_at is None:
        return None
    banner = _BEAT_BANNER.search(lines[banner_at].message) if banner_at is not None else None
    embedded_banner = banner is not None and (
        "embedded" in banner.group("rest") or lines[banner_at].process == "Beat"  # type: ignore[index]
    )
    if banner is not None and not embedded_banner:
        scheduler = None
        for line in lines[banner_at + 1 : banner_at + 20]:  # type: ignore[operator]
            if m := _BANNER_SCHEDULER.match(line.message):
                scheduler = m.group("cls")
                break
        return BeatStart(
            mode="standalone",
            line=_quote(lines[banner_at]),  # type: ignore[index]
            version=banner.group("version"),
            scheduler=scheduler or _scheduler_hint(lines),
        )
    scheduler = None
    if banner is not None and (m := _EMBEDDED_SCHEDULER.search(banner.group("rest"))):
        scheduler = m.group("cls")
    embedded = embedded_banner or (starting_at is not None and lines[starting_at].process == "Beat")
    first = starting_at if starting_at is not None and (banner_at is None or starting_at < banner_at) else banner_at
    assert first is not None
    return BeatStart(
        mode="embedded" if embedded else "standalone",
        line=_quote(lines[first]),
        version=banner.group("version") if banner else None,
        scheduler=scheduler or _scheduler_hint(lines),
    )


def _scheduler_hint(lines: list[LogLine]) -> str | None:
    """A scheduler named by its own log lines, e.g. "DatabaseScheduler: Schedule changed."."""
    for line in lines:
        m = _SCHEDULER_NAMED.search(line.message)
        if m and m.group("cls") != "Scheduler":
            return m.group("cls")
    return None


def beat_lines(text: str, limit: int = 20) -> list[str]:
    """The lines a person would grep for (`beat:`, the banner, due tasks, the Beat process), last `limit`."""
    keep = re.compile(r"beat:|celery beat v|Scheduler: Sending due task|Scheduler: ")
    return [_quote(line) for line in log_lines(text) if keep.search(line.message) or line.process == "Beat"][
        -limit:
    ]


def due_tasks(text: str) -> list[tuple[str, str]]:
    """(entry name, task name) for every `Scheduler: Sending due task` line."""
    return [
        (m.group("name"), m.group("task"))
        for line in log_lines(text)
        if (m := _DUE_TASK.search(line.message))
    ]


def task_succeeded(text: str, task: str) -> str | None:
    """The first `Task TASK[id] succeeded in ...` line (Celery's own, celery.app.trace)."""
    pattern = re.compile(_TASK_SUCCEEDED.format(task=re.escape(task)))
    for line in log_lines(text):
        if pattern.search(line.message):
            return _quote(line)
    return None


def matching_line(text: str, pattern: str) -> str | None:
    """The first line whose message (or, for text lines, whole line) matches the regex `pattern`."""
    compiled = re.compile(pattern)
    for line in log_lines(text):
        if compiled.search(line.message):
            return _quote(line)
    return None


# --------------------------------------------------------------------------- the command line


def command_argv(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else list(command)


def beat_in_command(argv: list[str]) -> bool | None:
    """True for `celery ... worker --beat/-B` or `celery ... beat`; False for a worker without it;
    None when the command is not a celery worker/beat at all."""
    celery = celery_command(argv_of(argv))
    if celery is None or celery.subcommand not in ("worker", "beat"):
        return None
    return celery.beat


def scheduler_in_command(argv: list[str]) -> str | None:
    """The value of `--scheduler X`, `--scheduler=X` or `-S X`, if given."""
    celery = celery_command(argv_of(argv))
    return celery.scheduler if celery else None


def pool_in_command(argv: list[str]) -> str | None:
    celery = celery_command(argv_of(argv))
    return celery.pool if celery else None


# --------------------------------------------------------------------------- causes


def _first(pattern: str, lines: list[LogLine]) -> str | None:
    compiled = re.compile(pattern)
    for line in lines:
        if compiled.search(line.message):
            return line.message.strip()
    return None


_DETECTORS: list[tuple[str, str, str, str]] = [
    # (cause, regex over a line's message, summary, fix)
    (
        "pool_without_embedded_beat",
        r"-B option doesn't work with eventlet/gevent pools",
        "the worker uses an eventlet/gevent pool, which cannot run beat embedded (-B/--beat)",
        "use --pool prefork (or threads/solo) with --beat, or run `celery beat` in its own container",
    ),
    (
        "pool_not_installed",
        r"No module named '(?:gevent|eventlet)'",
        "the worker's --pool needs a package (gevent/eventlet) that the image does not have",
        "use --pool prefork: green pools cannot run embedded beat (-B/--beat) anyway",
    ),
    (
        "embedded_beat_on_windows",
        r"-B option does not work on Windows",
        "embedded beat (-B/--beat) is not supported on Windows",
        "run `celery beat` as a separate process",
    ),
    (
        "scheduler_tables_missing",
        r"(?:no such table|relation \"?)\W*django_celery_beat_\w+",
        "the database has no django_celery_beat tables: migrations have not been applied",
        "run `python manage.py migrate` (let the web container migrate on start and start celery after it "
        "is healthy, or have the worker migrate once when it starts alone)",
    ),
    (
        "scheduler_not_installed",
        r"No module named '?django_celery_beat|django_celery_beat\S* doesn't declare an explicit app_label",
        "the DatabaseScheduler's package django_celery_beat is not installed or not in INSTALLED_APPS",
        "add django-celery-beat to the requirements and 'django_celery_beat' to INSTALLED_APPS",
    ),
    (
        "schedule_file_not_writable",
        r"(?:PermissionError|Permission denied|Read-only file system).*(?:celerybeat-schedule|schedule)",
        "beat cannot write its schedule file (the runtime user has no write access to it)",
        "point --schedule at a writable path (a data directory the runtime user owns), or use the "
        "DatabaseScheduler",
    ),
    (
        "database_unreachable",
        r"(?:OperationalError|InterfaceError)\b.*(?:connection to server|could not connect|"
        r"Connection refused|could not translate host name|failed to resolve host|timeout expired|"
        r"unable to open database file)",
        "the scheduler cannot reach the database",
        "check the database settings in the container's environment and that the database is running "
        "and reachable from the container",
    ),
    (
        "broker_unreachable",
        r"consumer: Cannot connect to .*|beat: Connection error: .*",
        "the broker is unreachable: the worker cannot consume and beat cannot send due tasks",
        "check the broker URL in the container's environment and that the broker is running and "
        "reachable from the container",
    ),
]


def find_causes(text: str, argv: list[str] | None = None) -> list[LogCause]:
    """Every known cause the log (and, if given, the container's command) shows, in a stable order."""
    lines = log_lines(text)
    findings: list[LogCause] = []
    for cause, pattern, summary, fix in _DETECTORS:
        line = _first(pattern, lines)
        if line is not None:
            findings.append(LogCause(cause, summary, fix, line))
    if argv is not None and beat_in_command(argv) is False and beat_started(text) is None:
        findings.append(
            LogCause(
                "beat_not_requested",
                "the worker was started without --beat, so no scheduler runs in it",
                "add --beat to the worker command, or run `celery beat` in its own container",
                shlex.join(argv),
            )
        )
    return findings


def _crash_after(lines: list[LogLine], offset: int) -> str | None:
    """The exception line of a beat crash logged after line `offset`, if any."""
    crash = next((i for i in range(offset, len(lines)) if _BEAT_CRASH.search(lines[i].message)), None)
    if crash is None:
        return None
    exceptions = [line.message for line in lines[crash:] if _EXCEPTION_LINE.search(line.message)]
    # billiard prints the traceback twice (plain, then as WARNING/Beat lines); the last is the cause.
    if exceptions:
        m = _EXCEPTION_LINE.search(exceptions[-1])
        return m.group(0).strip(" ]") if m else exceptions[-1].strip()
    return lines[crash].message.strip()


def diagnose_beat(text: str, argv: list[str] | None = None) -> BeatDiagnosis:
    """Did beat start, is it still running, which scheduler, and what known causes show in the log."""
    start = beat_started(text)
    lines = log_lines(text)
    findings = find_causes(text, argv)
    scheduler = (start.scheduler if start else None) or (scheduler_in_command(argv) if argv else None)
    if argv is not None and start is not None:
        celery = celery_command(argv_of(argv))
        if celery is not None and celery.subcommand in ("worker", "beat"):
            # The command says which it is, whatever the log's format tells of the process.
            start.mode = "embedded" if celery.subcommand == "worker" else "standalone"
    state = "not started"
    if start is not None:
        offset = next((i for i, line in enumerate(lines) if _quote(line) == start.line), 0)
        crash = _crash_after(lines, offset)
        stopping = any(_BEAT_STOPPING.search(line.message) for line in lines[offset:])
        if crash is not None:
            state = "crashed"
            if not any(f.cause != "broker_unreachable" for f in findings):
                findings.append(
                    LogCause(
                        "beat_crashed",
                        "the beat process died after starting",
                        "read the traceback in the container's log",
                        crash,
                    )
                )
        elif stopping:
            state = "stopped"
        else:
            state = "running"
    elif not findings:
        error = _last_exception(lines)
        if error is not None and worker_ready(text) is None:
            findings.append(
                LogCause(
                    "worker_failed",
                    "the worker failed before beat could start",
                    "fix the error shown, then restart the container",
                    error,
                )
            )
    return BeatDiagnosis(
        state=state,
        start=start,
        scheduler=scheduler,
        due_tasks_sent=len(due_tasks(text)),
        worker_ready=worker_ready(text),
        findings=findings,
    )


def _last_exception(lines: list[LogLine]) -> str | None:
    for line in reversed(lines):
        m = _EXCEPTION_LINE.search(line.message)
        if m:
            return m.group(0).strip(" ]")
    return None
