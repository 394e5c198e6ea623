"""The loopback registry (deployment/host/ensure-registry.sh) for engine tests: a namespace unique to
the test, and everything under it removed afterwards (manifests by digest, the repository
directories, the local tags)."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

import pytest

from dockyard.deploy.registry import Registry, RegistryError, parse_registry

HOST = os.environ.get("DOCKYARD_REGISTRY", "127.0.0.1:5000")
STORAGE = Path(os.environ.get("DOCKYARD_REGISTRY_DIR", "/var/lib/dockyard-registry")) / "storage"


def registry_or_skip(namespace: str = "") -> Registry:
    registry = parse_registry(HOST, namespace=namespace)
    try:
        registry.ping()
    except RegistryError as exc:
        pytest.skip(f"no registry: {exc}")
    return registry


def unique_namespace(prefix: str = "dockyard-test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def remove_namespace(registry: Registry, namespace: str, repositories: list[str]) -> None:
    """Delete every manifest of NAMESPACE/REPO, the local images tagged there, and the directories."""
    from dockyard.docker.client import client

    for repo in repositories:
        path = f"{namespace}/{repo}"
        with contextlib.suppress(RegistryError):
            for tag in registry.tags(path):
                digest = registry.manifest_digest(path, tag)
                if digest:
                    registry.delete(path, digest)
    prefix = f"{registry.host}/{namespace}/"
    for image in client().api.images():
        for ref in image.get("RepoTags") or []:
            if ref.startswith(prefix):
                with contextlib.suppress(Exception):
                    client().images.remove(ref)
    shutil.rmtree(STORAGE / "docker/registry/v2/repositories" / namespace, ignore_errors=True)
