"""Output formats: linter lines + summary, JSON, SARIF 2.1.0."""

from __future__ import annotations

import io
import json
from pathlib import Path

from lint_helpers import FIXTURES, expected_findings, run_lint
from rich.console import Console

from dockyard.cli.views.lint import render_text
from dockyard.lint import output
from dockyard.lint.rules import RULES

BAD = FIXTURES / "npm-dev-dependencies" / "bad"
GOOD = FIXTURES / "npm-dev-dependencies" / "good"
LINES = sorted(line for (_, line, _) in expected_findings(BAD))  # all DY004, all in Dockerfile


def render(result, base: Path) -> str:
    buffer = io.StringIO()
    render_text(result, Console(file=buffer, width=200, no_color=True), RULES, base)
    return buffer.getvalue()


def test_text_lines_are_path_line_id_message() -> None:
    result = run_lint(BAD)
    text = render(result, FIXTURES)
    lines = text.splitlines()
    assert lines[0].startswith(f"npm-dev-dependencies/bad/Dockerfile:{LINES[0]}: DY004 npm ci without")
    for line, number in zip(lines, LINES, strict=False):
        assert line.startswith(f"npm-dev-dependencies/bad/Dockerfile:{number}: DY004 ")
    assert f"{len(LINES)} finding(s)" in text and f"{len(LINES)} warnings" in text
    assert "npm-dev-dependencies" in text  # the summary table names the rule


def test_clean_summary() -> None:
    text = render(run_lint(GOOD), FIXTURES)
    assert "npm-dev-dependencies/good: no findings" in text
    assert "DY" not in text


def test_json_carries_findings_and_summary() -> None:
    result = run_lint(BAD)
    data = json.loads(json.dumps(output.to_json(result, RULES, FIXTURES)))
    assert data["summary"] == {"total": len(LINES), "warning": len(LINES)}
    first = data["findings"][0]
    assert first == {
        "path": "npm-dev-dependencies/bad/Dockerfile",
        "line": LINES[0],
        "rule": "DY004",
        "name": "npm-dev-dependencies",
        "severity": "warning",
        "message": first["message"],
        "source": "dockyard",
        "also": [],
    }
    assert any("runtime" in s for s in data["shipped"])
    assert data["hadolint"] == "disabled"


def test_sarif_is_a_valid_2_1_0_log(tmp_path: Path) -> None:
    result = run_lint(BAD)
    sarif = output.to_sarif(result, RULES, FIXTURES)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= set(RULES)
    for item in run["results"]:
        descriptor = rules[item["ruleIndex"]]
        assert descriptor["id"] == item["ruleId"]
        location = item["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {
            "uri": "npm-dev-dependencies/bad/Dockerfile",
            "uriBaseId": "SRCROOT",
        }
        assert location["region"]["startLine"] >= 1
        assert item["level"] == "warning"
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]] == LINES
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"].startswith("file://")
    npm = rules[next(i for i, r in enumerate(rules) if r["id"] == "DY004")]
    assert npm["help"]["text"] == RULES["DY004"].fix
    json.dumps(sarif)  # serialisable


def test_display_path_outside_the_base_is_absolute(tmp_path: Path) -> None:
    assert output.display_path(tmp_path / "x", FIXTURES) == str(tmp_path / "x")


def test_text_output_is_never_markup_or_emoji(tmp_path: Path) -> None:
    """Issue 13: `default.Dockerfile:100:` was printed as `default.Dockerfile💯` (rich read `:100:`)."""
    dockerfile = tmp_path / "default.Dockerfile"
    lines = ["FROM python:3.12-slim-bookworm"] + ["RUN true"] * 97 + ["# [red]x[/] :smile:", "USER root"]
    lines += ["CMD python -m app"]
    dockerfile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_lint(tmp_path)
    assert [(f.rule, f.line) for f in result.findings] == [("DY001", 100)]
    text = render(result, tmp_path)
    assert text.splitlines()[0].startswith("default.Dockerfile:100: DY001 ")
    assert "💯" not in text


def test_a_note_with_brackets_prints_as_written(tmp_path: Path) -> None:
    result = run_lint(GOOD)
    result.notes.append("hadolint cannot parse x [bold]:100:[/bold]")
    assert "hadolint cannot parse x [bold]:100:[/bold]" in render(result, FIXTURES)
