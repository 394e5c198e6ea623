"""Fixtures over the real Docker Engine: the reference images, built once per test session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import docker
import docker.errors
import pytest

from dockyard.build.runner import BuildRequest, BuildResult, run_build
from dockyard.core.project import Project, find_project
from dockyard.docker.client import client

RUN_ID = uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    return client()


@pytest.fixture(scope="session")
def project() -> Project:
    return find_project()


@pytest.fixture(scope="session")
def reference_build(project: Project, docker_client: docker.DockerClient) -> Iterator[BuildResult]:
    """web, celery-unified, flower and test built from the working tree under tags unique to this run."""
    tag = f"pytest-{RUN_ID}"
    result = run_build(project, BuildRequest(names=["production", "test"], variables={"TAG": tag}))
    yield result
    for target in result.targets:
        try:
            docker_client.images.remove(target.tag, noprune=False)
        except docker.errors.APIError:
            pass


@pytest.fixture(scope="session")
def reference_images(reference_build: BuildResult) -> dict[str, str]:
    """bake target name -> image tag, e.g. {"web": "dockyard.local/refsite-web:pytest-1a2b3c4d", ...}."""
    return {t.target: t.tag for t in reference_build.targets}
