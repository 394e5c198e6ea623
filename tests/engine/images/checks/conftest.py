"""Fixture images for the check tests: small, deliberately broken images built once per session.

Each directory under fixtures/ is a build context with a Dockerfile; some build FROM the
reference images (passed as build arguments), the others FROM the local Debian/Python images.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from dockyard.core.settings import load_settings
from dockyard.docker.containers import remove_labelled
from dockyard.images.checks import TargetContext
from dockyard.runtime.helpers import Helpers

FIXTURES = Path(__file__).parent / "fixtures"
RUN_ID = f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def fixture_image(
    docker_client: docker.DockerClient, reference_images: dict[str, str]
) -> Iterator[Callable[[str], str]]:
    """name -> tag of the image built from fixtures/<name> (built on first use)."""
    built: dict[str, str] = {}
    build_args = {"WEB_IMAGE": reference_images["web"], "CELERY_IMAGE": reference_images["celery-unified"]}

    def build(name: str) -> str:
        if name not in built:
            tag = f"dockyard-fixture/{name}:{RUN_ID}"
            argv = ["docker", "buildx", "build", "--load", "--progress=plain", "-t", tag]
            for key, value in build_args.items():
                argv += ["--build-arg", f"{key}={value}"]
            proc = subprocess.run([*argv, str(FIXTURES / name)], capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr[-2000:]
            built[name] = tag
        return built[name]

    yield build
    for tag in built.values():
        try:
            docker_client.images.remove(tag, force=True)
        except docker.errors.APIError:
            pass


@pytest.fixture(scope="session")
def service_pool() -> Iterator[Helpers]:
    """redis and postgres for the runtime checks, started on first use, shared by the session."""
    pool = Helpers({"redis": "dockyard-local/redis:7", "postgres": "dockyard-local/postgres:15"}, run_id=RUN_ID)
    yield pool
    pool.close()
    remove_labelled(RUN_ID)


@pytest.fixture
def context(service_pool: Helpers, reference_images: dict[str, str]) -> Iterator[Callable[..., TargetContext]]:
    """context(image, target="web", **settings) -> a TargetContext, closed after the test."""
    opened: list[TargetContext] = []

    def make(image: str, target: str = "fixture", **overrides: Any) -> TargetContext:
        settings = load_settings({"checks": {target: overrides} if overrides else {}}).checks.for_target(target)
        ctx = TargetContext(
            target=target,
            image=image,
            settings=settings,
            run_id=RUN_ID,
            peers=reference_images,
            helpers=service_pool,
        )
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        ctx.close()


def _reference_context(target: str, image: str, pool: Helpers, peers: dict[str, str]):
    ctx = TargetContext(
        target=target,
        image=image,
        settings=load_settings({}).checks.for_target(target),
        run_id=RUN_ID,
        peers=peers,
        helpers=pool,
    )
    return ctx


@pytest.fixture(scope="session")
def web_context(service_pool: Helpers, reference_images: dict[str, str]) -> Iterator[TargetContext]:
    """The reference web image with the card's budgets; its container starts once per session."""
    ctx = _reference_context("web", reference_images["web"], service_pool, reference_images)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def celery_context(service_pool: Helpers, reference_images: dict[str, str]) -> Iterator[TargetContext]:
    """The reference celery-unified image (with redis and postgres); started once per session."""
    ctx = _reference_context("celery-unified", reference_images["celery-unified"], service_pool, reference_images)
    yield ctx
    ctx.close()
