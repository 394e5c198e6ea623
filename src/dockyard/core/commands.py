"""What a container runs, from its command line: a Celery worker (with or without an embedded
beat), beat, flower, a web server, the test suite, a database or a broker.

Pure functions over argv (a compose `command:`, a Dockerfile's ENTRYPOINT + CMD, a running
container's `Path` + `Args`) and image names. Roles are the words of `[tool.dockyard.services]`
(core.settings.ROLES). Wrappers are looked through: `tini -- entrypoint.sh celery ...`,
`python -m celery ...`, `sh -c "celery ... worker --beat"`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

# celery's global options that take a value (celery/bin/celery.py)
_CELERY_VALUE_OPTIONS = {"-A", "--app", "-b", "--broker", "--result-backend", "--loader", "--config", "--workdir"}
# worker/beat options that take a value and are worth reading
_VALUE_OPTIONS = {
    "-S": "scheduler",
    "--scheduler": "scheduler",
    "-s": "schedule",
    "--schedule": "schedule",
    "-P": "pool",
    "--pool": "pool",
    "-n": "hostname",
    "--hostname": "hostname",
}
# other worker/beat options that take a value (skipped)
_SKIPPED_VALUE_OPTIONS = {
    "-c", "--concurrency", "-l", "--loglevel", "-Q", "--queues", "-X", "--exclude-queues", "-O",
    "-f", "--logfile", "--pidfile", "--uid", "--gid", "--max-tasks-per-child",
    "--max-memory-per-child", "--autoscale", "--time-limit", "--soft-time-limit", "--prefetch-multiplier",
    "-I", "--include", "--statedb", "--max-interval", "--port", "--address", "--broker-api",
}
WEB_SERVERS = {"gunicorn", "uvicorn", "daphne", "hypercorn", "uwsgi", "waitress-serve", "granian"}
DATABASE_IMAGES = {"postgres", "postgis", "mysql", "mariadb"}
BROKER_IMAGES = {"redis", "valkey", "rabbitmq", "keydb"}
_IMAGE_NAME = re.compile(
    r"^(?:[^/]+\.[^/]+/|localhost(?::\d+)?/)?(?:[\w.-]+/)*(?P<name>[\w.-]+?)(?::[\w.-]+)?(?:@\S+)?$"
)


@dataclass(frozen=True)
class CeleryCommand:
    """`celery [--app APP] SUBCOMMAND [options]`, as far as dockyard needs it."""

    subcommand: str | None  # worker, beat, flower, inspect, ...
    app: str | None = None
    beat: bool = False  # worker -B/--beat (or the beat subcommand itself)
    scheduler: str | None = None
    schedule: str | None = None  # PersistentScheduler's file (-s/--schedule)
    pool: str | None = None
    hostname: str | None = None  # worker -n/--hostname
    quiet: bool = False


def argv_of(command: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """A command as words; `sh -c "..."` (and any word with spaces) is split into its own words."""
    if command is None:
        return []
    words = shlex.split(command) if isinstance(command, str) else [str(w) for w in command]
    out: list[str] = []
    for word in words:
        if " " in word.strip():
            try:
                out += shlex.split(word)
            except ValueError:
                out.append(word)
        else:
            out.append(word)
    return out


def _program(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def celery_command(argv: list[str]) -> CeleryCommand | None:
    """The celery invocation in `argv` (None when there is none)."""
    start = None
    for i, word in enumerate(argv):
        if _program(word) == "celery":
            start = i + 1
            break
    if start is None:
        return None
    values: dict[str, str] = {}
    app = None
    subcommand = None
    beat = quiet = False
    words = argv[start:]
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("&&", ";", "||", "|"):
            break
        name, eq, inline = word.partition("=")
        if word.startswith("-"):
            if name in ("-A", "--app"):
                app = inline if eq else (words[i + 1] if i + 1 < len(words) else None)
                i += 1 if eq else 2
                continue
            if word.startswith("-A") and len(word) > 2 and not word.startswith("--"):
                app = word[2:]
            elif name in ("-B", "--beat") or re.fullmatch(r"-[DEB]*B[DEB]*", word):
                beat = True
            elif name in ("-q", "--quiet"):
                quiet = True
            elif name in _VALUE_OPTIONS:
                if eq:
                    values[_VALUE_OPTIONS[name]] = inline
                elif i + 1 < len(words):
                    values[_VALUE_OPTIONS[name]] = words[i + 1]
                    i += 1
            elif name in _CELERY_VALUE_OPTIONS or name in _SKIPPED_VALUE_OPTIONS:
                if not eq and (word.startswith("--") or len(word) == 2):
                    i += 1  # its value
            i += 1
            continue
        if subcommand is None:
            subcommand = word
        i += 1
    return CeleryCommand(
        subcommand=subcommand,
        app=app,
        beat=beat or subcommand == "beat",
        scheduler=values.get("scheduler"),
        schedule=values.get("schedule"),
        pool=values.get("pool"),
        hostname=values.get("hostname"),
        quiet=quiet,
    )


def role_of_command(argv: list[str]) -> str | None:
    """The role a command gives its container (None: nothing dockyard knows)."""
    celery = celery_command(argv)
    if celery is not None:
        if celery.subcommand == "worker":
            return "worker+beat" if celery.beat else "worker"
        if celery.subcommand in ("beat", "flower"):
            return celery.subcommand
        return None
    programs = [_program(w) for w in argv]
    if any(p in WEB_SERVERS for p in programs):
        return "web"
    if "flower" in programs:
        return "flower"
    for i, program in enumerate(programs):
        if program in ("manage.py", "django-admin") and i + 1 < len(programs):
            if programs[i + 1] == "runserver":
                return "web"
            if programs[i + 1] == "test":
                return "test"
    if "pytest" in programs or ("-m" in argv and "pytest" in argv):
        return "test"
    if "postgres" in programs:
        return "database"
    if "redis-server" in programs:
        return "broker"
    return None


def role_of_image(ref: str | None) -> str | None:
    """database or broker for the well-known images (postgres:17, redis:7-alpine,
    dockyard-local/postgres:15 ...), else None."""
    if not ref:
        return None
    m = _IMAGE_NAME.match(ref.strip())
    name = m.group("name") if m else ref
    if name in DATABASE_IMAGES:
        return "database"
    if name in BROKER_IMAGES:
        return "broker"
    return None
