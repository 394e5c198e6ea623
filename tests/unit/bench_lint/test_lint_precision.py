"""bench/lint_precision.py: labels, matching findings to labelled problems, the figures, the exit codes."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "bench" / "lint_precision.py"
CORPUS = ROOT / "bench" / "lint_corpus"


def _load_script():
    spec = importlib.util.spec_from_file_location("lint_precision", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module


lp = _load_script()


def _project(problems=(), noise=()) -> lp.Project:
    return lp.Project(name="demo", lint_path=".", style="", problems=list(problems), noise=list(noise))


def _finding(rule: str, line: int, path: str = "Dockerfile") -> lp.Finding:
    return lp.Finding(rule=rule, path=path, line=line)


APT = lp.Problem("apt-lists", "lists left", lp.Expectation("DY013", "Dockerfile", (7,)))
STAGE = lp.Problem("no-probe", "no HEALTHCHECK", lp.Expectation("DY010", "Dockerfile", (3, 12)))
ROOT_NOISE = lp.Noise("DY001", "Dockerfile", (3,), "gosu drops privileges")


def test_a_finding_on_a_labelled_line_is_expected_and_finds_its_problem():
    score = lp.score_project(_project([APT, STAGE]), [_finding("DY013", 7), _finding("DY010", 12)])
    assert [v.expected for v in score.verdicts] == [True, True]
    assert [v.reason for v in score.verdicts] == ["apt-lists", "no-probe"]  # 12 is an alternative line
    assert score.missed == []


def test_same_place_other_rule_or_other_line_is_unexpected():
    score = lp.score_project(
        _project([APT], [ROOT_NOISE]),
        [_finding("DY012", 7), _finding("DY013", 8), _finding("DY001", 3), _finding("DY013", 7, "other/Dockerfile")],
    )
    assert not any(v.expected for v in score.verdicts)
    assert [v.reason for v in score.verdicts] == [
        "unreviewed",
        "unreviewed",
        "noise: gosu drops privileges",
        "unreviewed",
    ]
    assert [p.key for p in score.missed] == ["apt-lists"]


def test_a_label_absorbs_one_finding_the_repeats_are_duplicates():
    # what a YAML merge key does: one depends_on line reported once per service that inherits it
    findings = [_finding("DY013", 7)] * 3
    score = lp.score_project(_project([APT]), findings)
    assert [v.expected for v in score.verdicts] == [True, False, False]
    assert score.verdicts[1].reason == "duplicate of apt-lists"
    total = lp.totals([score])
    assert (total.findings, total.expected, total.precision) == (3, 1, pytest.approx(1 / 3))
    assert total.recall == 1.0


def test_also_expectations_each_take_a_finding_but_the_problem_counts_once():
    flower = lp.Problem(
        "flower-runs-beat",
        "",
        lp.Expectation("DY020", "Dockerfile", (35,)),
        (lp.Expectation("DY016", "Dockerfile", (35,)), lp.Expectation("DY003", "Dockerfile", (34,))),
    )
    score = lp.score_project(_project([flower]), [_finding("DY003", 34), _finding("DY016", 35)])
    assert all(v.expected for v in score.verdicts)
    total = lp.totals([score])
    assert (total.expected, total.problems, total.found) == (2, 1, 1)
    rules = lp.per_rule([score])
    # per rule, recall is the primary rule's own: DY020 did not report its problem
    assert (rules["DY020"].problems, rules["DY020"].found, rules["DY020"].recall) == (1, 0, 0.0)
    assert rules["DY020"].precision is None  # no DY020 finding at all
    assert (rules["DY003"].findings, rules["DY003"].precision, rules["DY003"].recall) == (1, 1.0, None)


def test_no_findings_means_no_precision_rather_than_zero():
    total = lp.totals([lp.score_project(_project([APT]), [])])
    assert total.precision is None
    assert lp.percent(total.precision) == "-"
    assert total.recall == 0.0


def test_rules_are_listed_dockyard_first_then_hadolint():
    score = lp.score_project(_project(), [_finding("DL3025", 1), _finding("DY010", 2), _finding("DY001", 3)])
    assert list(lp.per_rule([score])) == ["DY001", "DY010", "DL3025"]


# --- labels.toml ----------------------------------------------------------------------------------
def _write_labels(tmp_path: Path, text: str) -> Path:
    (tmp_path / "demo").mkdir(exist_ok=True)
    (tmp_path / "demo" / "Dockerfile").write_text("FROM python:3.12-slim-bookworm\nRUN apt-get update\n")
    path = tmp_path / "labels.toml"
    path.write_text(text)
    return path


def test_labels_are_read_with_alternative_lines_and_also(tmp_path):
    path = _write_labels(
        tmp_path,
        """
