"""`invoke rollback.full REF`: rebuild an old commit with its own bake file, redeploy, record.

Runs against a throw-away git repository whose bake file builds a `FROM scratch` image (a second
or two), so the test exercises dockyard's steps, not the reference site's build time."""

from __future__ import annotations

import uuid

import docker.errors
import pytest
from support.dockyard_cli import clean_env, invoke, write_project
from support.git import git

from dockyard.deploy import history
from dockyard.docker.client import client

pytestmark = pytest.mark.engine

RUN = uuid.uuid4().hex[:10]
PREFIX = f"dockyard-test-full-{RUN}"
BAKE = f"""variable "REGISTRY" {{
  default = "127.0.0.1:1"
}}
variable "IMAGE_PREFIX" {{
  default = "{PREFIX}"
}}
variable "TAG" {{
  default = "latest"
}}
target "web" {{
  context    = "."
  dockerfile = "deployment/Dockerfile.multistage"
  target     = "runtime-full"
  tags       = ["${{REGISTRY}}/${{IMAGE_PREFIX}}/web:${{TAG}}"]
}}
"""



@pytest.fixture
def repo(tmp_path):
    root = write_project(
        tmp_path / "site",
        services={"web": {"target": "web", "app": "refsite-web", "image": f"127.0.0.1:1/{PREFIX}/web", "role": "web"}},
    )
    (root / ".gitignore").write_text(".dockyard/\n")
    (root / "deployment").mkdir()
    (root / "deployment" / "docker-bake.multistage.hcl").write_text(BAKE)
    dockerfile = root / "deployment" / "Dockerfile.multistage"
    git(root, "init", "-q")
    for version in ("v1", "v2"):
        dockerfile.write_text(
            f"FROM scratch AS runtime-full\nLABEL dockyard.test.version={version}-{RUN}\n"
        )
        git(root, "add", ".")
        git(root, "commit", "-q", "-m", version)
        git(root, "tag", version)
    yield root
    for tag in (f"127.0.0.1:1/{PREFIX}/web:{git(root, 'rev-parse', v)}" for v in ("v1", "v2")):
        try:
            client().images.remove(tag)
        except docker.errors.ImageNotFound:
            pass


def test_dry_run_prints_the_checklist_and_builds_nothing(repo, fake, web_token):
    env = clean_env(CAPROVER_URL=fake.url, CAPROVER_APP_TOKEN=web_token)
    proc = invoke(repo, "rollback.full", "v1", "--dry-run", env=env)
    assert proc.returncode == 0, proc.stderr
    sha = git(repo, "rev-parse", "v1")
    for text in (
        "Revert CI workflows",
        f"TAG={sha} docker buildx bake",
        "No data loss",
        "dry run: nothing run",
    ):
        assert text in proc.stdout
    assert fake.requests == []
    with pytest.raises(docker.errors.ImageNotFound):
        client().images.get(f"127.0.0.1:1/{PREFIX}/web:{sha}")


def test_full_rollback_rebuilds_the_old_commit_and_deploys_it(repo, fake, web_token):
    env = clean_env(CAPROVER_URL=fake.url, CAPROVER_APP_TOKEN=web_token)
    proc = invoke(repo, "rollback.full", "v1", "--yes", env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sha = git(repo, "rev-parse", "v1")
    image = f"127.0.0.1:1/{PREFIX}/web:{sha}"
    built = client().images.get(image)
    assert (
        built.labels["dockyard.test.version"] == f"v1-{RUN}"
    )  # the old commit's Dockerfile, not HEAD's
    assert [(d.app, d.image, d.git_hash) for d in fake.deployed] == [("refsite-web", image, sha)]
    (entry,) = history.read(repo / ".dockyard" / "deploy-history.jsonl").entries
    assert (entry.service, entry.sha, entry.action, entry.result) == (
        "web",
        sha,
        "rollback-full",
        "accepted",
    )
    assert web_token not in proc.stdout + proc.stderr
    assert git(repo, "status", "--porcelain") == ""  # the working tree was not touched
