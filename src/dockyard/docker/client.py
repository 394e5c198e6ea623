"""The Docker Engine through the Docker SDK: one cached client, and the SDK's names re-exported.

The rest of dockyard never imports `docker`: it gets the client, the object types (for
annotations) and the exceptions it may catch from here.
"""

from __future__ import annotations

import os
from functools import lru_cache

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container
from docker.models.images import Image
from docker.models.networks import Network

from dockyard.core.errors import EngineUnavailable
from dockyard.core.redact import redact
from dockyard.docker.cli import START_HINT, engine_contact

APIError = docker.errors.APIError
NotFound = docker.errors.NotFound
ImageNotFound = docker.errors.ImageNotFound
DockerException = docker.errors.DockerException
DockerClient = docker.DockerClient
# What a call to the Engine can fail with: the SDK's errors, and a connection the Engine
# dropped (docker-py lets requests' errors through when dockerd stops or restarts).
ENGINE_ERRORS: tuple[type[BaseException], ...] = (DockerException, requests.exceptions.RequestException)
ConnectionLost = requests.exceptions.ConnectionError
RequestFailed = requests.exceptions.RequestException

__all__ = [
    "APIError",
    "ConnectionLost",
    "Container",
    "DockerClient",
    "DockerException",
    "ENGINE_ERRORS",
    "Image",
    "ImageNotFound",
    "Network",
    "NotFound",
    "RequestFailed",
    "client",
    "explain",
]


def client() -> docker.DockerClient:
    """A connected client; raises EngineUnavailable when the daemon does not answer."""
    connected = _connect()
    engine_contact()  # the start-of-run sweep, once, now that the Engine answers
    return connected


@lru_cache(maxsize=1)
def _connect() -> docker.DockerClient:
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        c = docker.from_env(timeout=120)
        c.ping()
    except docker.errors.DockerException:
        raise EngineUnavailable(f"Docker Engine is not reachable at {where}; {START_HINT}") from None
    return c


def explain(exc: BaseException) -> str:
    """One line (secrets masked) from an Engine error, for a message."""
    detail = getattr(exc, "explanation", None)
    text = detail if isinstance(detail, str) and detail.strip() else str(exc)
    lines = text.strip().splitlines()
    return redact(lines[0][:200] if lines else type(exc).__name__)
