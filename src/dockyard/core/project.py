"""Locate the project and read its `[tool.dockyard]` settings (the only file I/O in core)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.core.errors import ConfigError
from dockyard.core.files import read_text
from dockyard.core.settings import Settings, load_settings, toml_repr


class ProjectNotFound(ConfigError):
    """No pyproject.toml at or above the directory."""


@dataclass(frozen=True)
class Project:
    root: Path
    settings: Settings = field(default_factory=Settings)

    def path(self, key: str) -> Path:
        """A configured path (`bake_file`, `dockerfile`, `compose_file`), resolved against the root."""
        return self.root / str(getattr(self.settings, key))


def find_project(start: Path | None = None) -> Project:
    """The nearest directory at or above `start` (or $DOCKYARD_ROOT) holding a pyproject.toml."""
    env_root = os.environ.get("DOCKYARD_ROOT")
    here = Path(env_root) if env_root else (start or Path.cwd())
    for candidate in (here, *here.resolve().parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            return Project(root=candidate.resolve(), settings=load_settings(read_config(pyproject)))
    raise ProjectNotFound(f"no pyproject.toml at or above {here}: run dockyard from the project directory")


def read_config(pyproject: Path) -> dict[str, Any]:
    """The raw `[tool.dockyard]` table of `pyproject` ({} when there is none)."""
    try:
        data = tomllib.loads(read_text(pyproject))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: not valid TOML ({exc})") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{pyproject}: [tool] must be a table, got tool = {toml_repr(tool)}")
    dockyard = tool.get("dockyard", {})
    if not isinstance(dockyard, dict):
        raise ConfigError(f"{pyproject}: [tool.dockyard] must be a table, got {toml_repr(dockyard)}")
    return dockyard
