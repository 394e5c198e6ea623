"""A throwaway git repository holding the project's image sources, for end-to-end runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.git import git

from dockyard.core.project import Project

SOURCES = ["app", "deployment", "pyproject.toml", ".dockerignore", ".gitignore"]



@pytest.fixture
def repo(project: Project, tmp_path: Path) -> Path:
    """What a clone would hold of app/ and deployment/ (tracked, plus not yet added but not
    ignored files of this checkout), as a fresh repository with everything added to the index."""
    dest = tmp_path / "repo"
    dest.mkdir()
    listed = git(project.root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *SOURCES)
    for rel in filter(None, listed.split("\0")):
        src = project.root / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    return dest
