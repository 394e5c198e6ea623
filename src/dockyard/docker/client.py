"""Access to the Docker Engine through the Docker SDK, with one-line errors."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache

import docker
import docker.errors

from dockyard.core.errors import EngineUnavailable

START_HINT = "start it with: bash deployment/host/ensure-docker-engine.sh"


@lru_cache(maxsize=1)
def client() -> docker.DockerClient:
    """A connected client; raises EngineUnavailable when the daemon does not answer."""
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        c = docker.from_env(timeout=120)
        c.ping()
    except docker.errors.DockerException:
        raise EngineUnavailable(f"Docker Engine is not reachable at {where}; {START_HINT}") from None
    return c


def require_cli(plugin: str | None = None) -> None:
    """Fail with one line when the docker CLI (or one of its plugins) is missing."""
    if shutil.which("docker") is None:
        raise EngineUnavailable(f"the docker CLI is not on PATH; {START_HINT}")
    if plugin:
        probe = subprocess.run(["docker", plugin, "version"], capture_output=True, text=True)
        if probe.returncode != 0:
            raise EngineUnavailable(f"docker {plugin} is not installed; {START_HINT}")


def image_exists(ref: str) -> bool:
    try:
        client().images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return True
