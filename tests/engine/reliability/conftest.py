"""Runs killed or signalled from outside, each scoped by its own run id, TMPDIR and state dir.

`scope` is one test's world: the run ids it starts share a state dir (so the reaper sees their
records) and a TMPDIR (so a leftover temp dir is found by name). `live_run` is another dockyard
run going on meanwhile (tests/support/live_run.py): whatever reaps must leave it alone.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support.caprover_fixtures import celery_token, fake, web_token  # noqa: F401
from support.git import git
from support.leaks import Leftovers, leftovers, new_run_id, remove_run, run_env

from dockyard.docker.client import client

REPO_ROOT = Path(__file__).resolve().parents[3]
LIVE_IMAGE = "dockyard-local/debian:bookworm"


@dataclass
class Scope:
    root: Path
    state_dir: Path
    tmp: Path
    logs: Path
    run_ids: list[str] = field(default_factory=list)

    def new_run(self) -> str:
        run_id = new_run_id()
        self.run_ids.append(run_id)
        return run_id

    def env(self, run_id: str, **extra: str) -> dict[str, str]:
        return run_env(run_id, self.state_dir, self.tmp, **extra)

    def leftovers(self, run_id: str) -> Leftovers:
        return leftovers(run_id, self.tmp, self.state_dir)


@pytest.fixture
def scope(tmp_path: Path) -> Iterator[Scope]:
    world = Scope(tmp_path, tmp_path / "state", tmp_path / "tmp", tmp_path / "logs")
    for path in (world.state_dir, world.tmp, world.logs):
        path.mkdir()
    yield world
    for run_id in world.run_ids:  # only after a failed test is there anything left to remove
        remove_run(run_id)


@dataclass
class LiveRun:
    run_id: str
    made: dict[str, str]
    proc: subprocess.Popen

    def intact(self) -> list[str]:
        """What of the live run is missing (empty: all there)."""
        engine, missing = client(), []
        checks = {
            "container": lambda: engine.containers.get(self.made["container"]),
            "network": lambda: engine.networks.get(self.made["network"]),
            "volume": lambda: engine.volumes.get(self.made["volume"]),
            "tag": lambda: engine.images.get(self.made["tag"]),
        }
        for kind, get in checks.items():
            try:
                get()
            except Exception:  # noqa: BLE001 - NotFound, ImageNotFound: gone
                missing.append(f"{kind} {self.made[kind]}")
        if not Path(self.made["tempdir"]).is_dir():
            missing.append(f"tempdir {self.made['tempdir']}")
        return missing


@pytest.fixture
def live_run(scope: Scope) -> Iterator[LiveRun]:
    """Another run, alive for the whole test, with a container, network, volume, tag and temp dir."""
    try:
        client().images.get(LIVE_IMAGE)
    except Exception:  # noqa: BLE001
        pytest.skip(f"{LIVE_IMAGE} is missing: run invoke base.bootstrap")
    run_id = scope.new_run()
    proc = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "tests" / "support" / "live_run.py"), LIVE_IMAGE],
        env=scope.env(run_id),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    line = proc.stdout.readline()
    assert line.startswith("ready "), line + proc.stderr.read() if proc.stderr else line
    live = LiveRun(run_id, json.loads(line.split(" ", 1)[1]), proc)
    yield live
    out, err = proc.communicate(timeout=120)  # closes its stdin: the live run cleans up and ends
    assert "cleaned" in out, err[-2000:]
    assert not scope.leftovers(run_id), scope.leftovers(run_id).describe()


@pytest.fixture(scope="module")
def site_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository with what a clone of dockyard holds for `nox -s images` and `invoke bench`:
    the package, the site, the deployment, the noxfile and tasks.py, and the sample projects that
    `[tool.dockyard.bench] projects` names (the bench refuses to start without them), all tracked."""
    dest = tmp_path_factory.mktemp("site") / "repo"
    dest.mkdir()
    wanted = ["app", "deployment", "src", "bench", "tests/samples", "pyproject.toml", "noxfile.py", "tasks.py",
              "README.md", ".dockerignore", ".gitignore"]
    listed = git(REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *wanted)
    for rel in filter(None, listed.split("\0")):
        src = REPO_ROOT / rel
        if src.is_file() and not rel.startswith("bench/results/"):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "copy")
    return dest
