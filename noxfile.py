"""Nox sessions. `nox` runs what CI runs before a deploy: lint, tests, images.

nox -l                      list the sessions
nox -s images -- web        check one target (any bake target or group)
nox -s tests -- -m "not engine"
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.needs_version = ">=2025.02.09"
nox.options.reuse_venv = "yes"  # warm runs skip the install; CI starts from a fresh clone anyway

PYPROJECT = nox.project.load_toml("pyproject.toml")


def install(session: nox.Session, *groups: str) -> None:
    """dockyard itself (editable) plus the named [dependency-groups] of pyproject.toml."""
    session.install(*nox.project.dependency_groups(PYPROJECT, *groups), "-e", ".")


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
    session.run("python", "-m", "dockyard.images_run", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Run the benchmarks (bench/run.py) and print their figures."""
    if not Path("bench/run.py").is_file():
        session.skip("bench/run.py does not exist yet")
    install(session)
    session.run("python", "bench/run.py", *session.posargs)


if __name__ == "__main__":
    nox.main()
