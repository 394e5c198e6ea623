"""Temporary directories of a run: named after it, listed in its record, removed however it ends.

    with run_tempdir("context") as path:    # /tmp/dockyard-context-1a2b3c4d-k3j2h1/
        ...

The name carries the run id, the run's record lists the path while it exists (so the reaper
finds it after a kill), and the directory goes on leaving the block: normally, on an error, on
Ctrl-C, SIGTERM or SIGHUP (the removal is shielded from a second signal).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dockyard.core import run_record
from dockyard.core.run import run_id
from dockyard.core.signals import shield

PREFIX = "dockyard-"


def tempdir_prefix(kind: str, run: str | None = None) -> str:
    """`dockyard-<kind>-<run id>-`: what every temp dir of the run starts with."""
    return f"{PREFIX}{kind}-{run or run_id()}-"


def belongs_to(path: Path, run: str) -> bool:
    """Is `path` named like a temp dir of `run` (the reaper removes nothing else a record lists)?"""
    name = path.name
    return name.startswith(PREFIX) and f"-{run}-" in name and not path.is_symlink()


def _new_dir(kind: str, parent: Path | None) -> Path:
    """Listed in the record first, then made: a kill in between leaves nothing unlisted."""
    base = Path(parent or tempfile.gettempdir())
    for _ in range(100):
        path = base / f"{tempdir_prefix(kind)}{secrets.token_hex(4)}"
        run_record.note_tempdir(path)
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            run_record.forget_tempdir(path)
            continue
        except OSError:
            run_record.forget_tempdir(path)
            raise
        return path
    raise FileExistsError(f"no free temporary directory name under {base}")


@contextmanager
def run_tempdir(kind: str, parent: Path | None = None) -> Iterator[Path]:
    """A new directory `dockyard-<kind>-<run id>-XXXX` (under $TMPDIR or `parent`), removed on exit."""
    path = _new_dir(kind, parent)
    try:
        yield path
    finally:
        with shield():
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                run_record.forget_tempdir(path)
