"""`invoke prune` and dangling images, on images this test makes dangling itself.

Two images are built under one tag, each replaced by the next build, so each is left
`<none>:<none>` with the test's label; one of them has a (never started) container. The plan must
report both, select only the unused one, and a "no" must keep both. The removal itself runs
through the library with the selection limited to the test's label, so that nobody else's
dangling images on this shared engine are touched.
"""

from __future__ import annotations

import json
import subprocess
import uuid

import docker.errors
import pytest
from support.dockyard_cli import clean_env, invoke, write_project

from dockyard.core.project import find_project
from dockyard.docker.client import client
from dockyard.prune import run
from dockyard.prune.plan import cache_prune

pytestmark = pytest.mark.engine


def build(tag: str, label: str, version: str) -> str:
    dockerfile = f'FROM scratch\nLABEL dockyard.test={label} v={version}\nCMD ["none"]\n'
    proc = subprocess.run(
        ["flock", "/tmp/dockyard-build.lock", "docker", "buildx", "build", "--quiet", "--tag", tag, "-"],
        input=dockerfile,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return client().images.get(tag).id


@pytest.fixture
def dangling():
    """(unused dangling image id, dangling image id a container uses, label); all removed afterwards."""
    label = uuid.uuid4().hex[:12]
    tag = f"dockyard-test/dangling:{label}"
    unused = build(tag, label, "1")
    used = build(tag, label, "2")  # the first loses its tag
    container = client().containers.create(used, name=f"dockyard-test-dangling-{label}")
    final = build(tag, label, "3")  # the second loses its tag, its container keeps it
    assert not client().images.get(unused).tags and not client().images.get(used).tags
    yield unused, used, label
    container.remove(force=True)
    for ref in (tag, used, unused, final):
        try:
            client().images.remove(ref)
        except docker.errors.ImageNotFound:
            pass


def test_the_plan_reports_dangling_images_and_a_no_removes_nothing(dangling, tmp_path):
    unused, used, _ = dangling
    site = write_project(tmp_path / "site")
    proc = invoke(site, "prune", "--dangling", "--dry-run", "--json", env=clean_env())
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert unused in report["would_remove_dangling"] and used not in report["would_remove_dangling"]
    assert report["dangling"]["kept"][used] == "used by a container"
    assert report["dangling"]["count"] >= 2

    plain = invoke(site, "prune", "--dry-run", env=clean_env())
    assert plain.returncode == 0, plain.stderr
    assert "dangling images: " in plain.stdout and "--dangling removes them" in plain.stdout

    refused = invoke(site, "prune", "--dangling", "--filter", f"id={uuid.uuid4().hex}", stdin="n\n", env=clean_env())
    assert refused.returncode == 1 and refused.stderr.strip().endswith("error: not confirmed: nothing removed")
    assert client().images.get(unused) and client().images.get(used)


def test_removing_takes_the_unused_dangling_image_and_keeps_the_used_one(dangling):
    unused, used, label = dangling
    nothing = cache_prune(filters=[f"id={uuid.uuid4().hex}"])  # a build-cache prune that selects no record
    plan = run.plan(find_project(), nothing, dangling=True, dangling_label=f"dockyard.test={label}")
    assert [i.id for i in plan.report.dangling.remove] == [unused]
    report = run.execute(plan)
    assert report.removed_dangling == [unused] and report.failed_dangling == {}
    with pytest.raises(docker.errors.ImageNotFound):
        client().images.get(unused)
    assert client().images.get(used).id == used
