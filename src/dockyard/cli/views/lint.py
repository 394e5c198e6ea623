"""`invoke lint` for people: linter lines, a summary table; and the JSON and SARIF outputs written.

Everything taken from the files (paths, messages, notes) is printed as `rich.text.Text`: neither
markup nor emoji codes are read in it (`Dockerfile:100:` stays itself, not "Dockerfile💯")."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dockyard.core.errors import DockyardError
from dockyard.lint.model import Rule
from dockyard.lint.output import display_path, finding_line, to_json, to_sarif
from dockyard.lint.runner import LintResult


def render_text(result: LintResult, console: Console, rules: dict[str, Rule], base: Path | None = None) -> None:
    for finding in result.findings:
        console.print(Text(finding_line(finding, base)), highlight=False, soft_wrap=True)
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
            table.add_row(Text(rule_id), Text(name), Text(severities[rule_id], style=style), str(count))
        console.print(table)
    console.print(_summary_line(result, base), highlight=False, soft_wrap=True)
    for note in result.notes:
        console.print(Text.assemble(("note:", "dim"), " ", note), highlight=False, soft_wrap=True)


def _summary_line(result: LintResult, base: Path | None) -> Text:
    where = display_path(result.directory, base)
    parts = [f"{len(result.files)} file(s)", f"hadolint {result.hadolint}"]
    if result.bake_parser:
        parts.append(f"bake read with {result.bake_parser}")
    if result.suppressed:
        parts.append(f"{result.suppressed} suppressed inline")
    parts.append(f"{result.elapsed_s:.2f} s")
    if not result.findings:
        return Text.assemble((f"{where}: no findings", "green"), f" ({', '.join(parts)})")
    by_level = Counter(f.severity for f in result.findings)
    levels = ", ".join(f"{n} {level}{'s' if n != 1 else ''}" for level, n in sorted(by_level.items()))
    style = "red" if result.failed else "yellow"
    verdict = "" if result.failed else "; warnings do not fail the run without --strict"
    return Text.assemble(
        (f"{where}: {len(result.findings)} finding(s)", style), f" ({levels}; {', '.join(parts)}{verdict})"
    )


def print_lint_result(
    result: LintResult,
    root: Path,
    console: Console,
    *,
    as_json: bool = False,
    sarif: str | None = None,
) -> None:
    """Write the SARIF file when asked, then print JSON or the text report to `console`'s stream."""
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
