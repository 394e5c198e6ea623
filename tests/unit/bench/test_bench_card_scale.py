"""The card's Dockerfile fixture, the scale generator, --strict's verdict and the side-by-side rows."""

from pathlib import Path

import pytest

from dockyard.bench import card
from dockyard.bench.report import REFERENCE, BenchReport, markdown, project_rows, side_by_side
from dockyard.bench.runner import BenchIncomplete, TargetsMissed, verdict
from dockyard.bench.scale import (
    JS_DIR,
    PY_DIR,
    ScaleError,
    count_sources,
    entry_addition,
    generated_files,
    plan_scale,
    write_scaled,
)
from dockyard.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


def test_the_card_dockerfile_fixture_is_the_card_s_way():
    text = (ROOT / card.CARD_DOCKERFILE).read_text()
    assert card.problems(text) == []


def test_the_project_s_own_dockerfile_is_not_the_card_s_way():
    found = card.problems((ROOT / "deployment/Dockerfile.multistage").read_text())
    assert "a cache mount (the card has none)" in found
    assert "the builder does not copy the code before the pip install" in found


def test_deps_before_code_or_a_cache_mount_or_no_prune_is_reported():
    text = (ROOT / card.CARD_DOCKERFILE).read_text()
    cached = text + "RUN --mount=type=cache,target=/root/.cache/pip true\n"
    assert any("cache mount" in p for p in card.problems(cached))
    unpruned = text.replace("rm -rf node_modules", "true")
    assert any("prune" in p or "line is missing" in p for p in card.problems(unpruned))


def test_install_replaces_the_dockerfile_of_an_export_only(tmp_path):
    (tmp_path / "deployment").mkdir()
    (tmp_path / "deployment/Dockerfile.multistage").write_text("FROM x AS base\n")
    path = card.install(tmp_path, "deployment/Dockerfile.multistage", "card\n")
    assert path.read_text() == "card\n"
    with pytest.raises(card.CardDockerfileMissing):
        card.install(tmp_path, "deployment/Dockerfile.other", "card\n")
    (tmp_path / ".git").mkdir()
    with pytest.raises(ConfigError, match="git working tree"):
        card.install(tmp_path, "deployment/Dockerfile.multistage", "card\n")


FILES = [
    "app/manage.py",
    "app/core/__init__.py",
    "app/core/views.py",
    "app/core/__pycache__/views.py",
    "app/frontend/app.js",
    "app/frontend/lib/util.js",
    "app/frontend/node_modules/x/index.js",
    "tests/test_x.py",
]


def test_count_sources_counts_the_edit_s_tree_and_skips_vendored_dirs():
    counts = count_sources(FILES, "app/core/views.py", "app/frontend/app.js")
    assert (counts.python, counts.js) == (3, 2)


def test_plan_reaches_factor_times_the_files():
    plan = plan_scale(FILES, "app/core/views.py", "app/frontend/app.js", 10)
    assert (plan.after.python, plan.after.js) == (30, 20)
    files = generated_files(plan)
    py = [f for f in files if f.endswith(".py")]
    js = [f for f in files if f.endswith(".js")]
    assert len(py) == plan.python_new and all(f.startswith(f"app/core/{PY_DIR}/") for f in py)
    assert len(js) == plan.js_new and all(f.startswith(f"app/frontend/{JS_DIR}/") for f in js)
    assert generated_files(plan) == files  # no randomness, no clock


def test_generated_python_compiles_and_the_entry_imports_every_js_module():
    plan = plan_scale(FILES, "app/core/views.py", "app/frontend/app.js", 3)
    for name, text in generated_files(plan).items():
        if name.endswith(".py"):
            compile(text, name, "exec")
    addition = entry_addition(plan.js_new)
    assert addition.count("import {") == plan.js_new


@pytest.mark.parametrize(
    ("files", "asset", "factor", "message"),
    [
        (FILES, "app/frontend/app.js", 1, "give 2 or more"),
        (FILES, "app/frontend/site.css", 10, "not a script"),
        (["app/frontend/app.js"], "app/frontend/app.js", 10, "nothing to scale"),
    ],
)
def test_unscalable_sites_are_one_error(files, asset, factor, message):
    with pytest.raises(ScaleError, match=message):
        plan_scale(files, "app/core/views.py", asset, factor)


def test_write_scaled_appends_to_the_entry(tmp_path):
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1" if name.endswith(".py") else "console.log(1);")
    plan = plan_scale(FILES, "app/core/views.py", "app/frontend/app.js", 2)
    write_scaled(tmp_path, plan)
    entry = (tmp_path / "app/frontend/app.js").read_text()
    assert entry.startswith("console.log(1);\n") and f"./{JS_DIR}/scale0001.js" in entry
    assert (tmp_path / f"app/core/{PY_DIR}/__init__.py").is_file()


def _report() -> BenchReport:
    r = BenchReport(run_id="r", started="2026-12-04T12:00:00+00:00")
    r.add("build.cold.seconds", 30.0)
    r.add("cardfile.build.cold.seconds", 90.0)
    r.add("startup.celery.seconds", 3.0)
    r.add("cardfile.startup.celery.seconds", 45.0)
    return r


def test_side_by_side_puts_the_card_s_figure_beside_the_project_s_with_their_ratio():
    rows = {row.label: row for row in side_by_side(_report())}
    cold = rows["cold build of essential (--no-cache)"]
    assert (cold.ours, cold.card, cold.ratio, cold.mark) == ("30 s", "1m 30s", "3x", "met")
    assert rows["web image"].ratio == "-"
    assert "| cold build of essential (--no-cache) | 30 s | 1m 30s | 3x | <= 40 s | met |" in markdown(_report())


def test_project_columns_show_each_sample_and_its_notes():
    r = _report()
    sample = r.project("ledger", "tests/samples/ledger")
    sample.add("build.cold.seconds", 20.0)
    sample.notes.append("celery-unified: not measured until the sample contract lands")
    rows = dict(project_rows(r))
    assert rows["cold build of essential (--no-cache, empty cache mounts)"] == ["30 s", "20 s"]
    text = markdown(r)
    assert f"| figure | {REFERENCE} | ledger |" in text
    assert "- ledger: celery-unified: not measured until the sample contract lands" in text


def test_strict_fails_on_a_missed_target_and_not_without_it():
    r = _report()
    verdict(r, strict=True)  # every target measured here is met
    r.add("startup.celery.seconds", 5.0)
    verdict(r, strict=False)
    with pytest.raises(TargetsMissed, match="startup.celery.seconds"):
        verdict(r, strict=True)


def test_a_figure_not_measured_fails_the_run_with_and_without_strict():
    r = _report()
    r.project("kanban").fail("build.cold.seconds", "bake failed")
    with pytest.raises(BenchIncomplete, match="of kanban: bake failed"):
        verdict(r, strict=False)
