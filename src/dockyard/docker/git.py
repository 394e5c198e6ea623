"""git, read-only: the one `git` helper and the one `git archive` export.

The isolated build context (`nox -s images`, bench) and the full rollback both build from
the tracked files of a commit; they export them here.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

from dockyard.core.errors import ConfigError
from dockyard.core.signals import shield
from dockyard.docker.cli import stop


class GitError(ConfigError):
    """git is missing, the directory is not a repository, or a git command failed."""


def git(repo: Path, *args: str, error: str | None = None) -> str:
    """`git -C REPO ARGS...`: its stdout, or GitError (with `error` as the message when given)."""
    if shutil.which("git") is None:
        raise GitError("git is not on PATH: images are built from the files git tracks")
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        if error:
            raise GitError(error)
        if "not a git repository" in proc.stderr:
            raise GitError(f"{repo} is not in a git repository: images are built from tracked files only")
        raise GitError(f"git {args[0]} failed in {repo}: {_last_line(proc.stderr)}")
    return proc.stdout


def git_or_none(repo: Path, *args: str) -> str | None:
    """Like `git`, but None instead of an error (for facts that are nice to have)."""
    try:
        return git(repo, *args).strip()
    except GitError:
        return None


def tracked_paths(repo: Path) -> list[str]:
    """Paths git tracks under `repo` (the index, submodules included), relative to `repo`."""
    out = git(repo, "ls-files", "-z", "--cached", "--recurse-submodules")
    return [p for p in out.split("\0") if p]


def resolve_commit(repo: Path, ref: str) -> str:
    """The full SHA of the commit `ref` names; GitError when it names none."""
    if not ref or ref.startswith("-"):
        raise GitError(f"{ref!r} is not a git ref")
    return git(
        repo,
        "rev-parse",
        "--verify",
        "--quiet",
        f"{ref}^{{commit}}",
        error=f"{ref!r} is not a commit in {repo} (git rev-parse failed); try a branch, tag or SHA",
    ).strip()


def has_file(repo: Path, commit: str, relative: str) -> bool:
    """Does `commit` hold the file `relative`?"""
    proc = subprocess.run(["git", "-C", str(repo), "cat-file", "-e", f"{commit}:{relative}"], capture_output=True)
    return proc.returncode == 0


def archive(repo: Path, commit: str, dest: Path) -> tuple[int, int]:
    """The tracked files of `commit` (of `repo`'s directory, when it is a subdirectory) into `dest`,
    streamed through `git archive`; returns (files, bytes). Refuses absolute paths and `..`."""
    prefix = git(repo, "rev-parse", "--show-prefix").strip()
    top = git(repo, "rev-parse", "--show-toplevel").strip()
    dest.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        ["git", "-C", top, "archive", "--format=tar", f"{commit}:{prefix}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    files = size = 0
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                tar.extract(member, dest, filter="tar")
                if member.isfile() or member.issym():
                    files += 1
                    size += member.size
    except tarfile.ReadError:
        pass  # git wrote nothing: its error is read below
    except BaseException:
        # interrupted (a signal to this process only): git may be blocked writing into the pipe no
        # one reads any more, so reading its stderr to the end would wait forever; end it instead
        with shield():
            proc.stdout.close()
            stop(proc, grace=5)
            if proc.stderr:
                proc.stderr.close()
        raise
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    returncode = proc.wait()
    if returncode != 0:
        raise GitError(f"git archive {commit[:12]} failed in {repo}: {_last_line(stderr)}")
    return files, size


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "no error message"
