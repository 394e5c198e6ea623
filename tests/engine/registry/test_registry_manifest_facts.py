"""The loopback registry (deployment/host/ensure-registry.sh) as dockyard relies on it (see docs/stage.md).

One-layer images made with `docker import` are pushed under a unique repository; the tests check
tags/list, the manifest HEAD that `rollback.quick` uses (its digest is Docker's RepoDigest only with
the right Accept header), and deletion by digest. Skipped when the registry does not answer.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REGISTRY = os.environ.get("DOCKYARD_REGISTRY", "127.0.0.1:5000")
STORAGE = Path(os.environ.get("DOCKYARD_REGISTRY_DIR", "/var/lib/dockyard-registry")) / "storage"
NAMESPACE = f"dockyard-test-{uuid.uuid4().hex[:12]}"
REPO = f"{NAMESPACE}/probe"
SHA = uuid.uuid4().hex + uuid.uuid4().hex[:8]  # 40 hex digits, like a git SHA
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
)
ACCEPT_ALL = ", ".join(MANIFEST_TYPES)


def request(method: str, path: str, accept: str | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(f"http://{REGISTRY}{path}", method=method)
    if accept is not None:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def registry_answers() -> bool:
    try:
        return request("GET", "/v2/")[0] == 200
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not registry_answers(), reason=f"no registry answers on {REGISTRY}")


def push(tag: str) -> str:
    """A one-layer image made with `docker import`, pushed as REGISTRY/REPO:tag."""
    ref = f"{REGISTRY}/{REPO}:{tag}"
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        data = f"dockyard registry probe {tag}\n".encode()
        info = tarfile.TarInfo("probe.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    subprocess.run(["docker", "import", "--change", "LABEL dockyard.test=registry", "-", ref],
                   input=layer.getvalue(), check=True, capture_output=True)
    subprocess.run(["docker", "push", "-q", ref], check=True, capture_output=True, text=True)
    return ref


@pytest.fixture(scope="module")
def pushed() -> Iterator[str]:
    """REGISTRY/REPO:SHA; afterwards the manifests, the local tags and the repository are gone."""
    refs: list[str] = []
    try:
        refs.append(push(SHA))
        yield refs[0]
    finally:
        status, _, body = request("GET", f"/v2/{REPO}/tags/list")
        for tag in (json.loads(body).get("tags") or []) if status == 200 else []:
            status, headers, _ = request("HEAD", f"/v2/{REPO}/manifests/{tag}", ACCEPT_ALL)
            if status == 200:
                request("DELETE", f"/v2/{REPO}/manifests/{headers['Docker-Content-Digest']}")
            refs.append(f"{REGISTRY}/{REPO}:{tag}")
        subprocess.run(["docker", "image", "rm", "-f", *{*refs, f"{REGISTRY}/{REPO}:{SHA}"}], capture_output=True)
        shutil.rmtree(STORAGE / "docker/registry/v2/repositories" / NAMESPACE, ignore_errors=True)


def repo_digest(ref: str) -> str:
    out = subprocess.run(["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", ref],
                         check=True, capture_output=True, text=True).stdout
    (digest,) = [d.split("@", 1)[1] for d in json.loads(out) if d.startswith(f"{REGISTRY}/{REPO}@")]
    return digest


def test_the_pushed_sha_tag_is_listed(pushed: str) -> None:
    status, _, body = request("GET", f"/v2/{REPO}/tags/list")
    assert status == 200
    assert json.loads(body) == {"name": REPO, "tags": [SHA]}


def test_manifest_head_with_every_type_accepted_gives_dockers_digest(pushed: str) -> None:
    status, headers, body = request("HEAD", f"/v2/{REPO}/manifests/{SHA}", ACCEPT_ALL)
    assert status == 200 and body == b""
    assert headers["Content-Type"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert headers["Docker-Content-Digest"] == repo_digest(pushed)


def test_manifest_head_without_docker_types_answers_a_converted_manifest(pushed: str) -> None:
    """Why the Accept header must name the Docker types: otherwise the digest is a schema-1 one."""
    status, headers, _ = request("HEAD", f"/v2/{REPO}/manifests/{SHA}", "application/vnd.oci.image.manifest.v1+json")
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.docker.distribution.manifest.v1+prettyjws"
    assert headers["Docker-Content-Digest"] != repo_digest(pushed)


def test_unknown_tag_and_unknown_repository_are_404(pushed: str) -> None:
    assert request("HEAD", f"/v2/{REPO}/manifests/{'0' * 40}", ACCEPT_ALL)[0] == 404
    status, _, body = request("GET", f"/v2/{NAMESPACE}/nothing/tags/list")
    assert status == 404 and b"NAME_UNKNOWN" in body


def test_a_manifest_is_deleted_by_digest_not_by_tag(pushed: str) -> None:
    other = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    ref = push(other)
    try:
        status, _, body = request("DELETE", f"/v2/{REPO}/manifests/{other}")
        assert status == 400 and b"DIGEST_INVALID" in body
        assert request("DELETE", f"/v2/{REPO}/manifests/{repo_digest(ref)}")[0] == 202
        assert request("HEAD", f"/v2/{REPO}/manifests/{other}", ACCEPT_ALL)[0] == 404
        status, _, body = request("GET", f"/v2/{REPO}/tags/list")
        assert status == 200 and json.loads(body)["tags"] == [SHA]
    finally:
        subprocess.run(["docker", "image", "rm", "-f", ref], capture_output=True)