[projects.demo]
lint = "docker"
[[projects.demo.problem]]
key = "lists"
rule = "dy013"
file = "Dockerfile"
line = 2
alt_lines = [1]
anchor = "apt-get update"
[[projects.demo.problem.also]]
rule = "DL3009"
line = 2
anchor = "RUN"
[[projects.demo.noise]]
rule = "DY001"
lines = [1]
file = "Dockerfile"
why = "entrypoint drops privileges"
""",
    )
    (project,) = lp.load_labels(path, tmp_path)
    assert project.lint_path == "docker"
    (problem,) = project.problems
    assert problem.primary == lp.Expectation("DY013", "Dockerfile", (2, 1))
    assert problem.also == (lp.Expectation("DL3009", "Dockerfile", (2,)),)
    assert project.noise[0].lines == (1,)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('key = "a"\nrule = "DY013"\nfile = "Dockerfile"\nline = 1\nanchor = "apt-get"', "does not contain 'apt-get'"),
        ('key = "a"\nrule = "DY013"\nfile = "Dockerfile"\nline = 9\nanchor = "RUN"', "Dockerfile:9 does not contain"),
        ('key = "a"\nrule = "DY013"\nfile = "Dockerfile"\nline = 2', "needs an 'anchor'"),
        ('key = "a"\nrule = "DY013"\nfile = "Dockerfile"\nanchor = "RUN"', "without 'line' or 'lines'"),
        ('rule = "DY013"\nfile = "Dockerfile"\nline = 2\nanchor = "RUN"', "without 'key'"),
        ('key = "a"\nrule = "DY013"\nfile = "Missing"\nline = 2\nanchor = "RUN"', "cannot read Missing"),
    ],
)
def test_a_broken_label_is_one_clear_error(tmp_path, body, message):
    path = _write_labels(tmp_path, f"[projects.demo]\n[[projects.demo.problem]]\n{body}\n")
    with pytest.raises(lp.BenchError, match=re.escape(message)):
        lp.load_labels(path, tmp_path)


def test_two_problems_may_not_claim_the_same_finding(tmp_path):
    one = 'rule = "DY013"\nfile = "Dockerfile"\nline = 2\nanchor = "RUN"'
    text = (
        f'[projects.demo]\n[[projects.demo.problem]]\nkey = "a"\n{one}\n[[projects.demo.problem]]\nkey = "b"\n{one}\n'
    )
    with pytest.raises(lp.BenchError, match="claimed by both 'a' and 'b'"):
        lp.load_labels(_write_labels(tmp_path, text), tmp_path)


def test_the_corpus_labels_load_and_every_proposed_rule_is_documented():
    projects = lp.load_labels(CORPUS / "labels.toml", CORPUS)  # checks every anchor against its file
    assert {p.name for p in projects} == {d.name for d in CORPUS.iterdir() if d.is_dir()}
    assert all((CORPUS / p.name / "pyproject.toml").is_file() for p in projects)
    rules = {e.rule for p in projects for problem in p.problems for e in problem.expectations}
    rules |= {n.rule for p in projects for n in p.noise}
    assert all(re.fullmatch(r"DY0\d\d|DL\d{4}", rule) for rule in rules)
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    proposed = sorted(r for r in rules if r.startswith("DY") and int(r[2:]) >= 17)
    assert proposed, "the corpus labels problems today's rules miss"
    for rule in proposed:
        assert re.search(rf"^\| {rule} \| `[a-z-]+` \|", readme, re.MULTILINE), f"{rule} is not in the README table"


# --- the command line, with the real linter on a one-project corpus -------------------------------
@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    project = tmp_path / "tiny"
    project.mkdir()
    # hadolint is off so that the figures depend on dockyard's rules only
    (project / "pyproject.toml").write_text("[tool.dockyard.lint]\nhadolint = false\n")
    (project / "Dockerfile").write_text(
        "FROM python:3.12-slim-bookworm\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends curl\n"
        'CMD ["python", "-m", "http.server"]\n'
    )
    (tmp_path / "labels.toml").write_text(
        '[projects.tiny]\nlint = "."\n'
        '[[projects.tiny.problem]]\nkey = "lists"\nrule = "DY013"\nfile = "Dockerfile"\nline = 2\n'
        'anchor = "apt-get update"\n'
        '[[projects.tiny.problem]]\nkey = "never-reported"\nrule = "DY021"\nfile = "Dockerfile"\nline = 3\n'
        'anchor = "CMD"\n'
    )
    return tmp_path


def test_json_figures_agree_with_the_verdicts(tiny_corpus, capsys):
    assert lp.main(["--corpus", str(tiny_corpus), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (project,) = report["projects"]
    verdicts = project["findings"]
    assert verdicts, "the linter found nothing at all in a Dockerfile that runs as root"
    assert report["findings"] == len(verdicts)
    assert report["expected"] == sum(v["expected"] for v in verdicts)
    assert report["precision"] == pytest.approx(report["expected"] / report["findings"])
    assert report["problems"] == 2
    assert "never-reported" in project["missed"]
    assert report["recall"] == pytest.approx(report["found"] / 2)
    assert all(v["expected"] or v["reason"] for v in verdicts)


def test_text_output_ends_with_the_two_figures(tiny_corpus, capsys):
    assert lp.main(["--corpus", str(tiny_corpus), "--show", "missed"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"precision \d+\.\d %", out[-2])
    assert re.fullmatch(r"recall \d+\.\d %", out[-1])
    assert any(line.startswith("missed     tiny/Dockerfile:3: DY021 [never-reported]") for line in out)


def test_min_precision_turns_the_measurement_into_a_gate(tiny_corpus, capsys):
    assert lp.main(["--corpus", str(tiny_corpus), "--min-precision", "0"]) == 0
    assert lp.main(["--corpus", str(tiny_corpus), "--min-precision", "100.1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: precision ") and "below --min-precision 100.1 %" in err[0]


def test_a_project_without_pyproject_is_refused(tiny_corpus, capsys):
    (tiny_corpus / "tiny" / "pyproject.toml").unlink()
    assert lp.main(["--corpus", str(tiny_corpus)]) == 2
    assert capsys.readouterr().err.strip() == "error: tiny: no pyproject.toml in the project directory"


def test_an_unlabelled_corpus_directory_is_refused(tiny_corpus, capsys):
    (tiny_corpus / "stray").mkdir()
    assert lp.main(["--corpus", str(tiny_corpus)]) == 2
    assert capsys.readouterr().err.strip() == "error: corpus directories without labels: stray"
