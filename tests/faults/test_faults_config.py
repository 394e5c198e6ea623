"""Bad settings and bad project files, without the engine: one `error:` line that names the key or
the file, a non-zero exit, no traceback, and nothing sent to the engine (the tripwire) when the
error is in the configuration.

Decisions written down in docs/reliability.md:
* every `[tool.dockyard.*]` key has a type; a value of another type, a negative number where a
  count/uid/seconds is meant, or an unknown key (a typo) is an error naming the key;
* settings are checked when the project is loaded, before the engine or a server is contacted;
* a project file (pyproject.toml, Dockerfile, bake file, compose file) that is missing or not
  UTF-8 is an error naming the file.
"""

from __future__ import annotations

import pytest
from faults.harness import Sandbox, expect_failure

OWN = "issue 14 (fault suite): "


def case(table, key, value, command, *facts):  # noqa: ANN001, ANN201
    name = f"{table.removeprefix('tool.dockyard').lstrip('.') or 'top'}.{key}={value}:{command.split()[0]}"
    return pytest.param(table, key, value, command, facts or (key,), id=name)


SETTINGS = [
    # defect 2: a string where a list is meant became a tuple of letters and removed :latest tags
    case("tool.dockyard.prune", "keep_tags", '"latest"', "prune --images --dry-run"),
    case("tool.dockyard.prune", "keep_tags", "[1, 2]", "prune --images --dry-run"),
    case("tool.dockyard", "bake_file", "5", "build.web"),
    case("tool.dockyard", "bake_file", "5", "lint --no-hadolint"),
    case("tool.dockyard", "dockerfile", '["Dockerfile"]', "build.web"),
    case("tool.dockyard", "base_image", "5", "build.web"),
    case("tool.dockyard.test", "timeout", '"soon"', "test.compose"),
    case("tool.dockyard.test", "web_image", "5", "test.web"),
    case("tool.dockyard.test", "runtime_group", "5", "test.security"),
    case("tool.dockyard.troubleshoot", "writable_paths", '"/tmp"', "troubleshoot.container some-name"),
    case("tool.dockyard.troubleshoot", "min_waste_bytes", '"lots"', "troubleshoot.size some-image"),
    case("tool.dockyard.caprover", "history_file", "5", "rollback.history"),
    case("tool.dockyard.caprover", "timeout", '"soon"', "deploy web --tag abc1234 --dry-run"),
    case("tool.dockyard.caprover", "wait_timeout", "-1", "deploy web --tag abc1234 --dry-run"),
    case("tool.dockyard.lint", "disable", '"DY001"', "lint --no-hadolint"),
    case("tool.dockyard.lint", "hadolint", '"yes"', "lint --no-hadolint"),
    case("tool.dockyard.checks", "targets", '"web"', "images_run web"),
    # defect 10: negative uids and timeouts are accepted
    case("tool.dockyard.lint", "uid", "-1", "lint --no-hadolint"),
    case("tool.dockyard.test", "timeout", "-5", "test.compose"),
    case("tool.dockyard.checks", "uid", "-1", "images_run web"),
    # defect 10: the table name vanished from the line (`error: : startup_seconds ...`)
    case("tool.dockyard.checks", "startup_seconds", "-1", "images_run web", "[tool.dockyard.checks]",
         "startup_seconds"),
    # unknown keys are typos: an error naming the key (lint and checks tables already do this)
    case("tool.dockyard", "bake_fille", '"x.hcl"', "build.web"),
    case("tool.dockyard.caprover", "tiemout", "5", "deploy web --tag abc1234 --dry-run"),
    case("tool.dockyard.lint", "disabel", '["DY001"]', "lint --no-hadolint"),
    case("tool.dockyard.checks", "startup_secs", "5", "images_run web"),
]


