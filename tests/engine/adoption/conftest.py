"""The adoption flow of docs/adopting.md on a fresh copy of each sample project.

How: each sample (tests/samples/ledger, tests/samples/kanban) is copied to a temporary directory
and made a git repository of its own; dockyard is installed there as a user would, with
`python -m venv .venv` and a non-editable `pip install` of this checkout; tasks.py and
noxfile.py are written as the doc says; every step then runs through the real entry points
(`.venv/bin/invoke ...`, `.venv/bin/nox -s images`) with the copy as the working directory.
So the wheel's package data, the console scripts and `dockyard.nox` are what is tested, not the
checkout's source tree.

The flows of one sample share its fixtures (module scope): one install, one bootstrap, one pair
of builds, one `nox -s images`, one kept stack for troubleshoot.beat. How long each took goes to
.dockyard/reports/adoption-timings.json and the end of the test session's output.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from support.adoption import NOXFILE_PY, ROOT, SAMPLES, TASKS_PY, TIMINGS, TIMINGS_FILE, Adopted, explain
from support.git import git


@pytest.fixture(scope="module", params=["ledger", "kanban"])
def adopted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Adopted]:
    """docs/adopting.md steps 1, 2 and 4 on a fresh copy of the sample."""
    name = request.param
    root = tmp_path_factory.mktemp(f"adopt-{name}") / name
    shutil.copytree(SAMPLES / name, root, ignore=shutil.ignore_patterns(".dockyard", "__pycache__", ".venv"))
    (root / "tasks.py").write_text(TASKS_PY)
    (root / "noxfile.py").write_text(NOXFILE_PY)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the sample, with dockyard's tasks.py and noxfile.py")
    project = Adopted(name, root)
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(root / ".venv")], check=True, timeout=120)
    install = subprocess.run(
        [str(root / ".venv" / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, explain(install)
    project.record("pip install", time.monotonic() - start)
    bootstrap = project.run("invoke", "base.bootstrap", timing="invoke base.bootstrap", timeout=900)
    assert bootstrap.returncode == 0, explain(bootstrap)
    yield project


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 - pytest's hook
    if not TIMINGS:
        return
    TIMINGS_FILE.parent.mkdir(parents=True, exist_ok=True)
    TIMINGS_FILE.write_text(json.dumps(TIMINGS, indent=2) + "\n")
    terminalreporter.section("adoption flows: seconds per step")
    for sample, steps in TIMINGS.items():
        terminalreporter.write_line(f"{sample}: " + ", ".join(f"{k} {v:.1f}" for k, v in steps.items()))
