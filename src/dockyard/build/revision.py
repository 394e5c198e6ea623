"""Which commit an image was built from, written into the image as labels.

`invoke build.*` labels every image with the commit it was built from and that commit's time.
Both travel with the image into the registry (its config blob), so a fresh clone with no local
deploy history can still tell which pushed tag is older than which: `rollback.*` orders a
repository's tags by the commit time (docs/rollback.md). The commit time, not the build time,
so a rebuild of an old commit (`rollback.full`) does not pass for the newest image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dockyard.docker.git import GitError, git

REVISION_LABEL = "org.opencontainers.image.revision"  # the full SHA (OCI's annotation name)
COMMIT_TIME_LABEL = "dockyard.commit-time"  # the committer date, ISO 8601
SHORT_SHA = 12  # how many hex digits a SHA tag has
SHA_TAG = re.compile(r"[0-9a-f]{7,40}")


@dataclass(frozen=True)
class Commit:
    sha: str  # 40 hex digits
    time: str  # ISO 8601 with offset, e.g. 2024-11-21T10:00:00+01:00

    @property
    def short(self) -> str:
        return self.sha[:SHORT_SHA]

    def labels(self) -> dict[str, str]:
        return {REVISION_LABEL: self.sha, COMMIT_TIME_LABEL: self.time}


def commit(repo: Path, ref: str = "HEAD") -> Commit:
    """The commit `ref` names in `repo`, with its committer date (GitError outside a repository)."""
    sha, _, when = git(repo, "show", "-s", "--format=%H %cI", f"{ref}^{{commit}}", "--").strip().partition(" ")
    return Commit(sha, when)


def commit_or_none(repo: Path, ref: str = "HEAD") -> Commit | None:
    """Like `commit`, but None outside a git repository (or without commits)."""
    try:
        return commit(repo, ref)
    except GitError:
        return None


def label_overrides(labels: dict[str, str]) -> list[str]:
    """bake `--set` values that put `labels` on every target built."""
    return [f"*.labels.{key}={value}" for key, value in labels.items()]


def is_sha_tag(tag: str) -> bool:
    return SHA_TAG.fullmatch(tag or "") is not None
