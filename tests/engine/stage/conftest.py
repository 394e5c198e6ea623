"""A stage shaped like CapRover on the shared engine, for one test module: a project directory of its
own (tuned to be quick: a 5 s update monitor, a never-healthy task called unhealthy in about 21 s),
the reference images pushed under a registry namespace unique to the run, and always, afterwards,
`stage.down` (which leaves the swarm stage.up initialised) and the namespace removed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.registry import registry_or_skip, remove_namespace, unique_namespace

from dockyard.core.project import Project, find_project
from dockyard.deploy.registry import Registry
from dockyard.docker import swarm
from dockyard.docker.client import client
from dockyard.stage import lifecycle
from dockyard.stage.state import StageState

REPO_ROOT = Path(__file__).resolve().parents[3]


def pyproject(namespace: str, name: str) -> str:
    return f"""[project]
name = "dockyard-stage-test"
version = "0"

[tool.dockyard]
compose_file = "{REPO_ROOT}/deployment/docker-compose.test.yml"
bake_file = "{REPO_ROOT}/deployment/docker-bake.multistage.hcl"

[tool.dockyard.services.web]
target = "web"
image = "dockyard.local/refsite-web"
app = "refsite-web"
role = "web"

[tool.dockyard.services.celery-unified]
target = "celery-unified"
image = "dockyard.local/refsite-celery"
app = "refsite-celery"
role = "worker"

[tool.dockyard.services.postgres]
role = "database"

[tool.dockyard.services.redis]
role = "broker"

[tool.dockyard.registry]
namespace = "{namespace}"
cache_tag = ""

[tool.dockyard.stage]
name = "{name}"
update_monitor = 5
health_start_period = 15
health_interval = 2
health_retries = 3
timeout = 180
max_seconds = 150
"""


@dataclass
class Stage:
    project: Project
    registry: Registry
    state: StageState
    tag: str  # the SHA-like tag it came up with
    namespace: str


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory, reference_images: dict[str, str]) -> Iterator[Stage]:
    namespace = unique_namespace("dockyard-stage-test")
    registry = registry_or_skip(namespace)
    root = tmp_path_factory.mktemp("stage-site")
    (root / "pyproject.toml").write_text(pyproject(namespace, f"dyt-{uuid.uuid4().hex[:6]}"), encoding="utf-8")
    project = find_project(root)
    tag = uuid.uuid4().hex[:12]
    local = {"web": "dockyard.local/refsite-web", "celery-unified": "dockyard.local/refsite-celery"}
    for service, target in (("web", "web"), ("celery-unified", "celery-unified")):
        client().images.get(reference_images[target]).tag(local[service], tag=tag)
    lifecycle.ensure_proxy_image(project.settings.stage.proxy_image)
    was_active = swarm.node_state() == "active"
    try:
        state = lifecycle.up(project, registry, tag, None)
        yield Stage(project, registry, state, tag, namespace)
    finally:
        lifecycle.down(project)
        if not was_active:
            assert swarm.node_state() == "inactive", "stage.down left the swarm it initialised"
        for repo in local.values():
            try:
                client().images.remove(f"{repo}:{tag}")
            except Exception:  # noqa: BLE001 - cleanup goes on
                pass
        remove_namespace(registry, namespace, ["refsite-web", "refsite-celery"])
