"""Locate the project and read its `[tool.dockyard]` configuration."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.core.errors import ConfigError

# Defaults for the top-level keys; each feature module keeps the defaults of
# its own sub-table next to the code that uses them.
DEFAULTS: dict[str, Any] = {
    "bake_file": "deployment/docker-bake.multistage.hcl",
    "dockerfile": "deployment/Dockerfile.multistage",
    "compose_file": "deployment/docker-compose.test.yml",
    "base_image": "python:3.11-slim-bookworm",
    "local_base_image": "dockyard-local/python:3.11-bookworm",
}


@dataclass(frozen=True)
class Project:
    root: Path
    config: dict[str, Any] = field(default_factory=dict)

    def get(self, dotted_key: str, default: Any = None) -> Any:
        """`get("checks.image_size_mb")` reads `[tool.dockyard.checks] image_size_mb`."""
        node: Any = self.config
        for part in dotted_key.split("."):
            if not isinstance(node, dict) or part not in node:
                return DEFAULTS.get(dotted_key, default)
            node = node[part]
        return node

    def section(self, name: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
        """A sub-table merged over its defaults."""
        merged = dict(defaults or {})
        value = self.config.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"[tool.dockyard.{name}] in pyproject.toml must be a table")
        merged.update(value)
        return merged

    def path(self, key: str) -> Path:
        """A configured path, resolved against the project root."""
        return self.root / str(self.get(key))


def find_project(start: Path | None = None) -> Project:
    """The nearest directory at or above `start` (or $DOCKYARD_ROOT) holding a pyproject.toml."""
    env_root = os.environ.get("DOCKYARD_ROOT")
    here = Path(env_root) if env_root else (start or Path.cwd())
    for candidate in (here, *here.resolve().parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            return Project(root=candidate.resolve(), config=load_config(pyproject))
    raise ConfigError(f"no pyproject.toml at or above {here}: run dockyard from the project directory")


def load_config(pyproject: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: not valid TOML ({exc})") from None
    return data.get("tool", {}).get("dockyard", {})
