"""Nox sessions. `nox` runs what CI runs before a deploy: lint, tests, images.

nox -l                      list the sessions
nox -s images -- web        check one target (any bake target or group)
nox -s tests -- -m "not engine"
"""

from __future__ import annotations

import hashlib
import json
import signal
from pathlib import Path

import nox

nox.needs_version = ">=2025.02.09"
nox.options.reuse_venv = "yes"  # warm runs skip the install; CI starts from a fresh clone anyway

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# nox stops a session's command on Ctrl-C (wait, SIGTERM, SIGKILL); let SIGTERM and SIGHUP (a CI
# timeout, a closed terminal) take the same path instead of killing nox and orphaning the command.
signal.signal(signal.SIGTERM, _interrupt)
signal.signal(signal.SIGHUP, _interrupt)
# How long a command gets to clean up once nox was interrupted: first `interrupt`, then SIGTERM
# (dockyard's entry points clean up on either) and `terminate` more before SIGKILL.
CLEANUP_SECONDS = {"interrupt_timeout": 5, "terminate_timeout": 120}


def install(session: nox.Session, *groups: str) -> None:
    """dockyard itself (editable) plus the named [dependency-groups] of pyproject.toml.

    Skipped when the kept virtualenv already holds exactly that (same requirements, same
    pyproject.toml, installed from this very checkout): dockyard is installed editable, so its code
    is always current, and pip's ~5 s of checking what is already there is the largest part of a
    warm `nox -s images`. A virtualenv shared by several checkouts (`--envdir`) is reinstalled when
    the checkout changes, as its editable install points at the other one."""
    requirements = [*nox.project.dependency_groups(PYPROJECT, *groups), "-e", "."]
    stamp = Path(session.virtualenv.location) / "dockyard-installed.json"
    wanted = json.dumps(
        {
            "requirements": requirements,
            "pyproject": hashlib.sha256(Path("pyproject.toml").read_bytes()).hexdigest(),
            "checkout": str(Path.cwd().resolve()),
        }
    )
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        session.log("dockyard and its requirements are installed already (pyproject.toml unchanged)")
        return
    session.install(*requirements)
    stamp.write_text(wanted, encoding="utf-8")


@nox.session
def lint(session: nox.Session) -> None:
    """Lint the Python code (ruff) and deployment/ (invoke lint)."""
    install(session, "lint")
    session.run("ruff", "check", *(session.posargs or ["."]))
    session.run("python", "-m", "dockyard.lint")


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite with pytest (unit tests and tests against the Docker Engine)."""
    install(session, "test")
    session.run("pytest", *session.posargs)


@nox.session
def images(session: nox.Session) -> None:
    """Build every image from the tracked files and run the image checks (-- TARGET for one)."""
    install(session)
    session.run("python", "-m", "dockyard.images_run", *session.posargs, **CLEANUP_SECONDS)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Run the benchmarks (bench/run.py) and print their figures."""
    if not Path("bench/run.py").is_file():
        session.skip("bench/run.py does not exist yet")
    install(session)
    session.run("python", "bench/run.py", *session.posargs, **CLEANUP_SECONDS)


if __name__ == "__main__":
    nox.main()
