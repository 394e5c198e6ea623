"""Reading Celery's own log text: worker ready, beat started, and why beat is not running.

Pure functions over the text a container printed (Celery 5.x, default log format
`[%(asctime)s: %(levelname)s/%(processName)s] %(message)s`). Every conclusion points
at the line it came from, so a report can quote the evidence instead of guessing.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass, field

# `celery@host ready.` (celery/apps/worker.py: on_consumer_ready)
_WORKER_READY = re.compile(r"^(?:\[[^\]]*\] )?(?P<node>\S+@\S+) ready\.\s*$", re.MULTILINE)
# Standalone `celery beat`: `celery beat v5.5.3 (immunity) is starting.` printed before logging starts.
# The reference site logs the same words from the beat embedded in a worker, tagged "(embedded ...".
_BEAT_BANNER = re.compile(
    r"^(?P<prefix>\[[^\]]*\] )?.*?celery beat v(?P<version>\d[\w.]*)(?: \([^)]*\))? is starting\.(?P<rest>.*)$",
    re.MULTILINE,
)
_EMBEDDED_SCHEDULER = re.compile(r"\bscheduler (?P<cls>[\w.:]+)")
_BANNER_SCHEDULER = re.compile(r"^\s*\. scheduler -> (?P<cls>\S+)\s*$", re.MULTILINE)
# `beat: Starting...` logged by celery.beat.Service.start; processName "Beat" when embedded.
_BEAT_STARTING = re.compile(
    r"^(?:\[[^\]]*?/(?P<process>[\w-]+)\] )?beat: Starting\.\.\.\s*$", re.MULTILINE
)
_BEAT_STOPPING = re.compile(r"^(?:\[[^\]]*\] )?beat: Shutting down\.\.\.\s*$", re.MULTILINE)
_DUE_TASK = re.compile(
    r"^(?:\[[^\]]*\] )?Scheduler: Sending due task (?P<name>\S+) \((?P<task>[^)]*)\)\s*$",
    re.MULTILINE,
)
_SCHEDULER_NAMED = re.compile(r"^(?:\[[^\]]*\] )?(?P<cls>\w*Scheduler): ", re.MULTILINE)
# The embedded beat process died (billiard logs "Process Beat" + traceback) or standalone beat raised.
_BEAT_CRASH = re.compile(
    r"^(?:\[[^\]]*/Beat\] Process Beat:?\s*$|.*beat raised exception .*$)", re.MULTILINE
)
_EXCEPTION_LINE = re.compile(
    r"^(?:\[[^\]]*\] )?(?P<exc>(?:[a-zA-Z_]\w*\.)*\w*(?:Error|error|Exception|Configured)): (?P<msg>.+)$",
    re.MULTILINE,
)


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
    m = _WORKER_READY.search(text)
    return m.group(0).strip() if m else None


def beat_started(text: str) -> BeatStart | None:
    """The first sign that beat started: the standalone banner or the embedded beat's lines."""
    banner = _BEAT_BANNER.search(text)
    starting = _BEAT_STARTING.search(text)
    embedded_banner = banner is not None and (
        "embedded" in banner.group("rest") or "/Beat]" in (banner.group("prefix") or "")
    )
    if banner is not None and not embedded_banner:
        m = _BANNER_SCHEDULER.search(text, banner.end())
        return BeatStart(
            mode="standalone",
            line=banner.group(0).strip(),
            version=banner.group("version"),
            scheduler=m.group("cls") if m else _scheduler_hint(text),
        )
    if starting is None and banner is None:
        return None
    scheduler = None
    if banner is not None and (m := _EMBEDDED_SCHEDULER.search(banner.group("rest"))):
        scheduler = m.group("cls")
    mode = (
        "embedded"
        if embedded_banner or (starting is not None and starting.group("process") == "Beat")
        else "standalone"
    )
    first = (
        starting
        if starting is not None and (banner is None or starting.start() < banner.start())
        else banner
    )
    assert first is not None
    return BeatStart(
        mode=mode,
        line=first.group(0).strip(),
        version=banner.group("version") if banner else None,
        scheduler=scheduler or _scheduler_hint(text),
    )


def _scheduler_hint(text: str) -> str | None:
    """A scheduler named by its own log lines, e.g. "DatabaseScheduler: Schedule changed."."""
    m = _SCHEDULER_NAMED.search(text)
    return m.group("cls") if m and m.group("cls") != "Scheduler" else None


def beat_lines(text: str, limit: int = 20) -> list[str]:
    """The lines a person would grep for (`beat:`, the banner, due tasks, the Beat process), last `limit`."""
    keep = re.compile(r"beat:|celery beat v|/Beat\]|Scheduler: Sending due task|Scheduler: ")
    return [line.rstrip() for line in text.splitlines() if keep.search(line)][-limit:]


def due_tasks(text: str) -> list[tuple[str, str]]:
    """(entry name, task name) for every `Scheduler: Sending due task` line."""
    return [(m.group("name"), m.group("task")) for m in _DUE_TASK.finditer(text)]


