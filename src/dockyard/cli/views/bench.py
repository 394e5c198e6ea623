"""`invoke bench` for people: the figures beside the card's, as a table."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from dockyard.bench.report import BenchReport, measured_text, target_mark


def bench_table(report: BenchReport, details: bool = True) -> Table:
    """The figures beside the card's; `details` adds how each was obtained (a wide column)."""
    t = Table(title=f"dockyard bench {report.run_id}  ({report.started})", title_justify="left")
    t.add_column("metric", overflow="fold")
    t.add_column("measured", justify="right")
    t.add_column("card", overflow="fold")
    t.add_column("vs card", justify="right")
    t.add_column("target", justify="right")
    t.add_column("", justify="left")
    if details:
        t.add_column("detail", overflow="fold", ratio=1)
    group = None
    for m, fig, cmp in report.rows():
        if m.group != group:
            if group is not None:
                t.add_section()
            group = m.group
        mark, style = target_mark(cmp)
        note = (fig.error or fig.skipped or fig.detail) if fig else ""
        label = Text(m.label, style="dim" if m.info else "")
        cells = [
            label,
            measured_text(m, fig),
            m.card.text if m.card else "-",
            cmp.vs_card,
            m.target_text,
            Text(mark, style=style),
        ]
        if details:
            cells.append(Text(note, style="red" if fig and fig.error else "dim"))
        t.add_row(*cells)
    ratios = [r for r in report.ratios() if r.value is not None]
    if ratios:
        t.caption = "ratios within this run: " + "; ".join(f"{r.label} = {r.value:g}" for r in ratios)
        t.caption_justify = "left"
    return t
