"""Helpers for the linter tests: lint a fixture directory, read its `# expect: ID` markers."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from support.tools import buildx_available

from dockyard.core.settings import LintSettings, load_settings
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


def fixture_options(directory: Path) -> dict:
    """A fixture's own `[tool.dockyard.lint]` (its pyproject.toml), e.g. a uid policy or an opt-in rule."""
    pyproject = directory / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    return tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("dockyard", {}).get("lint", {})


def run_lint(directory: Path, **options) -> LintResult:
    settings = load_settings({"lint": {"hadolint": False, **fixture_options(directory), **options}}).lint
    return lint_directory(directory, directory, settings, run_hadolint=settings.hadolint)


def lint_settings(**options) -> LintSettings:
    return load_settings({"lint": options}).lint


BAKE_PARSERS = [
    pytest.param(
        "buildx",
        marks=pytest.mark.skipif(not buildx_available(), reason="docker buildx is not installed"),
    ),
    "hcl2",
]