def run_command(sandbox: Sandbox, command: str, **kwargs):  # noqa: ANN003, ANN201
    """`invoke ...`, or `python -m dockyard.images_run ...` / `python -m dockyard.lint ...` (what nox runs)."""
    words = command.split()
    if words[0] in ("images_run", "lint_module"):
        module = {"images_run": "dockyard.images_run", "lint_module": "dockyard.lint"}[words[0]]
        return sandbox.module(module, *words[1:], **kwargs)
    return sandbox.invoke(*words, **kwargs)


ENV = {"CAPROVER_URL": "http://127.0.0.1:9", "CAPROVER_APP_TOKEN": "token-for-config-tests"}


@pytest.mark.parametrize("table, key, value, command, facts", SETTINGS)
def test_a_bad_setting_is_one_error_naming_it(sandbox: Sandbox, table, key, value, command, facts) -> None:  # noqa: ANN001
    sandbox.set_config(table, key, value)
    result = run_command(sandbox, command, env=ENV, timeout=60)
    expect_failure(result, *facts)
    assert sandbox.tripwire.connections == 0, "the engine was contacted before the setting was checked"


@pytest.mark.parametrize(
    "pyproject, facts",
    [
        pytest.param("[tool\n", ("pyproject.toml",), id="invalid-toml"),
        pytest.param("tool = 5\n", ("tool",), id="tool-not-a-table"),
        pytest.param("[tool]\ndockyard = 5\n", ("tool.dockyard",), id="dockyard-not-a-table"),
        pytest.param("[tool.dockyard]\ncaprover = 5\n", ("caprover",), id="section-not-a-table"),
    ],
)
def test_a_malformed_pyproject(sandbox: Sandbox, pyproject: str, facts: tuple[str, ...]) -> None:
    sandbox.write("pyproject.toml", pyproject)
    expect_failure(sandbox.invoke("rollback.history", env=ENV), *facts)


# --------------------------------------------------------------------------- project files


FILES = {
    "pyproject": "pyproject.toml",
    "dockerfile": "deployment/Dockerfile.multistage",
    "bake": "deployment/docker-bake.multistage.hcl",
    "compose": "deployment/docker-compose.test.yml",
}


def non_utf8(sandbox: Sandbox, which: str) -> str:
    """One byte that is not UTF-8 (Latin-1 'é') inside a comment of the file."""
    path = sandbox.path(FILES[which])
    data = path.read_bytes()
    first_line_end = data.index(b"\n") + 1
    comment = b"# caf\xe9\n" if which != "bake" else b"// caf\xe9\n"
    path.write_bytes(data[:first_line_end] + comment + data[first_line_end:])
    return path.name


ENCODING_CASES = [
    ("pyproject", "rollback.history"),
    ("pyproject", "lint --no-hadolint"),
    ("pyproject", "build.web"),
    ("dockerfile", "lint --no-hadolint"),
    ("dockerfile", "lint_module --no-hadolint"),
    ("dockerfile", "build.web"),
    ("bake", "lint --no-hadolint"),
    ("bake", "build.web"),
    ("compose", "lint --no-hadolint"),
]


@pytest.mark.parametrize(
    "which, command",
    [
        pytest.param(w, c, id=f"{w}:{c.split()[0]}") for w, c in ENCODING_CASES
    ],
)
def test_a_file_that_is_not_utf8(sandbox: Sandbox, which: str, command: str) -> None:
    name = non_utf8(sandbox, which)
    result = run_command(sandbox, command, env=ENV, timeout=60)
    expect_failure(result, name, "utf-8")
    assert sandbox.tripwire.connections == 0, "the engine was contacted before the file was read"


MISSING_CASES = [
    ("dockerfile", "build.web"),
    ("dockerfile", "troubleshoot.build web"),
    ("bake", "build.web"),
    ("compose", "test.compose"),
]


