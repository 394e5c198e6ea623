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

DEFECT_2 = "issue 14 defect 2: setting types are not checked"
DEFECT_9 = "issue 14 defect 9: traceback"
DEFECT_10 = "issue 14 defect 10: negative numbers accepted"
OWN = "issue 14 (fault suite): "


def case(table, key, value, command, *facts, xfail=None):  # noqa: ANN001, ANN201
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    name = f"{table.removeprefix('tool.dockyard').lstrip('.') or 'top'}.{key}={value}:{command.split()[0]}"
    return pytest.param(table, key, value, command, facts or (key,), marks=marks, id=name)


SETTINGS = [
    # defect 2: a string where a list is meant became a tuple of letters and removed :latest tags
    case("tool.dockyard.prune", "keep_tags", '"latest"', "prune --images --dry-run", xfail=DEFECT_2),
    case("tool.dockyard.prune", "keep_tags", "[1, 2]", "prune --images --dry-run", xfail=DEFECT_2),
    case("tool.dockyard", "bake_file", "5", "build.web", xfail=DEFECT_2 + " (bake_file = 5: TypeError)"),
    case("tool.dockyard", "bake_file", "5", "lint --no-hadolint", xfail=DEFECT_2),
    case("tool.dockyard", "dockerfile", '["Dockerfile"]', "build.web", xfail=DEFECT_2),
    case("tool.dockyard", "base_image", "5", "build.web", xfail=DEFECT_2),
    case("tool.dockyard.test", "timeout", '"soon"', "test.compose", xfail=DEFECT_9 + ': timeout = "soon"'),
    case("tool.dockyard.test", "web_image", "5", "test.web", xfail=DEFECT_2),
    case("tool.dockyard.test", "runtime_group", "5", "test.security", xfail=DEFECT_2),
    case("tool.dockyard.troubleshoot", "writable_paths", '"/tmp"', "troubleshoot.container some-name",
         xfail=DEFECT_2),
    case("tool.dockyard.troubleshoot", "min_waste_bytes", '"lots"', "troubleshoot.size some-image",
         xfail=DEFECT_9 + " (int() of a setting)"),
    case("tool.dockyard.caprover", "history_file", "5", "rollback.history", xfail=DEFECT_2),
    case("tool.dockyard.caprover", "timeout", '"soon"', "deploy web --tag abc1234 --dry-run"),
    case("tool.dockyard.caprover", "wait_timeout", "-1", "deploy web --tag abc1234 --dry-run"),
    case("tool.dockyard.lint", "disable", '"DY001"', "lint --no-hadolint"),
    case("tool.dockyard.lint", "hadolint", '"yes"', "lint --no-hadolint"),
    case("tool.dockyard.checks", "targets", '"web"', "images_run web"),
    # defect 10: negative uids and timeouts are accepted
    case("tool.dockyard.lint", "uid", "-1", "lint --no-hadolint", xfail=DEFECT_10 + " (uid)"),
    case("tool.dockyard.test", "timeout", "-5", "test.compose", xfail=DEFECT_10 + " (timeout)"),
    case("tool.dockyard.checks", "uid", "-1", "images_run web"),
    # defect 10: the table name vanished from the line (`error: : startup_seconds ...`)
    case("tool.dockyard.checks", "startup_seconds", "-1", "images_run web", "[tool.dockyard.checks]",
         "startup_seconds", xfail="issue 14 defect 10: `error: : startup_seconds` (empty table name)"),
    # unknown keys are typos: an error naming the key (lint and checks tables already do this)
    case("tool.dockyard", "bake_fille", '"x.hcl"', "build.web", xfail=OWN + "unknown key accepted silently"),
    case("tool.dockyard.caprover", "tiemout", "5", "deploy web --tag abc1234 --dry-run",
         xfail=OWN + "unknown key accepted silently"),
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
        pytest.param("tool = 5\n", ("tool",), id="tool-not-a-table",
                     marks=pytest.mark.xfail(strict=True, reason=DEFECT_9 + " ('int' has no attribute get)")),
        pytest.param("[tool]\ndockyard = 5\n", ("tool.dockyard",), id="dockyard-not-a-table",
                     marks=pytest.mark.xfail(strict=True, reason=DEFECT_9 + " ('int' has no attribute get)")),
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
    ("pyproject", "rollback.history", DEFECT_9 + ": non-UTF-8 pyproject.toml (UnicodeDecodeError)"),
    ("pyproject", "lint --no-hadolint", DEFECT_9 + ": non-UTF-8 pyproject.toml (UnicodeDecodeError)"),
    ("pyproject", "build.web", DEFECT_9 + ": non-UTF-8 pyproject.toml (UnicodeDecodeError)"),
    ("dockerfile", "lint --no-hadolint", DEFECT_9 + ": non-UTF-8 Dockerfile (UnicodeDecodeError)"),
    ("dockerfile", "lint_module --no-hadolint", DEFECT_9 + ": non-UTF-8 Dockerfile (UnicodeDecodeError)"),
    ("dockerfile", "build.web", DEFECT_9 + ": non-UTF-8 Dockerfile, checked only after the engine"),
    ("bake", "lint --no-hadolint", DEFECT_9 + ": non-UTF-8 bake file (UnicodeDecodeError)"),
    ("bake", "build.web", DEFECT_9 + ": non-UTF-8 bake file, read only after the engine"),
    ("compose", "lint --no-hadolint", DEFECT_9 + ": non-UTF-8 compose file (UnicodeDecodeError)"),
]


