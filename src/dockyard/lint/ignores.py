"""Inline suppressions: `# dockyard: ignore=ID[,ID]` on the finding's line or the line before
(before the instruction's first line, for a finding inside a multi-line instruction). A
`# hadolint ignore=DL3009` there also silences the dockyard rule that replaces DL3009 (DY013)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from dockyard.lint.model import LintFinding

_DIRECTIVE = re.compile(r"(?:#|//)\s*dockyard:\s*ignore\s*=\s*(?P<ids>[\w-]+(?:\s*,\s*[\w-]+)*)")
_HADOLINT = re.compile(r"#\s*hadolint\s+ignore\s*=\s*(?P<ids>[\w-]+(?:\s*,\s*[\w-]+)*)")
EXTERNAL_CODE = re.compile(r"^(?:DL|SC)\d{4}$")  # hadolint's and shellcheck's codes


def directives(lines: list[str]) -> dict[int, set[str]]:
    """Line number (1-based) -> the ids ignored by a directive on that line."""
    out: dict[int, set[str]] = {}
    for number, line in enumerate(lines, start=1):
        match = _DIRECTIVE.search(line)
        if match:
            out[number] = {part.strip().upper() for part in match.group("ids").split(",") if part.strip()}
    return out


def hadolint_directives(lines: list[str]) -> dict[int, set[str]]:
    """Line number -> the hadolint codes a `# hadolint ignore=...` comment on that line names."""
    out: dict[int, set[str]] = {}
    for number, line in enumerate(lines, start=1):
        match = _HADOLINT.search(line)
        if match:
            out[number] = {part.strip().upper() for part in match.group("ids").split(",") if part.strip()}
    return out


class InlineIgnores:
    """`names`: rule id -> name; `superseding`: hadolint code -> the dockyard rule replacing it;
    `start_of`: the first line of the instruction a (path, line) is in, for Dockerfiles."""

    def __init__(
        self,
        names: dict[str, str],
        superseding: dict[str, str] | None = None,
        start_of: Callable[[Path, int], int] | None = None,
    ) -> None:
        self._names = {name.upper(): rule_id for rule_id, name in names.items()}  # rule name -> id
        self._known = set(names)
        self._superseding = superseding or {}
        self._start_of = start_of or (lambda path, line: line)
        self._cache: dict[Path, dict[int, set[str]]] = {}
        self.unknown: list[str] = []  # "path:line: ignore=XYZ names no rule"

    def _for(self, path: Path) -> dict[int, set[str]]:
        if path not in self._cache:
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                lines = []
            table: dict[int, set[str]] = {}
            for line, ids in directives(lines).items():
                resolved = {self._names.get(i, i) for i in ids}
                for rule_id in sorted(resolved):
                    if rule_id not in self._known and not EXTERNAL_CODE.match(rule_id):
                        self.unknown.append(f"{path}:{line}: `dockyard: ignore={rule_id}` names no rule")
                table[line] = resolved
            for line, codes in hadolint_directives(lines).items():
                replaced = {self._superseding[c] for c in codes if c in self._superseding}
                table[line] = table.get(line, set()) | codes | replaced
            self._cache[path] = table
        return self._cache[path]

    def scan(self, paths: Iterable[Path]) -> None:
        """Read the directives of `paths` (so unknown ids are reported even where nothing fired)."""
        for path in paths:
            self._for(path)

    def suppresses(self, finding: LintFinding) -> bool:
        table = self._for(finding.path)
        rule = finding.rule.upper()
        start = self._start_of(finding.path, finding.line)
        lines = {finding.line, finding.line - 1, start, start - 1}
        return any(rule in table.get(line, ()) for line in lines)

    def filter(self, findings: Iterable[LintFinding]) -> tuple[list[LintFinding], int]:
        kept, dropped = [], 0
        for finding in findings:
            if self.suppresses(finding):
                dropped += 1
            else:
                kept.append(finding)
        return kept, dropped
