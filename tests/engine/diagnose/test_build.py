"""troubleshoot.build against a real failing build (fixtures/failing-build) and a cached rebuild."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from dockyard.core.project import Project
from dockyard.core.settings import load_settings
from dockyard.diagnose.build import diagnose_build

FIXTURE = Path(__file__).parent / "fixtures" / "failing-build"


@pytest.fixture()
def broken_project(tmp_path, docker_client):
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    tag = f"pytest-{uuid.uuid4().hex[:8]}"
    yield (
        Project(root=root, settings=load_settings({"bake_file": "docker-bake.hcl", "dockerfile": "Dockerfile"})),
        tag,
    )
    for image in (f"dockyard-test/broken:{tag}", f"dockyard-test/broken-base:{tag}"):
        try:
            docker_client.images.remove(image)
        except Exception:
            pass


def test_failing_step_is_summarised(broken_project):
    project, tag = broken_project
    variables = {"BASE_IMAGE": "dockyard-local/debian:bookworm", "TAG": tag}
    diagnosis = diagnose_build(project, "broken", variables=variables)
    assert not diagnosis.ok
    step = diagnosis.failed_step
    assert step.stage == "broken"
    assert step.command.startswith('RUN echo "compiling module one"')
    assert step.error.endswith("exit code: 3")
    assert sorted(step.output_tail) == [
        "compiling module one",
        "compiling module two",
        "error: module three is missing",
    ]
    assert step.dockerfile_line == "Dockerfile:7"
    assert step.cause == "error: module three is missing"
    assert diagnosis.failure.endswith("failed: exit code 3")
    assert Path(diagnosis.log_path).is_file()
    assert diagnosis.cache.total_steps == 2

    # the stage that did build is now cached: a rebuild of it reports a full cache hit
    again = diagnose_build(project, "base", variables=variables)
    assert again.ok
    assert (again.cache.cached_steps, again.cache.total_steps) == (1, 1)
    assert again.cache.first_miss is None
    assert again.tags == [f"dockyard-test/broken-base:{tag}"]
