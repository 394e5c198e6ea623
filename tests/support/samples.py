"""Copies of the sample projects (tests/samples/) as init finds them before migrating: the
hand-written deployment/ removed and [tool.dockyard] taken out of pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

import tomlkit

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
REPO_ROOT = Path(__file__).resolve().parents[2]


def strip_tool_dockyard(pyproject: Path) -> None:
    document = tomlkit.parse(pyproject.read_text(encoding="utf-8"))
    tool = document.get("tool")
    if tool is not None and "dockyard" in tool:
        del tool["dockyard"]
    pyproject.write_text(tomlkit.dumps(document), encoding="utf-8")


def pre_migration_copy(name: str, destination: Path) -> Path:
    """tests/samples/NAME copied to destination/NAME, without deployment/ and [tool.dockyard]."""
    target = destination / name
    shutil.copytree(SAMPLES / name, target, ignore=shutil.ignore_patterns("deployment", "__pycache__", "node_modules"))
    strip_tool_dockyard(target / "pyproject.toml")
    return target


def reference_copy(destination: Path, with_deployment: bool = False) -> Path:
    """The reference site as its own repository: app/, the .dockerignore and the pyproject.toml
    (without [tool.dockyard]); with_deployment keeps the hand-written deployment/ (and its table)."""
    target = destination / "refsite"
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("node_modules", "staticfiles", "dist", "__pycache__", "*.sqlite3")
    shutil.copytree(REPO_ROOT / "app", target / "app", ignore=ignore)
    shutil.copy2(REPO_ROOT / ".dockerignore", target / ".dockerignore")
    shutil.copy2(REPO_ROOT / "pyproject.toml", target / "pyproject.toml")
    if with_deployment:
        shutil.copytree(
            REPO_ROOT / "deployment", target / "deployment", ignore=shutil.ignore_patterns("local-images", "host")
        )
        (target / "tasks.py").write_text("from dockyard.tasks import ns  # noqa: F401\n", encoding="utf-8")
    else:
        strip_tool_dockyard(target / "pyproject.toml")
    return target
