"""What init writes is clean: `invoke lint` (rules and hadolint when installed) finds nothing in it."""

from __future__ import annotations

import pytest
from support.samples import pre_migration_copy, reference_copy

from dockyard.cli.app import main
from dockyard.core.settings import LintSettings
from dockyard.lint.hadolint import find_hadolint
from dockyard.lint.runner import lint_directory


@pytest.mark.parametrize("name", ["ledger", "kanban", "refsite"])
def test_lint_finds_nothing_in_inits_output(name, tmp_path):
    root = reference_copy(tmp_path) if name == "refsite" else pre_migration_copy(name, tmp_path)
    assert main(["init", "--root", str(root), "--yes"]) == 0
    result = lint_directory(root / "deployment", root, LintSettings())
    assert [f"{f.path.name}:{f.line}: {f.rule} {f.message}" for f in result.findings] == []
    assert {p.name for p in result.files} >= {
        "Dockerfile.multistage",
        "docker-bake.multistage.hcl",
        "docker-compose.test.yml",
        "docker-entrypoint.sh",
    }
    if find_hadolint():
        assert result.hadolint == "ran"
