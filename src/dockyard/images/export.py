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
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.errors import ConfigError

SOURCES = ("worktree", "head")
# Refuse absolute paths and `..` in the archive (Python >= 3.11.4; git archive never writes them).
_SAFE = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}


class ExportError(ConfigError):
    """The tracked files cannot be exported (no git, no repository, nothing tracked)."""


@dataclass
class Export:
    root: Path  # the temporary directory holding the exported tree
    source: str
    files: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)  # tracked, but deleted from the working tree


def tracked_paths(repo: Path) -> list[str]:
    """Paths git tracks under `repo` (the index, submodules included), relative to `repo`."""
    out = _git(repo, "ls-files", "-z", "--cached", "--recurse-submodules")
    return [p for p in out.split("\0") if p]


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
    """A temporary export of `repo`'s tracked files, removed on exit (also on error or Ctrl-C)."""
    dest = Path(tempfile.mkdtemp(prefix="dockyard-context-", dir=parent))
    try:
        yield export_tree(repo, dest, source)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


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
    _git(
        repo,
        "rev-parse",
        "--verify",
        "--quiet",
        "HEAD^{commit}",
        error=f"{repo} has no commit yet: commit, or export the working tree (source worktree)",
    )
    # `repo` may be a subdirectory: archive its tree, from the top (archive also filters by cwd).
    prefix = _git(repo, "rev-parse", "--show-prefix").strip()
    top = _git(repo, "rev-parse", "--show-toplevel").strip()
    proc = subprocess.Popen(
        ["git", "-C", top, "archive", "--format=tar", f"HEAD:{prefix}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
            for member in archive:
                archive.extract(member, export.root, **_SAFE)
                if member.isfile() or member.issym():
                    export.files += 1
                    export.bytes += member.size
    finally:
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        returncode = proc.wait()
    if returncode != 0:
        raise ExportError(f"git archive HEAD failed in {repo}: {_last_line(stderr)}")


def _git(repo: Path, *args: str, error: str | None = None) -> str:
    if shutil.which("git") is None:
        raise ExportError("git is not on PATH: the isolated build context is made from git's tracked files")
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        if error:
            raise ExportError(error)
        if "not a git repository" in proc.stderr:
            raise ExportError(f"{repo} is not in a git repository: images are built from tracked files only")
        raise ExportError(f"git {args[0]} failed in {repo}: {_last_line(proc.stderr)}")
    return proc.stdout


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "no error message"