# --------------------------------------------------------------------------- the command line


def command_argv(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else list(command)


def beat_in_command(argv: list[str]) -> bool | None:
    """True for `celery ... worker --beat/-B` or `celery ... beat`; False for a worker without it;
    None when the command is not a celery worker/beat at all."""
    if not any(part.endswith("celery") for part in argv):
        return None
    if "beat" in argv:
        return True
    if "worker" not in argv:
        return None
    return any(
        arg in ("-B", "--beat")
        or (arg.startswith("-") and not arg.startswith("--") and "B" in arg[1:])
        for arg in argv
    )


def scheduler_in_command(argv: list[str]) -> str | None:
    """The value of `--scheduler X`, `--scheduler=X` or `-S X`, if given."""
    for i, arg in enumerate(argv):
        if arg in ("--scheduler", "-S") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--scheduler="):
            return arg.split("=", 1)[1]
    return None


def pool_in_command(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg in ("--pool", "-P") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--pool="):
            return arg.split("=", 1)[1]
    return None


# --------------------------------------------------------------------------- causes


def _first(pattern: str, text: str, flags: int = re.MULTILINE) -> str | None:
    m = re.search(pattern, text, flags)
    if m is None:
        return None
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.end())
    return text[start : end if end != -1 else len(text)].strip()


_DETECTORS: list[tuple[str, str, str, str]] = [
    # (cause, regex over the log, summary, fix)
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
        "run `python manage.py migrate` (the web container migrates on start; start celery after it is "
        "healthy, or run it once with DJANGO_MIGRATE=1)",
    ),
    (
        "scheduler_not_installed",
        r"No module named '?django_celery_beat|django_celery_beat\S* doesn't declare an explicit app_label",
        "the DatabaseScheduler's package django_celery_beat is not installed or not in INSTALLED_APPS",
        "add django-celery-beat to requirements.txt and 'django_celery_beat' to INSTALLED_APPS",
    ),
    (
        "schedule_file_not_writable",
        r"(?:PermissionError|Permission denied|Read-only file system).*(?:celerybeat-schedule|schedule)",
        "beat cannot write its schedule file (the runtime user has no write access to it)",
        "point --schedule at a writable path such as /data/celerybeat-schedule, or use the DatabaseScheduler",
    ),
    (
        "database_unreachable",
        r"(?:OperationalError|InterfaceError)\b.*(?:connection to server|could not connect|"
        r"Connection refused|could not translate host name|failed to resolve host|timeout expired|"
        r"unable to open database file)",
        "the scheduler cannot reach the database",
        "check DATABASE_URL and that the database is running and reachable from the container",
    ),
    (
        "broker_unreachable",
        r"consumer: Cannot connect to .*|beat: Connection error: .*",
        "the broker is unreachable: the worker cannot consume and beat cannot send due tasks",
        "check CELERY_BROKER_URL and that redis is running and reachable from the container",
    ),
]


def find_causes(text: str, argv: list[str] | None = None) -> list[LogCause]:
    """Every known cause the log (and, if given, the container's command) shows, in a stable order."""
    findings: list[LogCause] = []
    for cause, pattern, summary, fix in _DETECTORS:
        line = _first(pattern, text)
        if line is not None:
            findings.append(LogCause(cause, summary, fix, line))
    if argv is not None and beat_in_command(argv) is False and beat_started(text) is None:
        findings.append(
            LogCause(
                "beat_not_requested",
                "the worker was started without --beat, so no scheduler runs in it",
                "add --beat (and --scheduler django_celery_beat.schedulers:DatabaseScheduler) to the worker "
                "command, or run `celery beat` in its own container",
                shlex.join(argv),
            )
        )
    return findings


def _crash_after(text: str, offset: int) -> str | None:
    """The exception line of a beat crash logged after `offset`, if any."""
    crash = _BEAT_CRASH.search(text, offset)
    if crash is None:
        return None
    exceptions = list(_EXCEPTION_LINE.finditer(text, crash.start()))
    # billiard prints the traceback twice (plain, then as WARNING/Beat lines); the last is the cause.
    return exceptions[-1].group(0).strip() if exceptions else crash.group(0).strip()


def diagnose_beat(text: str, argv: list[str] | None = None) -> BeatDiagnosis:
    """Did beat start, is it still running, which scheduler, and what known causes show in the log."""
    start = beat_started(text)
    findings = find_causes(text, argv)
    scheduler = (start.scheduler if start else None) or (
        scheduler_in_command(argv) if argv else None
    )
    state = "not started"
    if start is not None:
        offset = text.find(start.line)
        crash = _crash_after(text, max(offset, 0))
        stopping = _BEAT_STOPPING.search(text, max(offset, 0))
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
        elif stopping is not None:
            state = "stopped"
        else:
            state = "running"
    elif not findings:
        error = _last_exception(text)
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


def _last_exception(text: str) -> str | None:
    matches = list(_EXCEPTION_LINE.finditer(text))
    return matches[-1].group(0).strip() if matches else None
