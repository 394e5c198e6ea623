"""The bench's figures against the card's, as one self-contained HTML page with inline SVG.

No script, no external stylesheet or font: the page opens offline. Each metric is a row with its
own linear scale (0 to the largest of card, measured and target): a grey bar for the card's figure
(its range lighter), a coloured bar for the measurement (green: target met, red: missed, blue: no
target) and a dashed line at the target.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from dockyard.bench.metrics import Metric, format_value
from dockyard.bench.report import BenchReport, Comparison, Figure

LABEL_W = 330
BAR_W = 430
NOTE_W = 190
HEADROOM = 1.3  # the longest bar ends at 1/1.3 of the row: its label fits after it
ROW_H = 46
HEAD_H = 34
WIDTH = LABEL_W + BAR_W + NOTE_W + 20

COLOURS = {
    "met": "#2e7d32",
    "missed": "#c62828",
    "none": "#1565c0",
    "card": "#9e9e9e",
    "card_range": "#d6d6d6",
    "target": "#ef6c00",
}


@dataclass(frozen=True)
class Row:
    metric: Metric
    figure: Figure | None
    comparison: Comparison
    peers_max: float | None = None  # largest value among context rows of the same group and unit

    @property
    def value(self) -> float | None:
        return self.figure.value if self.figure else None

    @property
    def context_only(self) -> bool:
        """No card figure and no target: drawn on a scale shared with its peers."""
        return self.metric.card is None and self.metric.target is None

    def scale_max(self) -> float:
        """A row with a card figure or target has its own scale (its comparison stays visible);
        context rows of one group and unit share one (they are compared with each other)."""
        m = self.metric
        if m.unit == "%":
            return 100.0 * HEADROOM
        if self.context_only and self.peers_max:
            return self.peers_max * HEADROOM
        candidates = [v for v in (self.value, m.target, m.card.high if m.card else None) if v]
        return max(candidates) * HEADROOM if candidates else 1.0


def chart_rows(report: BenchReport) -> list[Row]:
    """Rows to draw: the card's metrics, and context rows with a card figure or a value."""
    rows = []
    for m, fig, cmp in report.rows():
        if m.info and m.card is None and (fig is None or fig.value is None):
            continue
        rows.append(Row(m, fig, cmp))
    peers: dict[tuple[str, str], float] = {}
    for row in rows:
        if row.context_only and row.value:
            key = (row.metric.group, row.metric.unit)
            peers[key] = max(peers.get(key, 0.0), row.value)
    return [Row(r.metric, r.figure, r.comparison, peers.get((r.metric.group, r.metric.unit))) for r in rows]


def short_card_text(text: str) -> str:
    """The card's words up to a parenthesis: "+50 MB (celery shared layers)" -> "+50 MB"."""
    return text.split(" (", 1)[0]


def _x(value: float, scale: float) -> float:
    return LABEL_W + BAR_W * max(0.0, min(value, scale)) / scale


def _text(
    x: float,
    y: float,
    body: str,
    *,
    size: int = 12,
    anchor: str = "start",
    fill: str = "#212121",
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
        f'font-weight="{weight}">{html.escape(body)}</text>'
    )


def _row_svg(row: Row, top: float) -> list[str]:
    m, value, scale = row.metric, row.value, row.scale_max()
    parts = [
        _text(
            8,
            top + 18,
            m.label,
            weight="normal" if m.info else "bold",
            fill="#616161" if m.info else "#212121",
        ),
        _text(8, top + 34, f"card: {m.card.text}" if m.card else "card: -", size=11, fill="#757575"),
    ]
    # The card's figure: its range light, up to the favourable end dark.
    if m.card:
        low, high = m.card.low, m.card.high
        parts.append(
            f'<rect x="{LABEL_W}" y="{top + 6}" width="{_x(high, scale) - LABEL_W:.1f}" '
            f'height="14" '
            f'fill="{COLOURS["card_range"]}"><title>card: {html.escape(m.card.text)}</title></rect>'
        )
        parts.append(
            f'<rect x="{LABEL_W}" y="{top + 6}" width="{_x(low, scale) - LABEL_W:.1f}" height="14" '
            f'fill="{COLOURS["card"]}"/>'
        )
        parts.append(_text(_x(high, scale) + 4, top + 17, short_card_text(m.card.text), size=11, fill="#616161"))
    # The measurement.
    if value is not None:
        colour = (
            COLOURS["none"]
            if row.comparison.meets_target is None
            else (COLOURS["met"] if row.comparison.meets_target else COLOURS["missed"])
        )
        width = max(_x(value, scale) - LABEL_W, 1.5)
        parts.append(
            f'<rect x="{LABEL_W}" y="{top + 23}" width="{width:.1f}" height="14" fill="{colour}">'
            f"<title>{html.escape(format_value(value, m.unit))}</title></rect>"
        )
        parts.append(
            _text(
                LABEL_W + width + 4,
                top + 34,
                format_value(value, m.unit),
                size=11,
                fill=colour,
                weight="bold",
            )
        )
    else:
        why = "not run"
        if row.figure is not None:
            why = row.figure.skipped and "skipped" or "not measured"
        parts.append(_text(LABEL_W + 4, top + 34, why, size=11, fill=COLOURS["missed"]))
    # The target.
    if m.target is not None:
        x = _x(m.target, scale)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top + 2}" x2="{x:.1f}" y2="{top + 41}" '
            f'stroke="{COLOURS["target"]}" stroke-width="2" stroke-dasharray="4 3">'
            f"<title>target {html.escape(m.target_text)}</title></line>"
        )
    verdict = "" if row.comparison.vs_card == "-" else row.comparison.vs_card
    mark = {True: "target met", False: "target missed"}.get(row.comparison.meets_target, "")
    if verdict and mark:
        mark = f" ({mark})"
    parts.append(
        _text(
            LABEL_W + BAR_W + 14,
            top + 25,
            verdict + mark,
            size=11,
            fill=COLOURS["met"]
            if row.comparison.meets_target
            else (COLOURS["missed"] if row.comparison.meets_target is False else "#424242"),
        )
    )
    return parts


