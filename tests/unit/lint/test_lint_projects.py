"""Whole projects (tests/unit/lint/projects/): where the linted directory is not the build context."""

from __future__ import annotations

import shutil
from pathlib import Path

from lint_helpers import lint_settings

from dockyard.lint.runner import lint_directory

PROJECTS = Path(__file__).parent / "projects"


def test_a_dockerfile_in_docker_is_built_from_the_repository_root(tmp_path: Path) -> None:
    """Issue 13: with docker/Dockerfile linted on its own, the context was taken to be docker/ (no
    .dockerignore there: a false DY012); its COPY sources exist at the root, so the root it is."""
    root = tmp_path / "project"
    shutil.copytree(PROJECTS / "guessed-context", root)
    options = lint_settings(hadolint=False)
    result = lint_directory(root / "docker", root, options, run_hadolint=False)
    assert result.findings == []
    assert result.shipped == ["Dockerfile:0 (the last stage, which a plain docker build makes)"]
    # the same file without the allow-list at the root: the leak is real, and reported on its line
    (root / ".dockerignore").write_text(".git\n", encoding="utf-8")
    result = lint_directory(root / "docker", root, options, run_hadolint=False)
    assert [(f.path.name, f.line, f.rule) for f in result.findings] == [("Dockerfile", 7, "DY012")]
    assert "/srv/api/.env" in result.findings[0].message
