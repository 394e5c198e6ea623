"""The isolated build context, against real git repositories in a temporary directory."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from support.git import git

from dockyard.docker.git import GitError, tracked_paths
from dockyard.images.export import ExportError, export_tree, isolated_context


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "views.py").write_text("v1\n")
    (root / "entry.sh").write_text("#!/bin/sh\n")
    (root / "entry.sh").chmod(0o755)
    (root / ".gitignore").write_text(".env\nnode_modules/\n")
    os.symlink("app/views.py", root / "link.py")
    git(root, "init", "-q")
    git(root, "add", "-A")
    (root / ".env").write_text("SECRET=1\n")  # ignored
    (root / "node_modules").mkdir()
    (root / "node_modules" / "x.js").write_text("x")  # ignored
    (root / "app" / "scratch.py").write_text("untracked\n")  # untracked
    return root


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def test_worktree_export_has_tracked_files_only(repo, tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    export = export_tree(repo, dest)
    assert files_under(dest) == {"app/views.py", "entry.sh", ".gitignore", "link.py"}
    assert export.files == 4 and export.source == "worktree"


def test_worktree_export_takes_working_tree_content_mode_and_symlinks(repo, tmp_path):
    (repo / "app" / "views.py").write_text("v2 uncommitted\n")
    dest = tmp_path / "out"
    dest.mkdir()
    export_tree(repo, dest)
    assert (dest / "app" / "views.py").read_text() == "v2 uncommitted\n"
    assert (dest / "entry.sh").stat().st_mode & stat.S_IXUSR
    assert os.readlink(dest / "link.py") == "app/views.py"


def test_tracked_file_deleted_from_the_working_tree_is_left_out(repo, tmp_path):
    (repo / "entry.sh").unlink()
    dest = tmp_path / "out"
    dest.mkdir()
    export = export_tree(repo, dest)
    assert export.missing == ["entry.sh"] and not (dest / "entry.sh").exists()


def test_head_export_is_the_last_commit(repo, tmp_path):
    git(repo, "commit", "-q", "-m", "one")
    (repo / "app" / "views.py").write_text("v2 uncommitted\n")
    dest = tmp_path / "out"
    dest.mkdir()
    export = export_tree(repo, dest, source="head")
    assert (dest / "app" / "views.py").read_text() == "v1\n"
    assert files_under(dest) == {"app/views.py", "entry.sh", ".gitignore", "link.py"}
    assert (dest / "entry.sh").stat().st_mode & stat.S_IXUSR
    assert export.files == 4


def test_subdirectory_project_exports_relative_to_itself(repo, tmp_path):
    git(repo, "commit", "-q", "-m", "one")
    for source in ("worktree", "head"):
        dest = tmp_path / source
        dest.mkdir()
        export_tree(repo / "app", dest, source=source)
        assert files_under(dest) == {"views.py"}
    assert tracked_paths(repo / "app") == ["views.py"]


def test_head_without_commit_is_a_clear_error(repo, tmp_path):
    with pytest.raises(GitError, match="has no commit yet"):
        export_tree(repo, tmp_path, source="head")


def test_not_a_repository_and_nothing_tracked(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError, match="is not in a git repository"):
        export_tree(plain, tmp_path)
    git(plain, "init", "-q")
    with pytest.raises(ExportError, match="git tracks no files"):
        export_tree(plain, tmp_path)


def test_unknown_source(repo, tmp_path):
    with pytest.raises(ExportError, match="unknown export source 'index'"):
        export_tree(repo, tmp_path, source="index")


def test_isolated_context_is_removed_on_error_too(repo, tmp_path):
    with pytest.raises(RuntimeError), isolated_context(repo, parent=tmp_path) as export:
        seen = export.root
        assert (seen / "app" / "views.py").is_file()
        raise RuntimeError("build failed")
    assert not seen.exists()
