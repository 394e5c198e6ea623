"""Fault cases that need the real Docker Engine (marker `engine`, see tests/conftest.py).

Everything these tests create names the sandbox's run id or a repository unique to the session
(`dockyard-faults-<id>/...`) and is removed afterwards; nothing else on the shared engine is touched.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator

import pytest
from faults.harness import REPO_ROOT, docker_client, image_ids, remove_images
from support.registry import registry_or_skip, remove_namespace

SESSION = uuid.uuid4().hex[:8]
REFERENCE_IMAGES = ("dockyard.local/refsite-web:latest", "dockyard.local/refsite-celery:latest")


@pytest.fixture
def uses_engine() -> bool:
    return True


@pytest.fixture(scope="session")
def faults_repository() -> Iterator[str]:
    """A repository prefix unique to this session; every tag under it is removed at the end."""
    prefix = f"dockyard-faults-{SESSION}"
    yield prefix
    remove_images(prefix + "/")


@pytest.fixture(scope="session")
def tiny_image(faults_repository: str) -> Iterator[str]:
    """A one-file image made with `docker import` (no build, no BuildKit), pushed to the loopback
    registry as `deploy --tag` names it (CapRover pulls): something to deploy and roll back to."""
    registry = registry_or_skip()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = f"dockyard fault suite {SESSION}\n".encode()
        info = tarfile.TarInfo("dockyard-faults")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    repository = f"{registry.host}/{faults_repository}/deploy"
    api = docker_client().api
    api.import_image_from_data(buffer.getvalue(), repository=repository, tag="abc1234")
    try:
        for sha in ("abc1234", "0000aaaa", "0000bbbb"):  # 0000...: the "earlier deploys" a rollback goes back to
            api.tag(f"{repository}:abc1234", repository, sha)
            failed = [line for line in api.push(repository, tag=sha, stream=True, decode=True) if "error" in line]
            assert not failed, failed
        yield f"{repository}:abc1234"
    finally:
        remove_namespace(registry, faults_repository, ["deploy"])


@pytest.fixture(scope="session")
def reference_images() -> dict[str, str]:
    """The reference site's images as `invoke build.essential` tags them: reused when present (the
    engine tests and `invoke build.essential` make them), else built once with that task."""
    if any(image is None for image in image_ids(REFERENCE_IMAGES).values()):
        proc = subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(REPO_ROOT), "build.essential",
                               "--progress", "plain"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0:
            pytest.fail(f"invoke build.essential failed: {(proc.stderr or proc.stdout)[-2000:]}")
    return {"web": REFERENCE_IMAGES[0], "celery-unified": REFERENCE_IMAGES[1]}


TINY_DOCKERFILE = """\
# The reference Dockerfile's stage names over a local base image, with no steps that run anything:
# a build takes a second and touches no shared image.
ARG BASE_IMAGE=dockyard-local/debian:bookworm
FROM ${{BASE_IMAGE}} AS base
FROM base AS builder
LABEL dockyard.faults.stage=builder
FROM base AS runtime-full
LABEL dockyard.faults.run={run_id}
# runs until stopped and stays "starting" for two minutes: a check that waits for healthy waits
HEALTHCHECK --interval=30s --start-period=120s CMD false
CMD ["sleep", "300"]
FROM base AS runtime-minimal
LABEL dockyard.faults.stage=runtime-minimal
FROM runtime-full AS celery-unified
LABEL dockyard.faults.stage=celery-unified
FROM builder AS test
LABEL dockyard.faults.stage=test
"""


@pytest.fixture
def tiny_project(sandbox):  # noqa: ANN001, ANN201
    """The sandbox with a Dockerfile that builds in a second, and every image tag under a registry
    name unique to the sandbox (REGISTRY=dockyard-faults-<run id>), removed afterwards."""
    registry = f"dockyard-faults-{sandbox.run_id}"
    sandbox.write("deployment/Dockerfile.multistage", TINY_DOCKERFILE.format(run_id=sandbox.run_id))
    sandbox.env["REGISTRY"] = registry
    sandbox.on_close(lambda: remove_images(registry + "/"))
    sandbox.commit("a tiny Dockerfile")
    sandbox.settle()
    return registry
