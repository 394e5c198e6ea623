"""A LintResult as data: `path:line: ID message` lines, JSON, and SARIF 2.1.0 for code scanning.

The text report for people is dockyard.cli.views.lint."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from dockyard import __version__
from dockyard.lint.model import LintFinding, Rule
from dockyard.lint.runner import LintResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
HADOLINT_WIKI = "https://github.com/hadolint/hadolint/wiki/"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note", "style": "note"}


def display_path(path: Path, base: Path | None = None) -> str:
    """`path` relative to `base` (the working directory) when it is below it."""
    base = base or Path.cwd()
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return os.path.relpath(path) if not path.is_absolute() else str(path)


def finding_line(finding: LintFinding, base: Path | None = None) -> str:
    return f"{display_path(finding.path, base)}:{finding.line}: {finding.rule} {finding.message}"


def to_json(result: LintResult, rules: dict[str, Rule], base: Path | None = None) -> dict[str, Any]:
    return {
        "directory": display_path(result.directory, base),
        "files": [display_path(p, base) for p in result.files],
        "shipped": result.shipped,
        "hadolint": result.hadolint,
        "bake_parser": result.bake_parser,
        "suppressed": result.suppressed,
        "failed": result.failed,
        "elapsed_s": round(result.elapsed_s, 3),
        "notes": result.notes,
        "summary": {"total": len(result.findings), **Counter(f.severity for f in result.findings)},
        "findings": [
            {
                "path": display_path(f.path, base),
                "line": f.line,
                "rule": f.rule,
                "name": rules[f.rule].name if f.rule in rules else None,
                "severity": f.severity,
                "message": f.message,
                "source": f.source,
                "also": list(f.also),
            }
            for f in result.findings
        ],
    }


def to_sarif(result: LintResult, rules: dict[str, Rule], root: Path) -> dict[str, Any]:
    """One SARIF run; hadolint's codes appear as rules of their own with a link to its wiki."""
    descriptors: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for rule in sorted(rules.values(), key=lambda r: r.id):
        index[rule.id] = len(descriptors)
        descriptors.append(
            {
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.why},
                "help": {
                    "text": rule.fix,
                    "markdown": f"**Why:** {rule.why}\n\n**Fix:** {rule.fix}",
                },
                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
            }
        )
    results = []
    for finding in result.findings:
        if finding.rule not in index:  # a hadolint code
            index[finding.rule] = len(descriptors)
            descriptors.append(
                {
                    "id": finding.rule,
                    "name": f"hadolint-{finding.rule}",
                    "shortDescription": {"text": finding.message},
                    "helpUri": HADOLINT_WIKI + finding.rule,
                    "properties": {"source": "hadolint"},
                }
            )
        location = _artifact(finding.path, root)
        results.append(
            {
                "ruleId": finding.rule,
                "ruleIndex": index[finding.rule],
                "level": _SARIF_LEVEL.get(finding.severity, "warning"),
                "message": {"text": finding.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": location,
                            "region": {"startLine": finding.line},
                        }
                    }
                ],
                **({"properties": {"alsoReportedBy": list(finding.also)}} if finding.also else {}),
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dockyard-lint",
                        "version": __version__,
                        "rules": descriptors,
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": root.resolve().as_uri() + "/"}},
                "results": results,
            }
        ],
    }


def _artifact(path: Path, root: Path) -> dict[str, str]:
    try:
        return {
            "uri": path.resolve().relative_to(root.resolve()).as_posix(),
            "uriBaseId": "SRCROOT",
        }
    except ValueError:
        return {"uri": path.resolve().as_uri()}


def failure_message(result: LintResult) -> str:
    failing = result.failing
    errors = sum(1 for f in failing if f.severity == "error")
    if result.strict and len(failing) != errors:
        return f"{len(failing)} finding(s) in {display_path(result.directory)} (--strict: warnings fail too)"
    return f"{errors} error(s) in {display_path(result.directory)}"
