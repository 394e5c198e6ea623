"""Precision and recall of dockyard's linter on a corpus of projects written in the style of real ones.

    python bench/lint_precision.py [--json] [--min-precision PCT] [--show unexpected|missed|all]
                                   [--project NAME ...] [--corpus DIR]

Each project under bench/lint_corpus/ is linted through the public CLI (`python -m dockyard.lint --json
--path DIR`, run from the project's directory, so the project's own pyproject.toml is the configuration).
Every finding is matched against bench/lint_corpus/labels.toml, where a maintainer listed the problems
they would fix (file, line, rule) and the findings they would not act on (noise):

- a finding is *expected* when a labelled problem names its file, its rule and its line (each label
  absorbs one finding: a second identical finding is a duplicate, and unexpected);
- every other finding is *unexpected*: known noise when labels.toml says why, else "unreviewed"
  (someone must label it: a real problem the labels missed, or noise);
- a problem is *found* when at least one finding matched it.

precision = expected findings / all findings; recall = problems found / problems. Per rule, precision
counts the findings of that rule and recall the problems whose primary rule it is (found by that rule).
Hadolint findings merged by the CLI count under their DL codes. This is a measurement: the exit code
is 0 unless --min-precision is given and not met (1), or the corpus cannot be linted or read (2).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent / "lint_corpus"
LINT_TIMEOUT_S = 120
# The linter interpolates compose and bake files from the environment and finds its project through
# DOCKYARD_ROOT: it runs with only these variables, so a developer's shell cannot change the figures.
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "DOCKER_HOST", "DOCKER_CONFIG", "BUILDX_CONFIG")


class BenchError(Exception):
    """The corpus cannot be read or linted: one line for the user."""


# --- labels --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expectation:
    """A finding that would report a labelled problem: this rule, in this file, on one of these lines."""

    rule: str
    file: str
    lines: tuple[int, ...]

    def matches(self, finding: Finding) -> bool:
        return finding.rule == self.rule and finding.path == self.file and finding.line in self.lines


@dataclass(frozen=True)
class Problem:
    key: str
    why: str
    primary: Expectation
    also: tuple[Expectation, ...] = ()  # other rules or places that report the same problem

    @property
    def expectations(self) -> tuple[Expectation, ...]:
        return (self.primary, *self.also)


@dataclass(frozen=True)
class Noise:
    rule: str
    file: str
    lines: tuple[int, ...]
    why: str


@dataclass
class Project:
    name: str
    lint_path: str
    style: str
    problems: list[Problem] = field(default_factory=list)
    noise: list[Noise] = field(default_factory=list)
    held_out: bool = False  # written and labelled after the rules were finished


def load_labels(path: Path, corpus: Path | None = None) -> list[Project]:
    """Read labels.toml; with `corpus`, also check each label's anchor text against the file it names."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BenchError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BenchError(f"{path}: not valid TOML ({exc})") from None
    projects = []
    for name, body in (data.get("projects") or {}).items():
        where = f"{path.name} [projects.{name}]"
        project = Project(
            name=name,
            lint_path=str(body.get("lint", ".")),
            style=str(body.get("style", "")),
            held_out=bool(body.get("held_out", False)),
        )
        for raw in body.get("problem", []):
            key = _required(raw, "key", where)
            label = f"{where} problem {key!r}"
            primary = _expectation(raw, label)
            also = tuple(_expectation({"file": primary.file, **extra}, label) for extra in raw.get("also", []))
            project.problems.append(Problem(key, str(raw.get("why", "")), primary, also))
            if corpus is not None:
                _check_anchor(corpus / name, primary, raw, label)
                for extra, expectation in zip(raw.get("also", []), also, strict=True):
                    _check_anchor(corpus / name, expectation, extra, label)
        for raw in body.get("noise", []):
            expectation = _expectation(raw, f"{where} noise")
            if corpus is not None and "anchor" in raw:
                _check_anchor(corpus / name, expectation, raw, f"{where} noise")
            project.noise.append(Noise(expectation.rule, expectation.file, expectation.lines, str(raw.get("why", ""))))
        _check_unique(project, where)
        projects.append(project)
    if not projects:
        raise BenchError(f"{path}: no [projects.NAME] tables")
    return projects


def _required(raw: dict[str, Any], key: str, where: str) -> Any:
    if key not in raw:
        raise BenchError(f"{where}: a label without {key!r}")
    return raw[key]


