"""Rules off (`[tool.dockyard.lint] disable`, `# dockyard: ignore=ID`); which stages are runtime."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lint_helpers import FIXTURES, found_findings, run_lint

from dockyard.core.errors import ConfigError
from dockyard.core.settings import load_settings
from dockyard.lint.ignores import directives

ROOT_USER_BAD = FIXTURES / "runtime-root-user" / "bad"


def copy_fixture(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.parent.name
    shutil.copytree(source, target)
    return target


def test_disable_by_id_or_name() -> None:
    assert run_lint(ROOT_USER_BAD).findings
    assert run_lint(ROOT_USER_BAD, disable=["DY001"]).findings == []
    assert run_lint(ROOT_USER_BAD, disable=["runtime-root-user"]).findings == []


def test_inline_ignore_on_the_line_or_the_line_before(tmp_path: Path) -> None:
    directory = copy_fixture(ROOT_USER_BAD, tmp_path)
    dockerfile = directory / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    # line before the FROM (finding at line 6), and the USER root line's predecessor by rule name
    text = text.replace("# expect: DY001\nFROM base AS runtime", "# dockyard: ignore=DY001\nFROM base AS runtime")
    dockerfile.write_text(text, encoding="utf-8")
    result = run_lint(directory)
    assert found_findings(result, directory) == {("Dockerfile", 13, "DY001")}
    assert result.suppressed == 1
    text = text.replace("# expect: DY001\nUSER root", "# dockyard: ignore=DY013, runtime-root-user\nUSER root")
    dockerfile.write_text(text, encoding="utf-8")
    result = run_lint(directory)
    assert result.findings == [] and result.suppressed == 2


def test_inline_ignore_of_another_rule_keeps_the_finding(tmp_path: Path) -> None:
    directory = copy_fixture(ROOT_USER_BAD, tmp_path)
    dockerfile = directory / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8").replace(
        "# expect: DY001\nUSER root", "# dockyard: ignore=DY002\nUSER root"
    )
    dockerfile.write_text(text, encoding="utf-8")
    assert ("Dockerfile", 13, "DY001") in found_findings(run_lint(directory), directory)


def test_inline_ignore_in_bake_and_compose_files(tmp_path: Path) -> None:
    directory = copy_fixture(FIXTURES / "unknown-stage" / "bad", tmp_path)
    for name, comment in (
        ("docker-bake.hcl", "// dockyard: ignore=DY006"),
        ("docker-compose.yml", "# dockyard: ignore=DY006"),
    ):
        path = directory / name
        path.write_text(path.read_text(encoding="utf-8").replace("# expect: DY006", comment), encoding="utf-8")
    assert run_lint(directory).findings == []


def test_directive_syntax() -> None:
    table = directives(["RUN x", "# dockyard: ignore=DY001,dy002 because reasons", "// dockyard: ignore = DL3008"])
    assert table == {2: {"DY001", "DY002"}, 3: {"DL3008"}}


def test_runtime_stages_from_config_replace_the_derived_ones() -> None:
    # bake ships runtime and worker; naming only `base` (no USER either) moves the finding there
    result = run_lint(ROOT_USER_BAD, runtime_stages=["base"])
    assert found_findings(result, ROOT_USER_BAD) == {("Dockerfile", 1, "DY001")}


def test_ephemeral_targets_are_not_runtime() -> None:
    result = run_lint(ROOT_USER_BAD, ephemeral=["worker"])
    assert found_findings(result, ROOT_USER_BAD) == {("Dockerfile", 6, "DY001")}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"disabel": []}, "no key 'disabel'"),
        ({"disable": "DY001"}, "disable must be a list"),
        ({"uid": "1000"}, "uid must be an integer"),
        ({"uid": True}, "uid must be an integer"),
        ({"hadolint_threshold": "loud"}, "hadolint_threshold must be"),
        ({"bake_parser": "yaml"}, "bake_parser must be"),
    ],
)
def test_bad_config_is_one_clear_error(section: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"lint": section})


def test_uid_setting_changes_the_expected_uid() -> None:
    directory = FIXTURES / "system-uid" / "good"
    assert run_lint(directory).findings == []
    messages = [f.message for f in run_lint(directory, uid=1001).findings]
    assert any("USER 1000" in m and "uid 1001" in m for m in messages)


def test_unknown_rule_ids_are_reported(tmp_path: Path) -> None:
    """A misspelt id in `disable`/`enable` is a configuration error; in `# dockyard: ignore=` a note."""
    with pytest.raises(ConfigError, match="'DY999' is neither a rule id or name"):
        run_lint(ROOT_USER_BAD, disable=["DY999"])
    with pytest.raises(ConfigError, match="enable: 'no-such-rule'"):
        run_lint(ROOT_USER_BAD, enable=["no-such-rule"])
    assert run_lint(ROOT_USER_BAD, disable=["DL3008", "SC2086", "runtime-root-user"]).findings == []
    directory = copy_fixture(ROOT_USER_BAD, tmp_path)
    dockerfile = directory / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8").replace(
        "# expect: DY001\nUSER root", "# dockyard: ignore=DY0001\nUSER root"
    )
    dockerfile.write_text(text, encoding="utf-8")
    result = run_lint(directory)
    assert ("Dockerfile", 13, "DY001") in found_findings(result, directory)  # nothing suppressed
    assert any("ignore=DY0001` names no rule" in note and ":12:" in note for note in result.notes)


def test_an_ignore_above_a_multi_line_instruction_covers_its_lines(tmp_path: Path) -> None:
    directory = copy_fixture(FIXTURES / "secret-in-arg-env" / "bad-multiline", tmp_path)
    dockerfile = directory / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8").replace("ENV PATH=", "# dockyard: ignore=DY011\nENV PATH=")
    dockerfile.write_text(text, encoding="utf-8")
    result = run_lint(directory)
    assert result.findings == [] and result.suppressed == 1


def test_hadolint_ignore_silences_the_rule_that_replaces_the_code(tmp_path: Path) -> None:
    directory = copy_fixture(FIXTURES / "apt-lists-left" / "good-hadolint-ignore", tmp_path)
    assert run_lint(directory).findings == []
    dockerfile = directory / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8").replace("# hadolint ignore=DL3008,DL3009", "# hadolint ignore=DL3008")
    dockerfile.write_text(text, encoding="utf-8")
    assert [(f.rule, f.line) for f in run_lint(directory).findings] == [("DY013", 4)]


def test_opt_in_rules_run_only_when_enabled() -> None:
    directory = FIXTURES / "depends-on-without-health" / "bad"
    assert run_lint(directory).findings  # its pyproject.toml enables DY009
    assert run_lint(directory, enable=[]).findings == []
    assert run_lint(directory, enable=["depends-on-without-health"]).findings


def test_without_a_uid_policy_any_fixed_non_root_uid_passes() -> None:
    settings_free = FIXTURES / "system-uid" / "good-no-policy"
    assert run_lint(settings_free).findings == []
    assert {f.rule for f in run_lint(settings_free, uid=1000).findings} == {"DY002"}
