"""What a container command is: its role (server, worker, beat...), a health probe, a celery invocation,
supervisord programs and uwsgi settings."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from dockyard.dockerfile.parser import Instruction
from dockyard.dockerfile.shell import SimpleCommand, commands_from_words, instruction_commands, split_commands

# Application servers: what serves the site's HTTP (and wants a HEALTHCHECK).
APP_SERVERS = {"gunicorn", "uvicorn", "daphne", "hypercorn", "waitress-serve", "uwsgi", "granian"}
# Servers in front of it; they manage their own workers and privileges.
PROXIES = {"nginx", "httpd", "apache2", "caddy", "traefik", "haproxy", "envoy"}
WORKER_PROGRAMS = {"rq", "rqworker", "dramatiq", "huey_consumer", "huey_consumer.py", "arq"}
HTTP_PROBES = {"curl", "wget", "http", "httpie"}


def commands_of(value: str | list[str] | Instruction | None) -> list[SimpleCommand]:
    """Simple commands of an instruction, a compose `command:` string or list."""
    if value is None:
        return []
    if isinstance(value, Instruction):
        return instruction_commands(value)
    if isinstance(value, list):
        return commands_from_words([str(v) for v in value])
    return split_commands(value)


def celery_args(command: SimpleCommand) -> list[str] | None:
    """The arguments after `celery` (or `python -m celery`), None when this is not celery."""
    words = command.words
    for i, word in enumerate(words):
        if posixpath.basename(word) == "celery":
            if i == 0 or (i >= 2 and words[i - 1] == "-m"):
                return words[i + 1 :]
    return None


def celery_subcommand(args: list[str]) -> str | None:
    """`celery --app x worker -B` -> "worker" (skips global options and their values)."""
    takes_value = {
        "-A",
        "--app",
        "-b",
        "--broker",
        "--result-backend",
        "--loader",
        "--config",
        "--workdir",
        "--skip-checks",
    }
    i = 0
    while i < len(args):
        word = args[i]
        if word in takes_value:
            i += 2
            continue
        if word.startswith("-"):
            i += 1
            continue
        return word
    return None


def is_http_probe(healthcheck: Instruction | dict | None) -> bool:
    """Whether a HEALTHCHECK (instruction or compose mapping) probes over HTTP."""
    if healthcheck is None:
        return False
    if isinstance(healthcheck, dict):
        test = healthcheck.get("test")
        if isinstance(test, list):
            words = [str(w) for w in test]
            if words and words[0] in ("CMD", "CMD-SHELL"):
                words = words[1:]
            text = " ".join(words)
        else:
            text = str(test or "")
        commands = split_commands(text)
    else:
        commands = instruction_commands(healthcheck)
        text = " ".join(healthcheck.value)
    if any(c.program in HTTP_PROBES for c in commands):
        return True
    return "http://" in text or "https://" in text


@dataclass(frozen=True)
class CeleryWorker:
    beat: bool
    pool: str | None


def celery_worker(command: SimpleCommand) -> CeleryWorker | None:
    args = celery_args(command)
    if args is None or celery_subcommand(args) != "worker":
        return None
    beat = any(a in ("-B", "--beat") or _short_cluster_has_beat(a) for a in args)
    pool = SimpleCommand(words=["celery", *args]).option("-P", "--pool")
    return CeleryWorker(beat=beat, pool=pool.lower() if pool else None)


def _short_cluster_has_beat(word: str) -> bool:
    # click lets boolean short flags combine: -BE is --beat --task-events
    return len(word) > 2 and word[0] == "-" and word[1] != "-" and "B" in word and set(word[1:]) <= {"B", "E", "D"}


def role(command: SimpleCommand) -> str | None:
    """What a command runs as a process of the site: "web" (an application server), "proxy",
    "flower", "worker", "beat" (a standalone scheduler), or None (a one-off, a helper)."""
    words = command.words
    program = command.program
    args = celery_args(command)
    if args is not None:
        sub = celery_subcommand(args)
        if sub == "flower":
            return "flower"
        if sub in ("worker", "multi"):
            return "worker"
        if sub == "beat":
            return "beat"
        return None
    if program == "flower":
        return "flower"
    if program in APP_SERVERS:
        return "web"
    if program in PROXIES:
        return "proxy"
    if program.startswith("python") and "-m" in words:
        position = words.index("-m") + 1
        module = words[position] if position < len(words) else ""
        if module in APP_SERVERS:
            return "web"
        if module in WORKER_PROGRAMS:
            return "worker"
    if program.startswith("python") or program in ("manage.py", "django-admin"):  # also under debugpy
        if not any(posixpath.basename(w) in ("manage.py", "django-admin") for w in words):
            return None
        if "runserver" in words or "runserver_plus" in words:
            return "web"
        if {"rqworker", "qcluster", "process_tasks", "run_huey"} & set(words):
            return "worker"
    if program in WORKER_PROGRAMS:
        return "worker"
    return None


def embeds_beat(command: SimpleCommand) -> bool:
    worker = celery_worker(command)
    return worker is not None and worker.beat


def supervisord_programs(text: str) -> list[tuple[str, int, str, str | None]]:
    """(program name, line of its `command=`, the command, its `user=`) for each
    `[program:x]` section of a supervisord configuration."""
    programs: list[tuple[str, int, str, str | None]] = []
    current: dict | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            if current and current.get("command"):
                programs.append((current["name"], current["line"], current["command"], current.get("user")))
            section = line[1:-1].strip()
            current = {"name": section.split(":", 1)[1]} if section.startswith("program:") else None
            continue
        if current is None or "=" not in line or line.startswith((";", "#")):
            continue
        key, _, value = line.partition("=")
        key = key.strip().lower()
        if key == "command":
            current["command"], current["line"] = value.strip(), number
        elif key == "user":
            current["user"] = value.strip()
    if current and current.get("command"):
        programs.append((current["name"], current["line"], current["command"], current.get("user")))
    return programs


def uwsgi_uid(text: str) -> str | None:
    """The `uid` a uwsgi ini file switches to (None: it keeps the user it starts as)."""
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == "uwsgi" and "=" in line and not line.startswith((";", "#")):
            key, _, value = line.partition("=")
            if key.strip() in ("uid", "setuid"):
                return value.strip()
    return None
