"""Lint a deployment directory: discover, parse, run the rules and hadolint, apply suppressions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.errors import CheckFailed, ConfigError
from dockyard.core.settings import LintSettings
from dockyard.lint import hadolint
from dockyard.lint.deployment import Deployment, load_deployment
from dockyard.lint.external import StartedTools, start_tools
from dockyard.lint.ignores import EXTERNAL_CODE, InlineIgnores
from dockyard.lint.model import LintFinding, severity_rank
from dockyard.lint.rules import CHECKS, RULES, LintContext


class LintFailed(CheckFailed):
    """The linter found something that fails the run (exit code 1)."""


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
    strict: bool = False  # warnings fail the run too

    @property
    def failing(self) -> list[LintFinding]:
        """The findings that make the run fail: errors, and with `strict` everything."""
        return [f for f in self.findings if self.strict or f.severity == "error"]

    @property
    def failed(self) -> bool:
        return bool(self.failing)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def selected_rules(options: LintSettings) -> tuple[set[str], set[str], set[str], set[str]]:
    """(dockyard rule ids to run, hadolint codes enabled, codes disabled, every id switched off).
    An id that is neither a rule id, a rule name nor a hadolint/shellcheck code is a ConfigError."""
    by_name = {rule.name.upper(): rule.id for rule in RULES.values()}

    def resolve(values: tuple[str, ...], key: str) -> set[str]:
        out = set()
        for value in values:
            upper = value.strip().upper()
            rule_id = by_name.get(upper, upper)
            if rule_id not in RULES and not EXTERNAL_CODE.match(rule_id):
                known = ", ".join(sorted(RULES))
                raise ConfigError(
                    f"[tool.dockyard.lint] {key}: {value!r} is neither a rule id or name ({known}) "
                    f"nor a hadolint code (DL3008)"
                )
            out.add(rule_id)
        return out

    disabled = resolve(options.disable, "disable")
    enabled = resolve(options.enable, "enable")
    run = {r.id for r in RULES.values() if (r.default or r.id in enabled) and r.id not in disabled}
    external_enabled = {e for e in enabled if EXTERNAL_CODE.match(e)} - disabled
    external_disabled = {d for d in disabled if EXTERNAL_CODE.match(d)}
    return run, external_enabled, external_disabled, disabled | ({r for r in RULES} - run)


def lint_directory(
    directory: Path,
    root: Path,
    options: LintSettings,
    *,
    run_hadolint: bool = True,
    preferred: dict[str, str] | None = None,
    started: StartedTools | None = None,
    strict: bool | None = None,
) -> LintResult:
    """Lint the deployment files in `directory`; `root` is where bake resolves relative contexts.
    `started`: the tools `start_tools` already launched for this directory."""
    if started is None:
        started = start_tools(directory, root, options, run_hadolint=run_hadolint, preferred=preferred)
    try:
        return _lint(directory, root, options, started, strict)
    except BaseException:
        started.stop()
        raise


def _lint(directory: Path, root: Path, options: LintSettings, started: StartedTools, strict: bool | None) -> LintResult:
    run_ids, hadolint_on, hadolint_off, switched_off = selected_rules(options)
    files = started.files

    deployment = load_deployment(files, root, options, started.bakes)
    processes = started.hadolint
    if processes is not None:  # Dockerfiles that bake or compose pointed at outside the directory
        started_for = {p for p, _ in processes}
        extra = [p for p in deployment.dockerfiles if p not in started_for]
        processes += hadolint.start(extra, started.hadolint_ignore) or []

    context = LintContext(deployment=deployment, options=options)
    own: list[LintFinding] = [f for f in deployment.problems if f.rule not in switched_off]
    for rule, check in CHECKS:
        if rule.id in run_ids:
            own.extend(check(context))

    if started.hadolint_wanted:
        run = hadolint.collect(processes)
        theirs, reconciled = hadolint.reconcile(run.findings, deployment.dockerfiles)
        wanted = None if options.hadolint_rules == "all" else set(hadolint.RECOMMENDED) | hadolint_on
        findings = hadolint.merge(own, theirs, options.hadolint_threshold, wanted)
        status, notes = run.status, run.notes + reconciled
    else:
        findings, status, notes = own, "disabled", []
    findings = [f for f in findings if f.rule.upper() not in hadolint_off]
    findings = _unique(findings)
    ignores = InlineIgnores(
        {r.id: r.name for r in RULES.values()},
        {code: rule for code, rule in hadolint.SUPERSEDED_BY.items()},
        _instruction_start(deployment),
    )
    lint_files = sorted(
        {
            *deployment.dockerfiles,
            *(b.path for b in deployment.bakes),
            *(c.path for c in deployment.composes),
            *files.scripts,
        }
    )
    ignores.scan(lint_files)
    findings, suppressed = ignores.filter(findings)
    findings.sort(key=lambda f: (f.sort_key(), severity_rank(f.severity)))

    shipped = [f"{s.dockerfile.path.name}:{s.stage.label} ({s.via})" for s in deployment.shipped]
    return LintResult(
        directory=directory,
        findings=findings,
        files=[Path(p) for p in lint_files],
        shipped=shipped,
        hadolint=status,
        bake_parser=deployment.bake_parser,
        suppressed=suppressed,
        notes=deployment.notes + notes + ignores.unknown,
        elapsed_s=time.perf_counter() - started.started_at,
        strict=options.strict if strict is None else strict,
    )


def _unique(findings: list[LintFinding]) -> list[LintFinding]:
    """One finding per (file, line, rule): a YAML merge key or a shared stage repeats them."""
    seen: set[tuple[str, int, str]] = set()
    out = []
    for finding in findings:
        key = (str(finding.path), finding.line, finding.rule)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def _instruction_start(deployment: Deployment):  # noqa: ANN202
    """(path, line) -> the first line of the Dockerfile instruction that spans `line`."""

    def start_of(path: Path, line: int) -> int:
        dockerfile = deployment.dockerfiles.get(path)
        if dockerfile is None:
            return line
        for stage in dockerfile.stages:
            for instruction in (stage.from_instruction, *stage.instructions):
                if instruction.line <= line <= instruction.end_line:
                    return instruction.line
        for instruction in dockerfile.global_args:
            if instruction.line <= line <= instruction.end_line:
                return instruction.line
        return line

    return start_of
