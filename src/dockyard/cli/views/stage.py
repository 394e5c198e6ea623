"""The stage for people: its services, and what test.zero-downtime measured."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from dockyard.stage.lifecycle import StageStatus
from dockyard.stage.zero_downtime import ZeroDowntimeReport


def status_table(found: StageStatus) -> Table | Text:
    if not found.up:
        return Text(f"the stage {found.name} is not up (invoke stage.up)")
    table = Table(title=f"stage {found.name}: {found.url or 'proxy not recorded'}")
    for column in ("service", "role", "tasks", "last update", "image"):
        table.add_column(column)
    for s in found.services:
        style = "green" if s.running >= s.wanted else "red"
        tasks = Text(f"{s.running}/{s.wanted}", style=style)
        table.add_row(Text(s.service), s.role, tasks, s.update or "-", Text(s.image))
    return table


def zero_downtime_view(report: ZeroDowntimeReport) -> Group:
    table = Table(title=f"zero downtime on the stage {report.stage} (at least {report.min_requests} requests a step)")
    for column in ("step", "outcome", "requests", "failed", "p50 ms", "p99 ms", "converge s", "verdict"):
        table.add_column(column)
    for step in report.steps:
        web = step.updates[0]
        outcome = "refused" if web.refused else web.state
        table.add_row(
            step.name,
            outcome,
            str(step.load.requests),
            Text(str(step.load.failed), style="green" if not step.load.failed else "red"),
            _ms(step.load.p50_ms),
            _ms(step.load.p99_ms),
            f"{web.converge_s:.1f}" if web.converge_s is not None else "-",
            Text("ok" if step.ok else step.problem, style="green" if step.ok else "red"),
        )
    parts: list = [table]
    beat = report.heartbeat
    if beat is not None:
        gaps = f"gaps {min(beat.gaps_s):.2f}-{max(beat.gaps_s):.2f} s" if beat.gaps_s else "no gaps"
        parts.append(
            Text(
                f"heartbeat: {beat.rows} rows over {beat.span_s:.0f} s, {gaps} (every {beat.interval_s:g} s): "
                f"{beat.doubled} doubled, {beat.missed} lost ({beat.lost_at_restart} in a worker restart "
                f"longer than the interval), {beat.late} late",
                style="green" if beat.ok else "red",
            )
        )
    parts += [Text(f"note: {note}") for note in report.notes]
    parts.append(Text("zero downtime: passed" if report.ok else "zero downtime: FAILED", style="bold"))
    return Group(*parts)


def _ms(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"
