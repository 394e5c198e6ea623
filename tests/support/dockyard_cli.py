"""Run dockyard's Invoke tasks as a user would: another process, a throw-away project directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def write_project(
    root: Path, caprover: str = "", extra: str = "", services: dict[str, dict[str, str]] | None = None
) -> Path:
    """A project directory whose pyproject.toml holds these `[tool.dockyard.caprover]` lines and,
    when given, `[tool.dockyard.services.NAME]` tables (else the card's default services)."""
    root.mkdir(parents=True, exist_ok=True)
    tables = "".join(
        f"[tool.dockyard.services.{name}]\n" + "".join(f'{key} = "{value}"\n' for key, value in fields.items()) + "\n"
        for name, fields in (services or {}).items()
    )
    (root / "pyproject.toml").write_text(
        "[project]\nname = 'dockyard-test-site'\nversion = '0'\n\n"
        f"[tool.dockyard]\n{extra}\n\n{tables}[tool.dockyard.caprover]\n{caprover}\n",
        encoding="utf-8",
    )
    return root


def clean_env(**overrides: str) -> dict[str, str]:
    """os.environ without CapRover/proxy settings that could leak in, plus `overrides`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CAPROVER_")
        and k.lower() not in ("http_proxy", "https_proxy", "no_proxy")
    }
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    # no registry answers here (port 9 is closed): tests that want the real one say so
    env["DOCKYARD_REGISTRY"] = "127.0.0.1:9"
    env.update(overrides)
    return env


def invoke(
    project: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str = "",
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`invoke ARGS` for `project` (DOCKYARD_ROOT), with the repository's tasks.py."""
    run_env = dict(env if env is not None else clean_env())
    run_env["DOCKYARD_ROOT"] = str(project)
    return subprocess.run(
        [sys.executable, "-m", "invoke", "--search-root", str(REPO_ROOT), *args],
        cwd=project,
        env=run_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
