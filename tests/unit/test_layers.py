"""The folders are the layers, and arrows only point down (docs/architecture.md).

Every `import` in src/dockyard (inside functions too) is checked against what its package may use;
the outside systems each have one owner: the Docker SDK and the docker/git CLIs are reached only
through dockyard.docker, the Dockerfile parser only through dockyard.dockerfile, and only
dockyard.cli talks to people (invoke, argparse, rich, print).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "dockyard"

BASE = {"core"}
# package -> the dockyard packages it may import (itself included)
MAY_USE = {
    "core": BASE,
    "docker": BASE | {"docker"},
    "dockerfile": BASE | {"docker", "dockerfile"},
    "build": BASE | {"docker", "dockerfile", "build"},
    "runtime": BASE | {"docker", "dockerfile", "build", "runtime"},
    "images": BASE | {"docker", "dockerfile", "build", "runtime", "images"},
    "diagnose": BASE | {"docker", "dockerfile", "build", "runtime", "diagnose"},
    "deploy": BASE | {"docker", "dockerfile", "build", "deploy"},
    "prune": BASE | {"docker", "build", "deploy", "prune"},
    "stage": BASE | {"docker", "dockerfile", "build", "runtime", "deploy", "stage"},
    "lint": BASE | {"docker", "dockerfile", "lint"},
    "bench": BASE | {"docker", "dockerfile", "build", "runtime", "images", "bench"},
    "init": BASE | {"dockerfile", "lint", "init"},
    "cli": None,  # the top: anything
}
# outside libraries -> the only packages that import them
OWNERS = {
    "docker": {"docker"},  # the Docker SDK (`import dockerfile` is another library)
    "requests": {"docker"},
    "dockerfile": {"dockerfile"},
    "hcl2": {"dockerfile"},
    "invoke": {"cli"},
    "argparse": {"cli"},
    "rich": {"cli"},
}
TOP_LEVEL = {
    "__init__.py": set(),
    "__main__.py": {"cli"},
    "tasks.py": {"cli"},
    "images_run.py": {"cli"},
    "nox.py": set(),  # dockyard.nox: sessions that run `python -m dockyard...`, nothing imported
}


def modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def package_of(path: Path) -> str | None:
    relative = path.relative_to(SRC)
    return relative.parts[0] if len(relative.parts) > 1 else None


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down_and_outside_systems_have_one_owner(path: Path) -> None:
    package = package_of(path)
    allowed = TOP_LEVEL[path.name] if package is None else MAY_USE[package]
    if path.name == "__main__.py":  # `python -m dockyard.X`: an entry point, a shim over dockyard.cli
        allowed = None
    wrong = []
    for name in imports(path):
        parts = name.split(".")
        if parts[0] == "dockyard" and len(parts) > 1 and allowed is not None:
            target = parts[1]
            if (SRC / target).is_dir() and target not in allowed:
                wrong.append(name)
        owners = OWNERS.get(parts[0])
        if owners is not None and package not in owners:
            wrong.append(name)
    assert wrong == [], f"{path.relative_to(SRC)} may not import {', '.join(wrong)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_only_the_cli_prints(path: Path) -> None:
    if package_of(path) == "cli":
        return
    calls = [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    ]
    assert calls == [], f"{path.relative_to(SRC)} prints on line(s) {calls}"
