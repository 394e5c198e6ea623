"""Lint a deployment directory: discover, parse, run the rules and hadolint, apply suppressions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.errors import CheckFailed
from dockyard.core.settings import LintSettings
from dockyard.lint import hadolint
from dockyard.lint.deployment import load_deployment
from dockyard.lint.external import StartedTools, start_tools
from dockyard.lint.ignores import InlineIgnores
from dockyard.lint.model import LintFinding, severity_rank
from dockyard.lint.rules import CHECKS, RULES, LintContext


class LintFailed(CheckFailed):
    """The linter found something (exit code 1)."""


@dataclass
class LintResult:
    directory: Path
    findings: list[LintFinding]
    files: list[Path]
    shipped: list[str]  # "runtime-full (bake target 'web')"
    hadolint: str  # "ran", "not installed", "disabled"
    bake_parser: str | None
    suppressed: int = 0
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.findings)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def lint_directory(
    directory: Path,
    root: Path,
    options: LintSettings,
    *,
    run_hadolint: bool = True,
    preferred: dict[str, str] | None = None,
    started: StartedTools | None = None,
) -> LintResult:
    """Lint the deployment files in `directory`; `root` is where bake resolves relative contexts.
    `started`: the tools `start_tools` already launched for this directory."""
    if started is None:
        started = start_tools(directory, root, options, run_hadolint=run_hadolint, preferred=preferred)
    files = started.files
    disabled = {d.upper() for d in options.disable}
    by_name = {rule.name.upper(): rule.id for rule in RULES.values()}
    disabled |= {by_name[d] for d in disabled if d in by_name}

    deployment = load_deployment(files, root, options, started.bakes)
    processes = started.hadolint
    if processes is not None:  # Dockerfiles that bake or compose pointed at outside the directory
        started_for = {p for p, _ in processes}
        extra = [p for p in deployment.dockerfiles if p not in started_for]
        processes += hadolint.start(extra, started.hadolint_ignore) or []

    context = LintContext(deployment=deployment, options=options)
    own: list[LintFinding] = [f for f in deployment.problems if f.rule not in disabled]
    for rule, check in CHECKS:
        if rule.id not in disabled:
            own.extend(check(context))

    if started.hadolint_wanted:
        run = hadolint.collect(processes)
        theirs, reconciled = hadolint.reconcile(run.findings, deployment.dockerfiles)
        findings = hadolint.merge(own, theirs, options.hadolint_threshold)
        status, notes = run.status, run.notes + reconciled
    else:
        findings, status, notes = own, "disabled", []
    findings = [f for f in findings if f.rule.upper() not in disabled]
    findings, suppressed = InlineIgnores({r.id: r.name for r in RULES.values()}).filter(findings)
    findings.sort(key=lambda f: (f.sort_key(), severity_rank(f.severity)))

    shipped = [f"{s.dockerfile.path.name}:{s.stage.label} ({s.via})" for s in deployment.shipped]
    lint_files = sorted(
        {
            *deployment.dockerfiles,
            *(b.path for b in deployment.bakes),
            *(c.path for c in deployment.composes),
            *files.scripts,
        }
    )
    return LintResult(
        directory=directory,
        findings=findings,
        files=[Path(p) for p in lint_files],
        shipped=shipped,
        hadolint=status,
        bake_parser=deployment.bake_parser,
        suppressed=suppressed,
        notes=deployment.notes + notes,
        elapsed_s=time.perf_counter() - started.started_at,
    )
