"""Figures against the card and the targets: comparisons, report, table, Markdown, JSON."""

import json
import math

import pytest
from rich.console import Console

from dockyard.bench.metrics import (
    BY_KEY,
    HIGHER,
    LOWER,
    METRICS,
    CardFigure,
    Metric,
    format_value,
    metric,
)
from dockyard.bench.report import BenchReport, compare, markdown, write_json
from dockyard.cli.views.bench import bench_table as table


def test_metric_keys_are_unique_and_every_card_metric_has_a_card_figure_or_a_target():
    assert len(BY_KEY) == len(METRICS)
    for m in METRICS:
        assert m.better in (LOWER, HIGHER)
        if not m.info:
            assert m.card is not None or m.target is not None, m.key


def test_issue_targets_are_the_issue_s_numbers():
    assert metric("build.warm.python.seconds").target == 15
    assert metric("build.warm.asset.cached_pct").target == 90
    assert metric("size.web.mb").target == 200
    assert metric("size.celery_over_web.mb").target == 1
    assert metric("startup.celery.seconds").target == 4
    assert metric("memory.total.mb").target == 400
    assert metric("checks.images.seconds").target == 25


def test_unknown_metric_is_a_key_error():
    with pytest.raises(KeyError, match="unknown bench metric"):
        metric("build.nope")


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (7.23, "s", "7.2 s"),
        (36.4, "s", "36 s"),
        (138, "s", "2m 18s"),
        (1440, "s", "24m 00s"),
        (213.4, "MB", "213 MB"),
        (0.004, "MB", "0.00 MB"),
        (1100, "MB", "1.10 GB"),
        (76.4, "%", "76%"),
        (None, "s", "-"),
    ],
)
def test_format_value(value, unit, text):
    assert format_value(value, unit) == text


def test_card_range_is_compared_at_its_end_hardest_to_beat():
    card = CardFigure(20, 30, "20-30 s", "Performance")
    assert card.favourable(LOWER) == 20
    assert card.favourable(HIGHER) == 30


def test_lower_is_better_factor_uses_the_card_s_lower_bound():
    m = Metric("x", "x", "build", "s", card=CardFigure(1320, 1440, "22-24 min", "s"), target=60)
    c = compare(m, 132.0)
    assert c.factor == pytest.approx(10.0)
    assert c.vs_card == "10.0x faster"
    assert c.meets_target is False


def test_slower_than_the_card_says_so():
    m = Metric("x", "x", "startup", "s", card=CardFigure(18, 28, "18-28 s", "s"), target=10)
    c = compare(m, 36.0)
    assert c.vs_card == "2.0x slower"
    assert c.factor == pytest.approx(0.5)
    assert c.meets_target is False


def test_sizes_say_smaller_and_zero_says_nothing_left():
    m = metric("size.celery_over_web.mb")
    assert compare(m, 0.0).vs_card == "nothing left"
    assert math.isinf(compare(m, 0.0).factor)
    assert compare(m, 0.0).meets_target is True
    assert compare(metric("size.web.mb"), 110.0).vs_card == "10.0x smaller"


def test_percentages_compare_in_points_and_higher_is_better():
    m = metric("build.warm.python.cached_pct")
    c = compare(m, 76.0)
    assert c.vs_card == "+6 pts"
    assert c.meets_target is False
    assert compare(m, 95.0).meets_target is True
    assert compare(m, 50.0).vs_card == "-20 pts"


def test_nothing_measured_compares_to_nothing():
    c = compare(metric("size.web.mb"), None)
    assert (c.vs_card, c.factor, c.meets_target) == ("-", None, None)


def test_no_card_figure_still_checks_the_target():
    c = compare(metric("checks.images.seconds"), 75.0)
    assert c.vs_card == "-"
    assert c.meets_target is False


def _report() -> BenchReport:
    r = BenchReport(
        run_id="abc123",
        started="2024-11-21T10:00:00+00:00",
        host={"cpus": 2, "engine": "26.1.5", "cgroup": "1"},
        context={"source": "worktree", "commit": "0123456789abcdef"},
    )
    r.add("build.cold.seconds", 138.04, "0/24 steps cached")
    r.add("build.warm.python.seconds", 7.2, "app/core/views.py; 22/29 steps cached")
    r.add("build.warm.python.cached_pct", 75.86, "22/29 steps cached")
    r.add("startup.web.seconds", 5.7)
    r.add("cardfile.startup.web.seconds", 30.8)
    r.fail("startup.celery.seconds", "container exited with code 1")
    r.skip("checks.images.seconds", "--skip-checks")
    r.add("size.web.mb", 213.0)
    return r


def test_report_records_figures_failures_and_skips():
    r = _report()
    assert r.value("build.warm.python.cached_pct") == 75.86
    assert r.figures["startup.celery.seconds"].status == "not measured"
    assert r.figures["checks.images.seconds"].status == "skipped"
    assert [f.key for f in r.errors] == ["startup.celery.seconds"]
    assert {m.key for m in r.missed_targets} == {"build.cold.seconds", "build.warm.python.cached_pct", "size.web.mb"}
    with pytest.raises(KeyError):
        r.add("no.such.metric", 1)


def test_ratios_are_computed_within_the_run_and_left_empty_without_both_figures():
    ratios = {x.numerator: x.value for x in _report().ratios()}
    assert ratios["cardfile.startup.web.seconds"] == pytest.approx(5.4, abs=0.01)
    assert ratios["cardfile.startup.celery.seconds"] is None
    assert ratios["build.warm.python.seconds"] == pytest.approx(0.05, abs=0.01)


def test_json_carries_every_metric_with_card_target_and_verdict(tmp_path):
    path = write_json(_report(), tmp_path / "sub" / "bench.json")
    data = json.loads(path.read_text())
    assert data["version"] == 2
    keys = [f["key"] for f in data["figures"]]
    assert keys == [m.key for m in METRICS]
    cold = next(f for f in data["figures"] if f["key"] == "build.cold.seconds")
    assert cold["card"]["text"] == "22-24 min" and cold["card"]["compared_with"] == 1320
    assert cold["factor_vs_card"] == pytest.approx(9.56, abs=0.01)
    never = next(f for f in data["figures"] if f["key"] == "memory.total.mb")
    assert never["status"] == "not run" and never["value"] is None
    assert data["summary"]["targets_missed"] == ["build.cold.seconds", "build.warm.python.cached_pct", "size.web.mb"]
    assert data["summary"]["not_measured"] == 1


def test_markdown_puts_each_figure_beside_the_card_s():
    text = markdown(_report())
    assert (
        "| cold build of essential (--no-cache, empty cache mounts) | 2m 18s | 22-24 min | 9.6x faster "
        "| <= 40 s | MISSED "
        "| 0/24 steps cached |" in text
    )
    assert "| steps cached, one Python file changed | 76% | >70% cache hits | +6 pts | >= 90% | MISSED |" in text
    assert "| docker run -> healthy, celery-unified | not measured |" in text
    assert "container exited with code 1" in text
    assert "of 0123456789ab" in text


def test_table_renders_every_metric_with_and_without_details():
    console = Console(record=True, width=200)
    console.print(table(_report(), details=True))
    wide = console.export_text()
    assert "22/29 steps cached" in wide and "MISSED" in wide and "9.6x faster" in wide
    console = Console(record=True, width=200)
    console.print(table(_report(), details=False))
    narrow = console.export_text()
    assert "22/29 steps cached" not in narrow and "warm rebuild after changing one Python file" in narrow
