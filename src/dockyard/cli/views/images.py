"""`nox -s images` for people: a table per target and a summary line."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from dockyard.images.reports import ImagesReport


def target_table(report: ImagesReport, target: str) -> Table:
    results = report.for_target(target)
    failed = sum(r.failed for r in results)
    verdict = Text("all passed", style="green") if not failed else Text(f"{failed} failed", style="bold red")
    title = Text.assemble((target, "bold"), f"  {report.images.get(target, '')}  ", verdict)
    table = Table(title=title, title_justify="left", expand=False)
    table.add_column("check")
    table.add_column("result")
    table.add_column("measured", overflow="fold")
    table.add_column("budget", overflow="fold")
    table.add_column("detail", overflow="fold", ratio=1)
    for r in results:
        mark = (
            Text("skip", style="yellow")
            if r.skipped
            else Text("pass", style="green")
            if r.passed
            else Text("FAIL", style="bold red")
        )
        table.add_row(r.name, mark, Text(r.measured), Text(r.budget), Text(r.detail))
    return table


def summary_line(report: ImagesReport) -> str:
    if report.error:
        return f"images: not checked: {report.error}"
    failures = report.failures
    skipped = f", {len(report.skipped)} skipped" if report.skipped else ""
    head = f"images: {len(report.results)} checks on {len(report.targets)} target(s), {len(failures)} failed{skipped}"
    timing = f" in {report.wall_seconds:.0f}s" if report.wall_seconds is not None else ""
    return head + timing + ("" if not failures else ": " + "; ".join(r.one_line() for r in failures))
