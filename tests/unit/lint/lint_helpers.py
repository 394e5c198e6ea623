"""Helpers for the linter tests: lint a fixture directory, read its `# expect: ID` markers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dockyard.lint.config import DEFAULTS
from dockyard.lint.runner import LintResult, lint_directory

FIXTURES = Path(__file__).parent / "fixtures"

# `# expect: DY004` names the next line that is not a comment or blank;
# `# expect: DY000@3` names line 3.
_EXPECT = re.compile(r"(?:#|//)\s*expect:\s*(?P<id>[A-Z]+\d+)(?:@(?P<line>\d+))?")


def expected_findings(directory: Path) -> set[tuple[str, int, str]]:
    """(file name, line, rule id) for every marker in the files under `directory`."""
    expected = set()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            match = _EXPECT.search(line)
            if not match:
                continue
            if match.group("line"):
                target = int(match.group("line"))
            else:
                target = next(
                    n
                    for n in range(number + 1, len(lines) + 1)
                    if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith(("#", "//"))
                )
            expected.add((str(path.relative_to(directory)), target, match.group("id")))
    return expected


def found_findings(result: LintResult, directory: Path) -> set[tuple[str, int, str]]:
    return {(str(f.path.resolve().relative_to(directory.resolve())), f.line, f.rule) for f in result.findings}


def run_lint(directory: Path, **options) -> LintResult:
    merged = {**DEFAULTS, **options}
    return lint_directory(directory, directory, merged, run_hadolint=bool(options.get("hadolint", False)))


def buildx_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "buildx", "version"], capture_output=True, text=True)
    return probe.returncode == 0


BAKE_PARSERS = [
    pytest.param(
        "buildx",
        marks=pytest.mark.skipif(not buildx_available(), reason="docker buildx is not installed"),
    ),
    "hcl2",
]