@pytest.mark.parametrize(
    "which, command",
    [
        pytest.param(w, c, id=f"{w}:{c.split()[0]}") for w, c in MISSING_CASES
    ],
)
def test_a_missing_project_file(sandbox: Sandbox, which: str, command: str) -> None:
    path = sandbox.path(FILES[which])
    path.unlink()
    result = run_command(sandbox, command, env=ENV, timeout=60)
    expect_failure(result, path.name)
    assert sandbox.tripwire.connections == 0, "the engine was contacted before the file was looked for"


@pytest.mark.parametrize("which, rule", [("dockerfile", "DY007")])
def test_lint_reports_a_missing_file_as_a_finding(sandbox: Sandbox, which: str, rule: str) -> None:
    """For lint a missing Dockerfile or bake file is a finding (exit 1, lint's summary line, which
    counts errors since issue 13: `error: 4 error(s) in deployment`)."""
    path = sandbox.path(FILES[which])
    path.unlink()
    result = sandbox.invoke("lint", "--no-hadolint", timeout=60)
    expect_failure(result, "error(s)", code=1)
    assert any(path.name in line and rule in line for line in result.stdout.splitlines()), result.describe()


def test_no_pyproject_anywhere(sandbox: Sandbox, tmp_path) -> None:  # noqa: ANN001
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    result = sandbox.run(*sandbox.invoke_argv("rollback.history"), cwd=empty)
    expect_failure(result, "pyproject.toml")


@pytest.mark.parametrize(
    "directive, rule",
    [
        pytest.param("# dockyard: ignore=DY999", "DY999", id="inline-unknown-id"),
        pytest.param("# dockyard: ignore=no-such-rule", "no-such-rule", id="inline-unknown-name"),
    ],
)
def test_lint_names_an_unknown_rule_in_an_inline_ignore(sandbox: Sandbox, directive: str, rule: str) -> None:
    """Decision (issue 13, docs/lint-rules.md): an unknown id in an inline ignore is a `note:` naming
    file:line and the id; the lint result itself is unchanged (exit 0 on a clean file)."""
    path = sandbox.path(FILES["dockerfile"])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("FROM base AS runtime-full\n", f"FROM base AS runtime-full\n{directive}\n", 1))
    result = sandbox.invoke("lint", "--no-hadolint", timeout=60)
    assert result.code == 0 and not result.error_lines, result.describe()
    notes = [line for line in result.output.splitlines()
             if line.startswith("note:") and rule.lower() in line.lower()]
    assert notes and "Dockerfile.multistage:" in notes[0], result.describe()


@pytest.mark.parametrize("rule", ["DY999", "no-such-rule"])
def test_lint_refuses_an_unknown_rule_in_disable(sandbox: Sandbox, rule: str) -> None:
    """Decision: `disable` is configuration, so an unknown id there is an error naming it (like an
    unknown key). hadolint codes (DL3008, SC2086) stay accepted."""
    sandbox.set_config("tool.dockyard.lint", "disable", f'["DL3008", "{rule}"]')
    expect_failure(sandbox.invoke("lint", "--no-hadolint", timeout=60), rule)


def test_lint_keeps_accepting_hadolint_codes_in_disable(sandbox: Sandbox) -> None:
    sandbox.set_config("tool.dockyard.lint", "disable", '["DL3008", "SC2086", "DY014"]')
    result = sandbox.invoke("lint", "--no-hadolint", timeout=60)
    assert result.code == 0 and not result.error_lines, result.describe()


@pytest.mark.parametrize(
    "args, facts",
    [
        pytest.param(["--path", "no/such/dir"], ("no/such/dir",), id="missing-path"),
        pytest.param(["--sarif", "/proc/no-such-dir/out.sarif"], ("out.sarif",), id="unwritable-sarif"),
    ],
)
def test_lint_bad_paths(sandbox: Sandbox, args: list[str], facts: tuple[str, ...]) -> None:
    expect_failure(sandbox.invoke("lint", "--no-hadolint", *args, timeout=60), *facts)