def _expectation(raw: dict[str, Any], where: str) -> Expectation:
    rule = str(_required(raw, "rule", where)).upper()
    file = str(_required(raw, "file", where))
    if "line" in raw:
        lines = (int(raw["line"]), *(int(n) for n in raw.get("alt_lines", [])))
    elif "lines" in raw:
        lines = tuple(int(n) for n in raw["lines"])
    else:
        raise BenchError(f"{where}: a label without 'line' or 'lines'")
    return Expectation(rule, file, lines)


def _check_anchor(project_dir: Path, expectation: Expectation, raw: dict[str, Any], where: str) -> None:
    """A label's `anchor` must appear on its first line: labels cannot drift when a corpus file changes."""
    anchor = raw.get("anchor")
    if anchor is None:
        raise BenchError(f"{where}: a problem label needs an 'anchor' (text found on its line)")
    try:
        lines = (project_dir / expectation.file).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BenchError(f"{where}: cannot read {expectation.file}: {exc.strerror or exc}") from None
    number = expectation.lines[0]
    if not 1 <= number <= len(lines) or str(anchor) not in lines[number - 1]:
        raise BenchError(f"{where}: {expectation.file}:{number} does not contain {anchor!r}")


def _check_unique(project: Project, where: str) -> None:
    """Two labels must never claim the same (rule, file, line): a finding could then count twice."""
    seen: dict[tuple[str, str, int], str] = {}
    keys = Counter(p.key for p in project.problems)
    for key, count in keys.items():
        if count > 1:
            raise BenchError(f"{where}: problem key {key!r} is used {count} times")
    for problem in project.problems:
        for expectation in problem.expectations:
            for line in expectation.lines:
                place = (expectation.rule, expectation.file, line)
                if place in seen and seen[place] != problem.key:
                    raise BenchError(
                        f"{where}: {expectation.rule} at {expectation.file}:{line} is claimed by both "
                        f"{seen[place]!r} and {problem.key!r}"
                    )
                seen[place] = problem.key


# --- running the linter --------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    rule: str
    path: str  # relative to the project directory
    line: int
    message: str = ""
    source: str = "dockyard"


@dataclass
class LintRun:
    findings: list[Finding]
    elapsed_s: float
    hadolint: str
    bake_parser: str | None


