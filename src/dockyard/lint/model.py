"""The linter's vocabulary: rules (what can be wrong) and findings (where it is wrong)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Most to least severe; hadolint's levels are the same four words.
# error: the image breaks or misbehaves (never healthy, the build fails, secrets shipped, a
# periodic task runs twice); warning: the image works but breaks a policy the project chose.
# Errors fail the run; warnings only with --strict (or `strict = true`).
SEVERITIES = ("error", "warning", "info", "style")


def severity_rank(level: str) -> int:
    """0 for "error" .. 3 for "style"; unknown levels rank last."""
    return SEVERITIES.index(level) if level in SEVERITIES else len(SEVERITIES)


@dataclass(frozen=True)
class Rule:
    """One kind of mistake: an id, a short name, and what to tell the user about it."""

    id: str  # "DY001"
    name: str  # "runtime-root-user"
    severity: str  # one of SEVERITIES
    summary: str  # one line: what the rule finds
    why: str  # why it matters
    fix: str  # what to change
    default: bool = True  # False: opt-in (`[tool.dockyard.lint] enable`)


@dataclass(frozen=True)
class LintFinding:
    """One place where a rule fires."""

    rule: str  # a Rule id, or a hadolint code such as "DL3008"
    path: Path
    line: int
    message: str
    severity: str = "warning"
    source: str = "dockyard"  # or "hadolint"
    # Equivalent findings of other tools merged into this one, e.g. ("hadolint DL3009",).
    also: tuple[str, ...] = field(default=())

    def sort_key(self) -> tuple[str, int, str]:
        return (str(self.path), self.line, self.rule)