def svg(report: BenchReport) -> str:
    rows = chart_rows(report)
    groups: list[str] = []
    height = 40
    for row in rows:
        if row.metric.group not in groups:
            groups.append(row.metric.group)
            height += HEAD_H
        height += ROW_H
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" role="img" '
        f'aria-label="bench figures against the reference card">'
    ]
    legend = [
        ("card's figure", COLOURS["card"]),
        ("measured, target met", COLOURS["met"]),
        ("measured, target missed", COLOURS["missed"]),
        ("measured, no target", COLOURS["none"]),
    ]
    x = 8
    for name, colour in legend:
        parts.append(f'<rect x="{x}" y="10" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(x + 16, 21, name, size=11))
        x += 30 + 7 * len(name)
    parts.append(
        f'<line x1="{x}" y1="16" x2="{x + 14}" y2="16" stroke="{COLOURS["target"]}" '
        f'stroke-width="2" '
        f'stroke-dasharray="4 3"/>'
    )
    parts.append(_text(x + 18, 21, "target", size=11))
    top = 40.0
    group = None
    titles = {
        "build": "Build",
        "size": "Image sizes",
        "startup": "docker run -> healthy",
        "memory": "Idle memory",
        "checks": "nox -s images",
        "cardfile": "The card's Dockerfile, same site, same run",
        "scale": "The site, and the site 10x the size",
    }
    for row in rows:
        if row.metric.group != group:
            group = row.metric.group
            parts.append(f'<line x1="0" y1="{top + 4}" x2="{WIDTH}" y2="{top + 4}" stroke="#e0e0e0"/>')
            parts.append(_text(8, top + 24, titles.get(group, group), size=14, weight="bold"))
            top += HEAD_H
        parts.extend(_row_svg(row, top))
        top += ROW_H
    parts.append("</svg>")
    return "\n".join(parts)


def page(report: BenchReport) -> str:
    """The whole HTML page: a heading, the chart, the within-run ratios and the run's facts."""
    host = report.host
    ratios = "".join(
        f"<li>{html.escape(r.label)}: <b>{r.value:g}</b></li>" for r in report.ratios() if r.value is not None
    )
    problems = "".join(
        f"<li>{html.escape(m.label)}: {html.escape(fig.error or fig.skipped or '')}</li>"
        for m, fig, _c in report.rows()
        if fig is not None and (fig.error or fig.skipped)
    )
    facts = (
        f"run {html.escape(report.run_id)}, {html.escape(report.started)}; "
        f"{html.escape(str(host.get('cpus', '?')))} CPUs, "
        f"Docker Engine {html.escape(str(host.get('engine', '?')))}, "
        f"cgroup v{html.escape(str(host.get('cgroup', '?')))}; build context: "
        f"{html.escape(str(report.context.get('source', '?')))} export"
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>dockyard bench {html.escape(report.run_id)}</title>
<style>
body {{ font-family: sans-serif; margin: 24px; color: #212121; }}
h1 {{ font-size: 20px; margin-bottom: 4px; }}
p.facts {{ color: #616161; font-size: 13px; margin-top: 0; }}
ul {{ font-size: 13px; }}
</style>
</head>
<body>
<h1>The project's Dockerfile against the reference card's figures and the card's own Dockerfile</h1>
<p class="facts">{facts}</p>
{svg(report)}
{f"<h2>Ratios measured within this run</h2><ul>{ratios}</ul>" if ratios else ""}
{f"<h2>Not measured</h2><ul>{problems}</ul>" if problems else ""}
</body>
</html>
"""
