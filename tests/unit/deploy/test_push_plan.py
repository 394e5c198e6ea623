"""What `invoke push` pushes: `<image>:<tag>` when built under that tag, else `<image>:latest` only if it
was built from that very commit (a stale latest is refused, not pushed under the wrong SHA)."""

from __future__ import annotations

import pytest

from dockyard.build.revision import COMMIT_TIME_LABEL, REVISION_LABEL, Commit, label_overrides
from dockyard.build.runner import cache_overrides
from dockyard.deploy import push

SHA = "3f2a9c0d1e2f" + "0" * 28


@pytest.fixture
def local(monkeypatch):
    """Local images by reference -> their labels, in place of the Engine."""
    found: dict[str, dict[str, str]] = {}
    monkeypatch.setattr(push.images, "image_exists", lambda ref: ref in found)
    monkeypatch.setattr(push.images, "image_attrs", lambda ref: {"Config": {"Labels": found[ref]}})
    return found


def test_the_tagged_build_first(local):
    local["x/web:3f2a9c0d1e2f"] = {}
    local["x/web:latest"] = {REVISION_LABEL: "other"}
    assert push.choose_source("x/web", "3f2a9c0d1e2f", SHA) == "x/web:3f2a9c0d1e2f"


def test_latest_only_when_built_from_that_commit(local):
    local["x/web:latest"] = {REVISION_LABEL: SHA}
    assert push.choose_source("x/web", "3f2a9c0d1e2f", SHA) == "x/web:latest"
    local["x/web:latest"] = {REVISION_LABEL: "9" * 40}
    with pytest.raises(push.PushFailed, match=r"x/web:latest was built from 999999999999, not 3f2a9c0d1e2f: build it"):
        push.choose_source("x/web", "3f2a9c0d1e2f", SHA)
    local["x/web:latest"] = {}
    with pytest.raises(push.PushFailed, match="carries no commit label"):
        push.choose_source("x/web", "3f2a9c0d1e2f", SHA)
    with pytest.raises(push.PushFailed, match=r"x/web:v2 is not on this machine: build it with `--tag v2`"):
        push.choose_source("x/web", "v2", None)


def test_nothing_built(local):
    with pytest.raises(push.PushFailed, match=r"neither x/web:abc nor x/web:latest is on this machine"):
        push.choose_source("x/web", "abc", SHA)


def test_builds_carry_the_commit_and_its_time():
    commit = Commit(SHA, "2024-11-21T10:00:00+01:00")
    assert commit.short == "3f2a9c0d1e2f"
    assert label_overrides(commit.labels()) == [
        f"*.labels.{REVISION_LABEL}={SHA}",
        f"*.labels.{COMMIT_TIME_LABEL}=2024-11-21T10:00:00+01:00",
    ]
    assert cache_overrides({"web": ""}) == ["web.cache-to=type=inline"]  # nothing to import yet