@pytest.mark.parametrize(
    "which, command",
    [
        pytest.param(w, c, marks=[pytest.mark.xfail(strict=True, reason=x)] if x else [], id=f"{w}:{c.split()[0]}")
        for w, c, x in ENCODING_CASES
    ],
)
def test_a_file_that_is_not_utf8(sandbox: Sandbox, which: str, command: str) -> None:
    name = non_utf8(sandbox, which)
    result = run_command(sandbox, command, env=ENV, timeout=60)
    expect_failure(result, name, "utf-8")
    assert sandbox.tripwire.connections == 0, "the engine was contacted before the file was read"


MISSING_CASES = [
    ("dockerfile", "build.web", DEFECT_9 + ": a missing Dockerfile (FileNotFoundError), checked after the engine"),
    ("dockerfile", "troubleshoot.build web", DEFECT_9 + ": a missing Dockerfile, checked after the engine"),
    ("bake", "build.web", None),
    ("compose", "test.compose", None),
]


@pytest.mark.parametrize(
    "which, command",
    [
        pytest.param(w, c, marks=[pytest.mark.xfail(strict=True, reason=x)] if x else [], id=f"{w}:{c.split()[0]}")
        for w, c, x in MISSING_CASES
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
    """For lint a missing Dockerfile or bake file is a finding (exit 1, the usual summary line)."""
    path = sandbox.path(FILES[which])
    path.unlink()
    result = sandbox.invoke("lint", "--no-hadolint", timeout=60)
    expect_failure(result, "finding", code=1)
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
@pytest.mark.xfail(strict=True, reason="issue 14 defect 8: unknown rule ids in `# dockyard: ignore=` pass silently")
def test_lint_names_an_unknown_rule_in_an_inline_ignore(sandbox: Sandbox, directive: str, rule: str) -> None:
    """Decision: an unknown id in an inline ignore is a `warning:` naming file:line and the id; the
    lint result itself is unchanged (exit 0 on a clean file)."""
    path = sandbox.path(FILES["dockerfile"])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("FROM base AS runtime-full\n", f"FROM base AS runtime-full\n{directive}\n", 1))
    result = sandbox.invoke("lint", "--no-hadolint", timeout=60)
    assert result.code == 0 and not result.error_lines, result.describe()
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:") and rule in line]
    assert warnings and "Dockerfile.multistage" in warnings[0], result.describe()


@pytest.mark.parametrize("rule", ["DY999", "no-such-rule"])
@pytest.mark.xfail(strict=True,
                   reason="issue 14 defect 8: unknown rule ids in [tool.dockyard.lint] disable pass silently")
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
