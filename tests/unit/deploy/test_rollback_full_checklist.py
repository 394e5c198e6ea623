"""The full-rollback checklist, and the read-only git steps it runs (in a throw-away repository)."""

from __future__ import annotations

import pytest
from support.git import git

from dockyard.core.errors import ConfigError
from dockyard.deploy import rollback
from dockyard.docker.git import archive, has_file, resolve_commit

SHA = "0123456789abcdef0123456789abcdef01234567"
IMAGES = {"web": "reg/refsite-web:" + SHA, "celery-unified": "reg/refsite-celery:" + SHA}



@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    (path / "deployment").mkdir()
    (path / "deployment" / "docker-bake.multistage.hcl").write_text("# old bake\n")
    (path / "tracked.txt").write_text("v1\n")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "one")
    git(path, "tag", "v1")
    (path / "tracked.txt").write_text("v2\n")
    (path / "untracked.env").write_text("SECRET=1\n")
    git(path, "commit", "-q", "-am", "two")
    return path


def test_checklist_runs_build_and_deploy_when_the_ref_has_a_bake_file():
    items = rollback.full_checklist(
        "v1",
        SHA,
        ["web", "celery-unified"],
        IMAGES,
        True,
        "deployment/docker-bake.multistage.hcl",
        push=False,
    )
    assert [(i.key, i.run) for i in items] == [
        ("resolve", True),
        ("workflows", False),
        ("export", True),
        ("build", True),
        ("push", False),
        ("deploy", True),
        ("data", False),
        ("verify", False),
    ]
    build = next(i for i in items if i.key == "build")
    bake = "docker buildx bake -f deployment/docker-bake.multistage.hcl web celery-unified"
    assert build.detail == f"TAG={SHA} {bake}"
    push = next(i for i in items if i.key == "push")
    assert f"docker push {IMAGES['web']}" in push.detail and "or pass --push" in push.detail
    assert "git checkout 0123456789ab -- .github/workflows" in items[1].detail


def test_checklist_leaves_the_build_to_you_without_a_bake_file_and_offers_quick_rollback():
    items = rollback.full_checklist(
        "old",
        SHA,
        ["web"],
        IMAGES,
        False,
        "deployment/docker-bake.multistage.hcl",
        push=True,
        quick_hint="use rollback.quick --to 0123456789ab",
    )
    by_key = {i.key: i for i in items}
    assert (
        not by_key["build"].run
        and "restore the old Dockerfiles from backup" in by_key["build"].detail
    )
    assert not by_key["push"].run and not by_key["deploy"].run
    assert by_key["quick"].detail == "use rollback.quick --to 0123456789ab"


def test_resolve_ref_and_bake_file_presence(repo):
    first = git(repo, "rev-parse", "v1")
    assert resolve_commit(repo, "v1") == first
    assert resolve_commit(repo, first[:8]) == first
    assert has_file(repo, first, "deployment/docker-bake.multistage.hcl")
    assert not has_file(repo, first, "deployment/nope.hcl")
    with pytest.raises(ConfigError, match="'nope' is not a commit in"):
        resolve_commit(repo, "nope")
    with pytest.raises(ConfigError, match="is not a git ref"):
        resolve_commit(repo, "--output=/tmp/x")


def test_export_tree_holds_only_the_tracked_files_of_that_commit(repo, tmp_path):
    dest = tmp_path / "export"
    assert archive(repo, resolve_commit(repo, "v1"), dest)[0] >= 2
    assert (dest / "tracked.txt").read_text() == "v1\n"
    assert (dest / "deployment" / "docker-bake.multistage.hcl").is_file()
    assert not (dest / "untracked.env").exists() and not (dest / ".git").exists()
    status_before = git(repo, "status", "--porcelain")
    assert status_before == "?? untracked.env"  # the repository was not touched
