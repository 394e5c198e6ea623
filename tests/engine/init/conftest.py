"""Engine fixtures for init: pre-migration copies of the samples run through `dockyard init --yes`,
their images built with dockyard's own build task, a compose stack started from the file init wrote.

Everything this run creates carries the label dockyard.test.init=<run id> (compose services,
networks and volumes through an override file) or the tag init-<run id>, and is removed afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import pytest
import yaml
from support.git import git
from support.samples import pre_migration_copy, reference_copy

from dockyard.docker.client import client

RUN_ID = uuid.uuid4().hex[:8]
TAG = f"init-{RUN_ID}"
LABEL = "dockyard.test.init"
STAND_INS = {"POSTGRES_IMAGE": "dockyard-local/postgres:15", "REDIS_IMAGE": "dockyard-local/redis:7"}
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DOCKYARD_ROOT" and not k.startswith("CAPROVER_")}
    env.update({"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"})
    if Path(CA_BUNDLE).is_file():
        env.setdefault("DOCKYARD_CA_CERTS", CA_BUNDLE)
    env.update(extra)
    return env


def run(argv: list[str], cwd: Path, timeout: float = 1200, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=environment(**extra), capture_output=True, text=True, timeout=timeout)


def tail(proc: subprocess.CompletedProcess[str], lines: int = 25) -> str:
    return "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-lines:])


@dataclass
class Migrated:
    """A repository after `dockyard init --yes`, with its essential images built."""

    name: str
    root: Path
    images: dict[str, str]  # bake target -> tag
    init_output: str


def initialise(root: Path) -> str:
    git(root, "init", "-q")  # nox -s images builds from tracked files
    proc = run([sys.executable, "-m", "dockyard", "init", "--yes"], root)
    assert proc.returncode == 0, tail(proc)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "dockyard init")
    return proc.stdout


def build(root: Path, group: str = "essential", tag: str = TAG) -> dict[str, str]:
    """`invoke build.GROUP` with the tasks.py init wrote; bake target -> image tag."""
    proc = run([sys.executable, "-m", "invoke", f"build.{group}", "--tag", tag, "--json"], root)
    assert proc.returncode == 0, tail(proc)
    result = json.loads(proc.stdout)
    return {t["target"]: t["tag"] for t in result["targets"]}


def remove_images(tags: Iterator[str] | list[str]) -> None:
    engine = client()
    for tag in tags:
        try:
            engine.images.remove(tag)
        except docker.errors.APIError:
            pass


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    return client()


@pytest.fixture(scope="session")
def init_workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("init-engine")


def _migrated(name: str, workspace: Path) -> Iterator[Migrated]:
    root = reference_copy(workspace) if name == "refsite" else pre_migration_copy(name, workspace)
    output = initialise(root)
    images: dict[str, str] = {}
    try:
        images = build(root)
        yield Migrated(name, root, images, output)
    finally:
        remove_images(list(images.values()))


@pytest.fixture(scope="session")
def ledger_migrated(init_workspace) -> Iterator[Migrated]:
    yield from _migrated("ledger", init_workspace)


@pytest.fixture(scope="session")
def kanban_migrated(init_workspace) -> Iterator[Migrated]:
    yield from _migrated("kanban", init_workspace)


@pytest.fixture(scope="session")
def refsite_migrated(init_workspace) -> Iterator[Migrated]:
    yield from _migrated("refsite", init_workspace)


@contextmanager
def compose_stack(migrated: Migrated) -> Iterator[tuple[str, list]]:
    """The compose test stack init wrote, up and healthy (`up --wait`), labelled for this run; down after."""
    compose_file = migrated.root / "deployment" / "docker-compose.test.yml"
    services = yaml.safe_load(compose_file.read_text())["services"]
    override = migrated.root / ".dockyard" / f"labels-{RUN_ID}.yml"
    override.parent.mkdir(exist_ok=True)
    override.write_text(
        yaml.safe_dump(
            {
                "services": {name: {"labels": {LABEL: RUN_ID}} for name in services},
                "networks": {"default": {"labels": {LABEL: RUN_ID}}},
            }
        )
    )
    project = f"dockyard-init-{RUN_ID}-{migrated.name}"
    base = ["docker", "compose", "-p", project, "-f", str(compose_file), "-f", str(override)]
    variables = {"WEB_IMAGE": migrated.images["web"], "CELERY_IMAGE": migrated.images["celery-unified"], **STAND_INS}
    try:
        up = run([*base, "up", "-d", "--wait", "--wait-timeout", "240"], migrated.root, timeout=400, **variables)
        containers = client().containers.list(all=True, filters={"label": f"{LABEL}={RUN_ID}"})
        containers = [c for c in containers if c.labels.get("com.docker.compose.project") == project]
        yield tail(up), containers
    finally:
        run([*base, "down", "-v", "--remove-orphans", "-t", "5"], migrated.root, timeout=300, **variables)
