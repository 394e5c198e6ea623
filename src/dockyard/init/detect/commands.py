"""The service commands to carry over: the web server with its port, the Celery worker and beat options."""

from __future__ import annotations

import posixpath
from collections import Counter

from dockyard.dockerfile.shell import SimpleCommand
from dockyard.init.detect.found import Found
from dockyard.init.detect.legacy import LegacyFacts, Services
from dockyard.init.facts import Command, Evidence
from dockyard.lint.commands import celery_args, celery_subcommand

DEFAULT_PORT = 80  # the card's: its probe is http://127.0.0.1:80/health/ (uid 1000 may bind it in a container)
WEB_SERVERS = ("gunicorn", "uvicorn", "daphne")
GREEN_POOLS = {"gevent", "eventlet"}
WORKER_DROP = {"--pidfile", "--logfile", "-f", "--statedb"}  # options with a value the images do not want
WORKER_FLAGS = {"-B", "--beat", "--detach", "-D"}
BEAT_DROP = {"--pidfile", "--logfile", "-f"}


def without(words: list[str], options: set[str], flags: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """`words` less `options` (with their values) and `flags`."""
    out, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word.partition("=")[0] in options:
            skip = "=" not in word
            continue
        if word not in flags:
            out.append(word)
    return out


def celery_parts(argv: tuple[str, ...] | None) -> tuple[list[str], list[str], str | None]:
    """(global options without --app, the sub-command's options, the --app value) of a celery command."""
    if argv is None:
        return [], [], None
    args = celery_args(SimpleCommand(list(argv))) or []
    sub = celery_subcommand(args)
    index = args.index(sub) if sub in args else len(args)
    app = SimpleCommand(["celery", *args]).option("-A", "--app")
    return without(args[:index], {"-A", "--app"}), without(args[index + 1 :], {"-A", "--app"}), app


def legacy_apps(services: Services) -> list[tuple[str, Evidence]]:
    """The `--app` values the old Celery commands name."""
    out = []
    for command in (services.worker, services.beat, services.flower):
        app = celery_parts(command.argv)[2] if command else None
        if command and app:
            out.append((app, command.evidence))
    return out


def celery_options(services: Services, found: Found) -> tuple[list[str], list[str], list[str], list[str]]:
    """(global options, worker options, beat options, beat options as written) from the old commands."""
    worker_global, worker_after, _ = celery_parts(services.worker.argv if services.worker else None)
    beat_global, beat_after, _ = celery_parts(services.beat.argv if services.beat else None)
    worker = without(worker_after, WORKER_DROP, WORKER_FLAGS) or ["--concurrency", "2", "--loglevel", "INFO"]
    pool = SimpleCommand(["celery", *worker]).option("-P", "--pool")
    if pool in GREEN_POOLS:
        found.note(f"the old worker runs --pool {pool}: celery-unified runs prefork (embedded beat rejects {pool})")
    beat = without(beat_after, BEAT_DROP, {"--detach", "-D"}) or ["--loglevel", "INFO"]
    found.cite("worker", services.worker.evidence if services.worker else None)
    found.cite("beat", services.beat.evidence if services.beat else None)
    return without(worker_global or beat_global, set(), {"--no-color"}), worker, beat, beat_after


def web_command(
    services: Services, legacy: LegacyFacts, wsgi: str, asgi: str | None, packages: frozenset[str], found: Found
) -> tuple[list[str], int]:
    """The web server's argv (bound on 0.0.0.0) and its port: the old command's, else the old images'
    EXPOSE or published port, else the card's 80."""
    words, port = _from_legacy(services.web, found) if services.web else (None, None)
    if words is None:
        if "gunicorn" not in packages and asgi and "uvicorn" in packages:
            words = ["uvicorn", asgi, "--host", "0.0.0.0", "--port", str(DEFAULT_PORT)]
        else:
            if "gunicorn" not in packages:
                found.note("gunicorn is not in the production dependencies: add it, or the web image cannot start")
            words = ["gunicorn", wsgi, "--bind", f"0.0.0.0:{DEFAULT_PORT}", "--workers", "2", "--access-logfile", "-"]
    if port is not None:
        found.cite("web_port", services.web.evidence if services.web else None)
        return words, port
    ports = [p for p, _ in legacy.exposed] + [p for p, _ in legacy.published]
    if not ports:
        found.cite("web_port", Evidence("", 0, f"default {DEFAULT_PORT}"))
        return words, DEFAULT_PORT
    port = Counter(ports).most_common(1)[0][0]
    found.cite("web_port", next(w for p, w in [*legacy.exposed, *legacy.published] if p == port))
    words = [w.replace(f":{DEFAULT_PORT}", f":{port}") if w.startswith("0.0.0.0:") else w for w in words]
    if words[0] == "uvicorn":
        words[-1] = str(port)
    return words, port


def _from_legacy(command: Command, found: Found) -> tuple[list[str] | None, int | None]:
    if posixpath.basename(command.argv[0]) not in WEB_SERVERS:
        return None, None  # `manage.py runserver` is a development server: not carried over
    found.cite("web_command", command.evidence)
    words = [posixpath.basename(command.argv[0])] + [w for w in command.argv[1:] if w != "--reload"]
    simple = SimpleCommand(words)
    if words[0] != "gunicorn":
        number = simple.option("--port", "-p")
        return words, int(number) if number and number.isdigit() else None
    bind = simple.option("-b", "--bind")
    if not bind or ":" not in bind or bind.startswith("unix:"):
        return words, None
    host, _, number = bind.rpartition(":")
    port = int(number) if number.isdigit() else None
    if port and host not in ("0.0.0.0", "", "[::]"):
        words = [w.replace(bind, f"0.0.0.0:{port}") for w in words]
        found.note(f"gunicorn bound to {bind} in {command.evidence}: the image binds 0.0.0.0:{port}")
    return words, port
