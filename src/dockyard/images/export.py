"""An isolated build context: the repository's tracked files, copied to a temporary directory.

A CI checkout sees the files git tracks and nothing else: no virtualenvs, `.env` files, local
`node_modules` or scratch files. Building from an export of exactly those files means the images
cannot depend on something that only exists in one developer's working tree.

Two sources:
- `worktree` (default): the paths in git's index (`git ls-files`), with their content as it is in
  the working tree, so an uncommitted edit of a tracked file (say, the Dockerfile) is what gets
  built. Untracked and ignored files never reach the export; a tracked file deleted from the
  working tree is left out, as its deletion would be committed.
- `head`: the last commit exactly (`git archive HEAD`), what CI builds after a push.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.tempdirs import run_tempdir
from dockyard.docker.git import GitError, archive, git, tracked_paths

SOURCES = ("worktree", "head")


class ExportError(GitError):
    """The tracked files cannot be exported (nothing tracked, unknown source)."""


@dataclass
class Export:
    root: Path  # the temporary directory holding the exported tree
    source: str
    files: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)  # tracked, but deleted from the working tree


def export_tree(repo: Path, dest: Path, source: str = "worktree") -> Export:
    """Copy the tracked files of `repo` into the existing, empty directory `dest`."""
    if source not in SOURCES:
        raise ExportError(f"unknown export source '{source}' (known: {', '.join(SOURCES)})")
    export = Export(root=dest, source=source)
    if source == "head":
        _export_head(repo, export)
    else:
        _export_worktree(repo, export)
    if export.files == 0:
        raise ExportError(f"git tracks no files in {repo}: `git add` what the images are built from")
    return export


@contextmanager
def isolated_context(repo: Path, source: str = "worktree", parent: Path | None = None) -> Iterator[Export]:
    """A temporary export of `repo`'s tracked files, removed on exit (also on an error, Ctrl-C,
    SIGTERM or SIGHUP; after a kill, the reaper removes it: dockyard.core.tempdirs)."""
    with run_tempdir("context", parent) as dest:
        yield export_tree(repo, dest, source)


def _export_worktree(repo: Path, export: Export) -> None:
    for rel in tracked_paths(repo):
        src = repo / rel
        target = export.root / rel
        if not os.path.lexists(src):
            export.missing.append(rel)
            continue
        if src.is_dir() and not src.is_symlink():  # a submodule that is not checked out
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), target)
        else:
            shutil.copy2(src, target)  # keeps the mode: an executable entrypoint stays executable
            export.bytes += target.stat().st_size
        export.files += 1


def _export_head(repo: Path, export: Export) -> None:
    git(
        repo,
        "rev-parse",
        "--verify",
        "--quiet",
        "HEAD^{commit}",
        error=f"{repo} has no commit yet: commit, or export the working tree (source worktree)",
    )
    export.files, export.bytes = archive(repo, "HEAD", export.root)
