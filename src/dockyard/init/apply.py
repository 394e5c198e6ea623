"""Carry out a plan: the only place init writes files.

Old files are archived (copied) before anything is replaced; each file is written to a temporary
name beside it and renamed into place, so an interrupted run leaves either the old or the new file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from dockyard.core.errors import ConfigError
from dockyard.init.plan import Plan


def apply(plan: Plan, root: Path) -> list[str]:
    """Write every action of `plan` under `root`; returns the paths written (archives included)."""
    if plan.blocked:
        raise ConfigError(f"{plan.blocked}; nothing was written")
    written: list[str] = []
    for action in plan.writes:  # archive first: nothing is replaced before its copy exists
        if action.archive:
            target = root / action.archive
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root / action.path, target)
            except OSError as exc:
                raise ConfigError(f"cannot archive {action.path} to {action.archive}: {exc.strerror or exc}") from None
            written.append(action.archive)
    for action in plan.writes:
        path = root / action.path
        try:
            if action.kind == "append":
                with open(path, "a", encoding="utf-8") as handle:
                    handle.write(action.text or "")
            else:
                _write_atomically(path, action.text or "", action.mode)
        except OSError as exc:
            raise ConfigError(f"cannot write {action.path}: {exc.strerror or exc}") from None
        written.append(action.path)
    return written


def _write_atomically(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
