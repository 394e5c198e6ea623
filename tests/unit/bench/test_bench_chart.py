"""The HTML chart: self-contained, a row per figure, bars scaled per row, coloured by target."""

import re
import xml.etree.ElementTree as ET

from dockyard.bench import chart
from dockyard.bench.report import BenchReport

SVG = "{http://www.w3.org/2000/svg}"


def _report() -> BenchReport:
    r = BenchReport(
        run_id="r1",
        started="2024-11-21T10:00:00+00:00",
        host={"cpus": 2, "engine": "26", "cgroup": "1"},
        context={"source": "worktree"},
    )
    r.add("size.web.mb", 100.0)  # target 200: met
    r.add("startup.celery.seconds", 21.0)  # target 10: missed
    r.add("memory.web.mb", 95.0)  # no card, no target
    r.fail("memory.total.mb", "no service <b>turned</b> healthy")
    return r


def test_page_is_self_contained():
    page = chart.page(_report())
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace, never fetched


def test_svg_is_well_formed_and_escapes_text():
    svg = chart.svg(_report())
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    page = chart.page(_report())
    assert "&lt;b&gt;turned&lt;/b&gt;" in page and "<b>turned</b>" not in page


def _bar(svg: str, title: str) -> ET.Element:
    root = ET.fromstring(svg)
    for rect in root.iter(f"{SVG}rect"):
        t = rect.find(f"{SVG}title")
        if t is not None and t.text == title:
            return rect
    raise AssertionError(f"no bar titled {title}")


def test_measured_bar_is_scaled_against_the_card_in_its_own_row_and_coloured_by_target():
    svg = chart.svg(_report())
    web = _bar(svg, "100 MB")
    card = _bar(svg, "card: ~1.1 GB")
    assert float(web.get("width")) / float(card.get("width")) == __import__("pytest").approx(100 / 1100, rel=0.01)
    assert web.get("fill") == chart.COLOURS["met"]
    assert _bar(svg, "21 s").get("fill") == chart.COLOURS["missed"]
    assert _bar(svg, "95 MB").get("fill") == chart.COLOURS["none"]


def test_rows_cover_card_metrics_even_when_not_run_and_skip_empty_context_rows():
    keys = [row.metric.key for row in chart.chart_rows(_report())]
    assert "build.cold.seconds" in keys  # a card metric, not run: drawn as "not run"
    assert "memory.web.mb" in keys  # context row with a value
    assert "memory.celery.mb" not in keys  # context row, no card figure, nothing measured
    assert "not measured" in chart.svg(_report())


def test_context_rows_share_a_scale_and_card_rows_keep_their_own():
    r = _report()
    r.add("memory.celery.mb", 190.0)
    rows = {row.metric.key: row for row in chart.chart_rows(r)}
    assert rows["memory.web.mb"].scale_max() == rows["memory.celery.mb"].scale_max() == 190.0 * chart.HEADROOM
    assert rows["size.web.mb"].scale_max() == 1100 * chart.HEADROOM
    svg = chart.svg(r)
    assert float(_bar(svg, "95 MB").get("width")) < float(_bar(svg, "190 MB").get("width"))


def test_bar_labels_use_the_card_s_short_words():
    assert chart.short_card_text("+50 MB (celery shared layers)") == "+50 MB"
    assert chart.short_card_text("~1.1 GB") == "~1.1 GB"
