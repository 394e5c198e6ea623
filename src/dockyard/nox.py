"""Nox sessions for a project that uses dockyard: a noxfile of two lines.

    # noxfile.py
    import dockyard.nox

    dockyard.nox.sessions()          # images and lint; sessions("images") for one

`nox -s images` then builds every image from the tracked files and runs the image checks
(`python -m dockyard.images_run`), `nox -s lint` lints deployment/ (`python -m dockyard.lint`).
By default they run in the Python nox itself runs in (which has dockyard, since the noxfile
imported it): no virtualenv is made. With `install="dockyard @ git+https://..."` each session
makes its own virtualenv with that requirement instead (kept between runs: reuse_venv).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import nox

COMMANDS = {
    "images": ("dockyard.images_run", "Build every image from the tracked files and run the image checks."),
    "lint": ("dockyard.lint", "Lint deployment/: the Dockerfile, the bake file and the compose file."),
}


def sessions(*names: str, install: str | None = None) -> dict[str, Callable[[nox.Session], None]]:
    """Register the named sessions (default: all of COMMANDS) with nox; returns them by name."""
    unknown = [n for n in names if n not in COMMANDS]
    if unknown:
        raise ValueError(f"no dockyard session {unknown[0]!r} (known: {', '.join(COMMANDS)})")
    made = {}
    for name in names or tuple(COMMANDS):
        made[name] = _register(name, install)
    return made


def _register(name: str, install: str | None) -> Callable[[nox.Session], None]:
    module, doc = COMMANDS[name]

    def session(session: nox.Session) -> None:
        if install is None:
            session.run(sys.executable, "-m", module, *session.posargs, external=True)
        else:
            session.install(install)
            session.run("python", "-m", module, *session.posargs)

    session.__doc__ = doc + " (-- --help for its options)"
    session.__name__ = name
    options = {"python": False} if install is None else {"reuse_venv": True}
    return nox.session(name=name, **options)(session)
