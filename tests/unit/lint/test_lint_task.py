"""`invoke lint` as a user runs it: a separate process, exit codes, the three output forms."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lint_helpers import FIXTURES, expected_findings
from support.dockyard_cli import REPO_ROOT, clean_env, invoke, write_project

from dockyard.lint.runner import lint_directory


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "site")
    shutil.copytree(FIXTURES / "worker-http-healthcheck" / "bad", root / "deployment")
    return root


def test_findings_exit_1_with_linter_lines(project: Path) -> None:
    proc = invoke(project, "lint", "--no-hadolint")
    assert proc.returncode == 1, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if ": DY" in line]
    expected = expected_findings(project / "deployment")
    assert {(line.split(":")[0], int(line.split(":")[1]), line.split()[1]) for line in lines} == {
        (f"deployment/{name}", number, rule) for name, number, rule in expected
    }
    assert "DY003" in proc.stdout and "worker-http-healthcheck" in proc.stdout  # the summary table
    assert proc.stderr.strip().splitlines()[-1] == "error: 4 error(s) in deployment"
    assert "Traceback" not in proc.stderr


def test_json_on_stdout_and_sarif_to_a_file(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "lint.sarif"
    proc = invoke(project, "lint", "--json", "--no-hadolint", "--sarif", str(target))
    assert proc.returncode == 1
    data = json.loads(proc.stdout)  # nothing but JSON on stdout
    assert data["summary"]["total"] == 4
    assert {f["rule"] for f in data["findings"]} == {"DY003"}
    sarif = json.loads(target.read_text(encoding="utf-8"))
    assert len(sarif["runs"][0]["results"]) == 4
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"deployment/Dockerfile", "deployment/docker-compose.yml"}


def test_clean_directory_exits_0(tmp_path: Path) -> None:
    root = write_project(tmp_path / "site")
    proc = invoke(root, "lint", "--no-hadolint", "--path", str(FIXTURES / "worker-http-healthcheck" / "good"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no findings" in proc.stdout


def test_config_disables_rules(tmp_path: Path) -> None:
    root = write_project(tmp_path / "site", extra='[tool.dockyard.lint]\ndisable = ["worker-http-healthcheck"]\n')
    shutil.copytree(FIXTURES / "worker-http-healthcheck" / "bad", root / "deployment")
    proc = invoke(root, "lint", "--no-hadolint")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_expected_failures_are_one_line(tmp_path: Path) -> None:
    root = write_project(tmp_path / "site", extra="[tool.dockyard.lint]\nuid = 'x'\n")
    proc = invoke(root, "lint", "--path", str(FIXTURES / "syntax" / "good"))
    assert proc.returncode == 1
    assert proc.stderr.strip() == 'error: [tool.dockyard.lint] uid must be an integer, got "x"'
    empty = write_project(tmp_path / "empty")
    (empty / "deployment").mkdir()
    proc = invoke(empty, "lint")
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("error: no Dockerfile, bake file (*.hcl) or compose file in ")
    proc = invoke(empty, "lint", "--path", str(tmp_path / "nope"))
    assert proc.returncode == 1 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_help_documents_every_option(tmp_path: Path) -> None:
    proc = invoke(write_project(tmp_path / "site"), "--help", "lint", env=clean_env())
    assert proc.returncode == 0
    for option in ("--json", "--sarif", "--path", "--no-hadolint", "--strict"):
        assert option in proc.stdout


def test_the_projects_own_deployment_is_clean() -> None:
    """The issue's Done-when: the project's deployment/ passes with the project's settings."""
    from dockyard.core.project import find_project

    project = find_project(REPO_ROOT)
    options = project.settings.lint
    directory = project.path("dockerfile").parent
    if not any(directory.glob("Dockerfile*")):
        pytest.skip("the project has no deployment Dockerfile yet")
    result = lint_directory(directory, project.root, options, run_hadolint=True)
    assert [f"{f.path.name}:{f.line}: {f.rule} {f.message}" for f in result.findings] == []


def test_python_dash_m_entry_point_matches_the_task(tmp_path: Path) -> None:
    """`python -m dockyard.lint` (for nox and CI: no Invoke start-up) behaves like the task; warnings
    (policies) are printed but fail the run only with --strict."""
    import subprocess
    import sys

    root = write_project(tmp_path / "site", extra="[tool.dockyard.lint]\nuid = 1000\n")
    bad = FIXTURES / "system-uid" / "bad"
    env = {**clean_env(), "DOCKYARD_ROOT": str(root)}
    argv = [sys.executable, "-m", "dockyard.lint", "--no-hadolint", "--json", "--path"]
    proc = subprocess.run([*argv, str(bad)], cwd=root, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr  # DY002 is a warning
    data = json.loads(proc.stdout)
    assert {(f["line"], f["rule"]) for f in data["findings"]} == {
        (line, rule) for (_, line, rule) in expected_findings(bad)
    }
    assert data["failed"] is False and {f["severity"] for f in data["findings"]} == {"warning"}
    strict = subprocess.run([*argv, str(bad), "--strict"], cwd=root, env=env, capture_output=True, text=True)
    assert strict.returncode == 1
    assert strict.stderr.strip().startswith("error: 3 finding(s) in ")
    assert "--strict" in strict.stderr
    good = FIXTURES / "system-uid" / "good"
    proc = subprocess.run([*argv, str(good), "--strict"], cwd=root, env=env, capture_output=True, text=True)
    assert proc.returncode == 0 and json.loads(proc.stdout)["findings"] == []


def test_strict_from_the_configuration(tmp_path: Path) -> None:
    root = write_project(tmp_path / "site", extra="[tool.dockyard.lint]\nuid = 1000\nstrict = true\n")
    proc = invoke(root, "lint", "--no-hadolint", "--path", str(FIXTURES / "system-uid" / "bad"))
    assert proc.returncode == 1
    assert "(--strict: warnings fail too)" in proc.stderr


def test_unknown_rule_in_disable_is_one_error_line(tmp_path: Path) -> None:
    root = write_project(tmp_path / "site", extra='[tool.dockyard.lint]\ndisable = ["DY099"]\n')
    proc = invoke(root, "lint", "--path", str(FIXTURES / "syntax" / "good"))
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: [tool.dockyard.lint] disable: 'DY099' is neither")
    assert "Traceback" not in proc.stderr
