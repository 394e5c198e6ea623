"""Fixture images (fixtures/*/Dockerfile, FROM dockyard-local/debian:bookworm) and a celery setup
shared by the troubleshoot tests: built/started once per session, removed afterwards."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker.errors
import pytest

from dockyard.docker.containers import (
    logs_text,
    remove_labelled,
    run_container,
    temporary_network,
    unique_name,
)
from dockyard.runtime import celery_logs
from dockyard.runtime.health import wait_healthy

FIXTURES = Path(__file__).parent / "fixtures"
RUN = uuid.uuid4().hex[:8]
LOCAL_DEBIAN = "dockyard-local/debian:bookworm"


def build_fixture(name: str) -> str:
    tag = f"dockyard-test/{name}:{RUN}"
    proc = subprocess.run(
        ["docker", "build", "-q", "-t", tag, str(FIXTURES / name)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return tag


@pytest.fixture(scope="session")
def fixture_images(docker_client) -> Iterator[dict[str, str]]:
    try:
        docker_client.images.get(LOCAL_DEBIAN)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{LOCAL_DEBIAN} is missing: run invoke base.bootstrap")
    images = {name: build_fixture(name) for name in ("crash-loop", "failing-probe", "wasteful")}
    yield images
    for tag in images.values():
        try:
            docker_client.images.remove(tag, force=True)
        except docker.errors.APIError:
            pass


def wait_for(container, predicate, timeout: float = 90) -> str:
    """Poll the container's log until predicate(text) is true; returns the text."""
    deadline = time.monotonic() + timeout
    while True:
        text = logs_text(container)
        if predicate(text) or time.monotonic() > deadline:
            return text
        time.sleep(1)


@pytest.fixture(scope="session")
def celery_setup(docker_client, reference_images) -> Iterator[dict]:
    """redis + postgres + three celery-unified containers on one network:
    - "beat": as built (worker --beat, DatabaseScheduler), migrations applied by its entrypoint;
    - "nobeat": the same image started without --beat;
    - "notables": --beat against an empty sqlite database (DJANGO_MIGRATE=0): beat crashes.
    """
    image = reference_images["celery-unified"]
    run = f"pytest-ts-{RUN}"
    labels = {"dockyard.run": run}
    password = uuid.uuid4().hex
    with temporary_network(labels=labels) as network:
        try:
            redis = run_container(
                "dockyard-local/redis:7",
                name=unique_name("ts-redis"),
                network=network.name,
                labels=labels,
            )
            postgres = run_container(
                "dockyard-local/postgres:15",
                name=unique_name("ts-pg"),
                network=network.name,
                labels=labels,
                environment={
                    "POSTGRES_USER": "refsite",
                    "POSTGRES_PASSWORD": password,
                    "POSTGRES_DB": "refsite",
                },
            )
            assert wait_healthy(redis, 60).ok and wait_healthy(postgres, 60).ok
            env = {
                "DATABASE_URL": f"postgres://refsite:{password}@{postgres.name}:5432/refsite",
                "CELERY_BROKER_URL": f"redis://{redis.name}:6379/0",
            }
            beat = run_container(
                image,
                name=unique_name("ts-celery-beat"),
                network=network.name,
                labels=labels,
                environment=env,
            )
            wait_for(beat, lambda t: celery_logs.worker_ready(t) is not None)
            nobeat = run_container(
                image,
                name=unique_name("ts-celery-nobeat"),
                network=network.name,
                labels=labels,
                environment={**env, "DJANGO_MIGRATE": "0"},
                command=[
                    "celery",
                    "--app",
                    "config.celery",
                    "worker",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "INFO",
                ],
            )
            notables = run_container(
                image,
                name=unique_name("ts-celery-notables"),
                network=network.name,
                labels=labels,
                environment={"CELERY_BROKER_URL": env["CELERY_BROKER_URL"], "DJANGO_MIGRATE": "0"},
            )
            wait_for(nobeat, lambda t: celery_logs.worker_ready(t) is not None)
            wait_for(notables, lambda t: celery_logs.diagnose_beat(t).state == "crashed")
            # the running beat has sent its first due task (it runs every 10 s)
            wait_for(beat, lambda t: bool(celery_logs.due_tasks(t)), timeout=30)
            yield {
                "beat": beat.name,
                "nobeat": nobeat.name,
                "notables": notables.name,
                "image": image,
            }
        finally:
            remove_labelled(run)