def run_linter(project_dir: Path, lint_path: str) -> LintRun:
    """The one place that knows how dockyard's linter is invoked: its public CLI with --json."""
    if not (project_dir / "pyproject.toml").is_file():
        # without one, dockyard would take the configuration of whatever pyproject.toml is above
        raise BenchError(f"{project_dir.name}: no pyproject.toml in the project directory")
    argv = [sys.executable, "-m", "dockyard.lint", "--json", "--path", lint_path]
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    try:
        done = subprocess.run(
            argv, cwd=project_dir, env=env, capture_output=True, text=True, timeout=LINT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{project_dir.name}: the linter did not finish in {LINT_TIMEOUT_S} s") from None
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        first = next((ln for ln in (done.stderr or done.stdout).splitlines() if ln.strip()), "no output")
        raise BenchError(f"{project_dir.name}: the linter gave no JSON (exit {done.returncode}): {first}") from None
    findings = [
        Finding(
            rule=str(item["rule"]).upper(),
            path=Path(item["path"]).as_posix(),
            line=int(item["line"]),
            message=str(item.get("message", "")),
            source=str(item.get("source", "dockyard")),
        )
        for item in report.get("findings", [])
    ]
    return LintRun(
        findings, float(report.get("elapsed_s", 0.0)), str(report.get("hadolint")), report.get("bake_parser")
    )


# --- scoring -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    finding: Finding
    expected: bool
    reason: str  # the problem key, "noise: why", "duplicate of KEY" or "unreviewed"


@dataclass
class ProjectScore:
    project: Project
    verdicts: list[Verdict]
    found: dict[str, list[Expectation]]  # problem key -> the expectations a finding met
    elapsed_s: float = 0.0
    hadolint: str = ""  # as the linter reports it: "ran", "not installed", "disabled"
    bake_parser: str | None = None

    @property
    def missed(self) -> list[Problem]:
        return [p for p in self.project.problems if not self.found.get(p.key)]


def score_project(project: Project, findings: list[Finding], elapsed_s: float = 0.0) -> ProjectScore:
    """Match each finding to at most one labelled expectation, and each expectation to at most one finding."""
    owners = {e: p for p in project.problems for e in p.expectations}
    used: set[Expectation] = set()
    found: dict[str, list[Expectation]] = {}
    verdicts = []
    for finding in findings:
        matching = [e for e in owners if e.matches(finding)]
        fresh = [e for e in matching if e not in used]
        if fresh:
            expectation = fresh[0]
            used.add(expectation)
            key = owners[expectation].key
            found.setdefault(key, []).append(expectation)
            verdicts.append(Verdict(finding, True, key))
        elif matching:
            verdicts.append(Verdict(finding, False, f"duplicate of {owners[matching[0]].key}"))
        else:
            verdicts.append(Verdict(finding, False, _noise_reason(project, finding)))
    return ProjectScore(project, verdicts, found, elapsed_s)


def _noise_reason(project: Project, finding: Finding) -> str:
    for noise in project.noise:
        if noise.rule == finding.rule and noise.file == finding.path and finding.line in noise.lines:
            return f"noise: {noise.why}"
    return "unreviewed"


@dataclass
class RuleScore:
    findings: int = 0
    expected: int = 0
    problems: int = 0
    found: int = 0  # problems of this primary rule that a finding of this rule reported

    @property
    def precision(self) -> float | None:
        return self.expected / self.findings if self.findings else None

    @property
    def recall(self) -> float | None:
        return self.found / self.problems if self.problems else None


@dataclass
class Totals:
    findings: int
    expected: int
    problems: int
    found: int
    unreviewed: int

    @property
    def precision(self) -> float | None:
        return self.expected / self.findings if self.findings else None

    @property
    def recall(self) -> float | None:
        return self.found / self.problems if self.problems else None


def per_rule(scores: list[ProjectScore]) -> dict[str, RuleScore]:
    rules: dict[str, RuleScore] = {}
    for score in scores:
        for verdict in score.verdicts:
            rule = rules.setdefault(verdict.finding.rule, RuleScore())
            rule.findings += 1
            rule.expected += verdict.expected
        for problem in score.project.problems:
            rule = rules.setdefault(problem.primary.rule, RuleScore())
            rule.problems += 1
            rule.found += any(e.rule == problem.primary.rule for e in score.found.get(problem.key, []))
    return dict(sorted(rules.items(), key=lambda item: _rule_order(item[0])))


def _rule_order(rule: str) -> tuple[int, str]:
    return (0 if rule.startswith("DY") else 1, rule)


def totals(scores: list[ProjectScore]) -> Totals:
    verdicts = [v for s in scores for v in s.verdicts]
    return Totals(
        findings=len(verdicts),
        expected=sum(v.expected for v in verdicts),
        problems=sum(len(s.project.problems) for s in scores),
        found=sum(len(s.project.problems) - len(s.missed) for s in scores),
        unreviewed=sum(v.reason == "unreviewed" for v in verdicts),
    )


# --- output --------------------------------------------------------------------------------------
def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def render_text(scores: list[ProjectScore], show: str | None) -> str:
    rules, total = per_rule(scores), totals(scores)
    out = []
    header = f"{'project':<14} {'findings':>8} {'expected':>8} {'problems':>8} {'found':>5} {'lint s':>6}"
    out += [header, "-" * len(header)]
    for score in scores:
        expected = sum(v.expected for v in score.verdicts)
        problems = len(score.project.problems)
        out.append(
            f"{score.project.name:<14} {len(score.verdicts):>8} {expected:>8} {problems:>8} "
            f"{problems - len(score.missed):>5} {score.elapsed_s:>6.2f}"
        )
    out.append("")
    header = (
        f"{'rule':<7} {'findings':>8} {'expected':>8} {'unexpected':>10} {'precision':>9}   "
        f"{'problems':>8} {'found':>5} {'recall':>7}"
    )
    out += [header, "-" * len(header)]
    for rule_id, rule in rules.items():
        out.append(
            f"{rule_id:<7} {rule.findings:>8} {rule.expected:>8} {rule.findings - rule.expected:>10} "
            f"{percent(rule.precision):>9}   {rule.problems:>8} {rule.found:>5} {percent(rule.recall):>7}"
        )
    out.append("")
    for score in scores:
        for verdict in score.verdicts:
            if verdict.reason == "unreviewed" or (show in ("unexpected", "all") and not verdict.expected):
                f = verdict.finding
                out.append(
                    f"unexpected {score.project.name}/{f.path}:{f.line}: {f.rule} ({verdict.reason}) {f.message}"
                )
            elif show == "all" and verdict.expected:
                f = verdict.finding
                out.append(f"expected   {score.project.name}/{f.path}:{f.line}: {f.rule} [{verdict.reason}]")
        if show in ("missed", "all"):
            for problem in score.missed:
                e = problem.primary
                lines = ",".join(str(n) for n in e.lines)
                out.append(f"missed     {score.project.name}/{e.file}:{lines}: {e.rule} [{problem.key}] {problem.why}")
    out.append(
        f"{total.findings} findings, {total.expected} expected; {total.problems} labelled problems, "
        f"{total.found} found; {total.unreviewed} unreviewed findings"
    )
    without = [s.project.name for s in scores if s.hadolint not in ("ran", "disabled")]
    if without:
        out.append(f"note: hadolint did not run for {', '.join(without)}: DL findings are missing from these figures")
    for label, part in _parts(scores):
        figures = totals(part)
        out.append(
            f"{label} ({len(part)} projects): {figures.findings} findings, {figures.expected} expected, "
            f"precision {percent(figures.precision)}, recall {percent(figures.recall)}"
        )
    out.append(f"precision {percent(total.precision)}")
    out.append(f"recall {percent(total.recall)}")
    return "\n".join(out)


def _parts(scores: list[ProjectScore]) -> list[tuple[str, list[ProjectScore]]]:
    """The projects the rules were developed on, and the held-out ones, when there are both."""
    held_out = [s for s in scores if s.project.held_out]
    developed = [s for s in scores if not s.project.held_out]
    if not held_out or not developed:
        return []
    return [("developed on", developed), ("held out", held_out)]


def to_json(scores: list[ProjectScore]) -> dict[str, Any]:
    total = totals(scores)
    parts = {
        key: {"projects": [s.project.name for s in part], "precision": t.precision, "recall": t.recall}
        for (label, part) in _parts(scores)
        for key, t in [("held_out" if label == "held out" else "developed_on", totals(part))]
    }
    return {
        **parts,
        "precision": total.precision,
        "recall": total.recall,
        "findings": total.findings,
        "expected": total.expected,
        "problems": total.problems,
        "found": total.found,
        "unreviewed": total.unreviewed,
        "rules": {
            rule_id: {
                "findings": r.findings,
                "expected": r.expected,
                "precision": r.precision,
                "problems": r.problems,
                "found": r.found,
                "recall": r.recall,
            }
            for rule_id, r in per_rule(scores).items()
        },
        "projects": [
            {
                "name": s.project.name,
                "elapsed_s": s.elapsed_s,
                "hadolint": s.hadolint,
                "bake_parser": s.bake_parser,
                "findings": [
                    {
                        "path": v.finding.path,
                        "line": v.finding.line,
                        "rule": v.finding.rule,
                        "source": v.finding.source,
                        "expected": v.expected,
                        "reason": v.reason,
                    }
                    for v in s.verdicts
                ],
                "missed": [p.key for p in s.missed],
            }
            for s in scores
        ],
    }


# --- command line --------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/lint_precision.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--min-precision", type=float, metavar="PCT", help="exit 1 when precision is below PCT %%")
    parser.add_argument("--show", choices=("unexpected", "missed", "all"), help="also list these findings/problems")
    parser.add_argument("--project", action="append", metavar="NAME", help="only this corpus project (repeatable)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the corpus directory (holds labels.toml)")
    args = parser.parse_args(argv)
    try:
        projects = load_labels(args.corpus / "labels.toml", args.corpus)
        if args.project:
            unknown = sorted(set(args.project) - {p.name for p in projects})
            if unknown:
                raise BenchError(f"no corpus project {', '.join(unknown)} in labels.toml")
            projects = [p for p in projects if p.name in args.project]
        unlabelled = sorted(
            d.name for d in args.corpus.iterdir() if d.is_dir() and d.name not in {p.name for p in projects}
        )
        if unlabelled and not args.project:
            raise BenchError(f"corpus directories without labels: {', '.join(unlabelled)}")
        scores = []
        for project in projects:
            run = run_linter(args.corpus / project.name, project.lint_path)
            score = score_project(project, run.findings, run.elapsed_s)
            score.hadolint, score.bake_parser = run.hadolint, run.bake_parser
            scores.append(score)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(to_json(scores), indent=2))
    else:
        print(render_text(scores, args.show))
    precision = totals(scores).precision or 0.0
    if args.min_precision is not None and 100 * precision < args.min_precision:
        print(
            f"error: precision {percent(precision)} is below --min-precision {args.min_precision:g} %", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
