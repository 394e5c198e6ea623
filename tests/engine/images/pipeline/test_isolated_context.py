"""The export is what reaches the image: untracked and ignored files never do, edits of tracked files do."""

from __future__ import annotations

import uuid

import docker.errors
import pytest

from dockyard.build.runner import BuildRequest, run_build
from dockyard.core.project import find_project
from dockyard.core.settings import load_settings
from dockyard.images.checks import TargetContext
from dockyard.images.export import isolated_context

MARKER = "UNTRACKED_MARKER.txt"
IGNORED = "IGNORED_MARKER.txt"
EDIT = "# TRACKED_EDIT_MARKER"


def code_files(image: str) -> dict[str, bytes | None]:
    """/code in the image: archive path -> content."""
    ctx = TargetContext(
        target="flower",
        image=image,
        settings=load_settings({}).checks.for_target("flower"),
        run_id=f"x{uuid.uuid4().hex[:8]}",
    )
    try:
        return {member.name: data for member, data in ctx.read_tree("/code")}
    finally:
        ctx.close()


@pytest.fixture
def built_tags(docker_client):
    tags: list[str] = []
    yield tags
    for tag in tags:
        try:
            docker_client.images.remove(tag, force=True)
        except docker.errors.APIError:
            pass


def test_untracked_files_never_reach_the_image(repo, built_tags):
    (repo / "app" / MARKER).write_text("untracked\n")
    (repo / ".git" / "info" / "exclude").write_text(f"app/{IGNORED}\n")
    (repo / "app" / IGNORED).write_text("ignored by git, not by .dockerignore\n")
    manage = repo / "app" / "manage.py"
    manage.write_text(manage.read_text() + f"\n{EDIT}\n")
    project = find_project(repo)
    run = uuid.uuid4().hex[:8]

    with isolated_context(repo) as export:
        assert not (export.root / "app" / MARKER).exists()
        result = run_build(
            project,
            BuildRequest(names=["flower"], context_root=export.root, variables={"TAG": f"export-{run}"}),
            log=lambda m: None,
        )
    built_tags.append(result.targets[0].tag)
    assert not export.root.exists()  # the export is gone once the build is done
    files = code_files(result.targets[0].tag)
    assert f"code/{MARKER}" not in files and f"code/{IGNORED}" not in files
    assert EDIT.encode() in files["code/manage.py"]  # a tracked file is built as edited

    # The control: built from the working tree, the same files do reach the image.
    result = run_build(
        project, BuildRequest(names=["flower"], variables={"TAG": f"worktree-{run}"}), log=lambda m: None
    )
    built_tags.append(result.targets[0].tag)
    files = code_files(result.targets[0].tag)
    assert f"code/{MARKER}" in files and f"code/{IGNORED}" in files
