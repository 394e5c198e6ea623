"""`invoke bench` for people: the card's Dockerfile beside the project's, every project, every figure."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from dockyard.bench.report import (
    BenchReport,
    measured_text,
    project_columns,
    project_rows,
    side_by_side,
    target_mark,
)


def side_by_side_table(report: BenchReport) -> Table:
    t = Table(
        title="The card's Dockerfile beside the project's (same site, same bake, this run)",
        title_justify="left",
    )
    t.add_column("figure", overflow="fold")
    t.add_column("project's Dockerfile", justify="right")
    t.add_column("card's Dockerfile", justify="right")
    t.add_column("card / project", justify="right")
    t.add_column("target", justify="right")
    t.add_column("", justify="left")
    for row in side_by_side(report):
        style = {"met": "green", "MISSED": "bold red"}.get(row.mark, "dim")
        t.add_row(Text(row.label), row.ours, row.card, row.ratio, row.target, Text(row.mark, style=style))
    return t


def projects_table(report: BenchReport) -> Table:
    t = Table(title="Every project (targets are the reference site's)", title_justify="left")
    t.add_column("figure", overflow="fold")
    for name in project_columns(report):
        t.add_column(Text(name), justify="right")
    for label, cells in project_rows(report):
        t.add_row(Text(label), *cells)
    notes = [f"{name}: {note}" for name, p in report.projects.items() for note in p.notes]
    if notes:
        t.caption = Text("; ".join(notes))
        t.caption_justify = "left"
    return t


def bench_table(report: BenchReport, details: bool = True) -> Table:
    """Every figure beside the card's quoted one and the target; `details` adds how each was
    obtained (a wide column)."""
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


def bench_tables(report: BenchReport, details: bool = True) -> list[Table]:
    """What `invoke bench` prints: the side-by-side table, every project, every figure."""
    tables = [side_by_side_table(report)]
    if report.projects:
        tables.append(projects_table(report))
    tables.append(bench_table(report, details))
    return tables

