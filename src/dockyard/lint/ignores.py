"""Inline suppressions: `# dockyard: ignore=ID[,ID]` on the finding's line or the line before."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from dockyard.lint.model import LintFinding

_DIRECTIVE = re.compile(r"(?:#|//)\s*dockyard:\s*ignore\s*=\s*(?P<ids>[\w-]+(?:\s*,\s*[\w-]+)*)")


def directives(lines: list[str]) -> dict[int, set[str]]:
    """Line number (1-based) -> the ids ignored by a directive on that line."""
    out: dict[int, set[str]] = {}
    for number, line in enumerate(lines, start=1):
        match = _DIRECTIVE.search(line)
        if match:
            out[number] = {part.strip().upper() for part in match.group("ids").split(",") if part.strip()}
    return out


class InlineIgnores:
    def __init__(self, names: dict[str, str]) -> None:
        self._names = {name.upper(): rule_id for rule_id, name in names.items()}  # rule name -> id
        self._cache: dict[Path, dict[int, set[str]]] = {}

    def _for(self, path: Path) -> dict[int, set[str]]:
        if path not in self._cache:
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            self._cache[path] = {line: {self._names.get(i, i) for i in ids} for line, ids in directives(lines).items()}
        return self._cache[path]

    def suppresses(self, finding: LintFinding) -> bool:
        table = self._for(finding.path)
        rule = finding.rule.upper()
        return any(rule in table.get(line, ()) for line in (finding.line, finding.line - 1))

    def filter(self, findings: Iterable[LintFinding]) -> tuple[list[LintFinding], int]:
        kept, dropped = [], 0
        for finding in findings:
            if self.suppresses(finding):
                dropped += 1
            else:
                kept.append(finding)
        return kept, dropped
