"""Each rule on its fixtures: `bad*` gives exactly the marked (file, line, id), `good*` nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from lint_helpers import BAKE_PARSERS, FIXTURES, expected_findings, found_findings, run_lint

from dockyard.lint.rules import RULES

CASES = sorted(p for p in FIXTURES.glob("*/*") if p.is_dir())


def _cases():
    """Fixtures with a bake file run once per bake parser (buildx --print, python-hcl2)."""
    for directory in CASES:
        name = f"{directory.parent.name}/{directory.name}"
        if any(directory.glob("*.hcl")):
            for parser in BAKE_PARSERS:
                value = parser.values[0] if hasattr(parser, "values") else parser
                marks = parser.marks if hasattr(parser, "marks") else ()
                yield pytest.param(directory, value, id=f"{name}-{value}", marks=marks)
        else:
            yield pytest.param(directory, "auto", id=name)


@pytest.mark.parametrize(("directory", "parser"), list(_cases()))
def test_fixture_gives_exactly_the_marked_findings(directory: Path, parser: str) -> None:
    result = run_lint(directory, bake_parser=parser)
    expected = expected_findings(directory)
    if directory.name.startswith("good"):
        assert expected == set(), "a good fixture must not carry expect markers"
    assert found_findings(result, directory) == expected


@pytest.mark.parametrize("rule", sorted(RULES.values(), key=lambda r: r.id), ids=lambda r: r.id)
def test_every_rule_has_a_failing_and_a_passing_fixture(rule) -> None:
    home = FIXTURES / rule.name
    bad = [d for d in home.glob("bad*") if d.is_dir()]
    good = [d for d in home.glob("good*") if d.is_dir()]
    assert bad and good, f"fixtures/{rule.name}/bad and /good are missing"
    marked = {rule_id for d in bad for (_, _, rule_id) in expected_findings(d)}
    assert rule.id in marked, f"no bad fixture of {rule.name} expects {rule.id}"


def test_fixtures_only_expect_their_own_rule() -> None:
    """Each bad fixture demonstrates one rule, so a regression points at the right place."""
    by_name = {r.name: r.id for r in RULES.values()}
    for directory in CASES:
        ids = {rule_id for (_, _, rule_id) in expected_findings(directory)}
        assert ids <= {by_name[directory.parent.name]}, directory


def test_rules_have_documentation_fields() -> None:
    for rule in RULES.values():
        assert rule.id.startswith("DY") and rule.name and rule.summary and rule.why and rule.fix
        assert rule.severity in ("error", "warning", "info")
    assert len({r.name for r in RULES.values()}) == len(RULES)


def test_docs_list_every_rule_with_example_and_fix() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "lint-rules.md").read_text(encoding="utf-8")
    sections = docs.split("\n### ")[1:]
    documented = {section.split()[0]: section for section in sections}
    assert set(documented) == set(RULES)
    for rule_id, section in documented.items():
        rule = RULES[rule_id]
        assert section.startswith(f"{rule.id} {rule.name} ({rule.severity})"), section.splitlines()[0]
        assert "```" in section and "**Fix:**" in section, rule_id
        # issue 13: why it is an error or a warning, and what it does not catch
        assert f"**Why a{'n' if rule.severity == 'error' else ''} {rule.severity}" in section, rule_id
        assert "**Not caught:**" in section, rule_id
        assert ("Opt-in" in section or "opt-in" in section.lower()) == (not rule.default), rule_id
    assert "bench/lint_precision.py" in docs and "lint_corpus" in docs
