"""Render a LintResult: linter lines with a rich summary, JSON, or SARIF 2.1.0 for code scanning."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from dockyard import __version__
from dockyard.lint.model import Finding, Rule
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


def finding_line(finding: Finding, base: Path | None = None) -> str:
    return f"{display_path(finding.path, base)}:{finding.line}: {finding.rule} {finding.message}"


def render_text(result: LintResult, console: Console, rules: dict[str, Rule], base: Path | None = None) -> None:
    for finding in result.findings:
        console.print(finding_line(finding, base), markup=False, highlight=False, soft_wrap=True)
    if result.findings:
        console.print()
        table = Table(title=None, show_edge=False, pad_edge=False)
        table.add_column("rule")
        table.add_column("name")
        table.add_column("severity")
        table.add_column("count", justify="right")
        counts = Counter(f.rule for f in result.findings)
        severities = {f.rule: f.severity for f in result.findings}
        for rule_id, count in sorted(counts.items()):
            rule = rules.get(rule_id)
            name = rule.name if rule else "hadolint"
            style = {"error": "red", "warning": "yellow"}.get(severities[rule_id], "cyan")
            table.add_row(rule_id, name, f"[{style}]{severities[rule_id]}[/]", str(count))
        console.print(table)
    console.print(_summary_line(result, base), highlight=False, soft_wrap=True)
    for note in result.notes:
        console.print(f"[dim]note:[/] {note}", highlight=False, soft_wrap=True)


def _summary_line(result: LintResult, base: Path | None) -> str:
    where = display_path(result.directory, base)
    parts = [f"{len(result.files)} file(s)", f"hadolint {result.hadolint}"]
    if result.bake_parser:
        parts.append(f"bake read with {result.bake_parser}")
    if result.suppressed:
        parts.append(f"{result.suppressed} suppressed inline")
    parts.append(f"{result.elapsed_s:.2f} s")
    if not result.findings:
        return f"[green]{where}: no findings[/] ({', '.join(parts)})"
    by_level = Counter(f.severity for f in result.findings)
    levels = ", ".join(f"{n} {level}{'s' if n != 1 else ''}" for level, n in sorted(by_level.items()))
    return f"[red]{where}: {len(result.findings)} finding(s)[/] ({levels}; {', '.join(parts)})"


def to_json(result: LintResult, rules: dict[str, Rule], base: Path | None = None) -> dict[str, Any]:
    return {
        "directory": display_path(result.directory, base),
        "files": [display_path(p, base) for p in result.files],
        "shipped": result.shipped,
        "hadolint": result.hadolint,
        "bake_parser": result.bake_parser,
        "suppressed": result.suppressed,
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


def emit(
    result: LintResult,
    root: Path,
    console: Console,
    *,
    as_json: bool = False,
    sarif: str | None = None,
) -> None:
    """Write the SARIF file when asked, then print JSON or the text report to `console`'s stream."""
    import json

    from dockyard.core.errors import DockyardError
    from dockyard.lint.rules import RULES

    if sarif:
        target = Path(sarif)
        try:
            target.write_text(json.dumps(to_sarif(result, RULES, root), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise DockyardError(f"cannot write SARIF to {target}: {exc.strerror or exc}") from None
    if as_json:
        console.file.write(json.dumps(to_json(result, RULES), indent=2) + "\n")
    else:
        render_text(result, console, RULES)


def failure_message(result: LintResult) -> str:
    return f"{len(result.findings)} finding(s) in {display_path(result.directory)}"
