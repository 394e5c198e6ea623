"""Deploys and rollbacks for people: the deploy history, the rollback plan, the full-rollback checklist."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from dockyard.cli.console import console
from dockyard.core.untrusted import one_line
from dockyard.deploy import caprover, history, rollback
from dockyard.deploy import deployer as deploying


def _cell(text: str, style: str = "") -> Text:
    """A value from the history or a server: literal (never markup), without terminal escapes."""
    return Text(one_line(text), style)


def history_table(entries: list[history.Entry], title: str, sources: dict[str, str] | None = None) -> Table:
    table = Table(title=_cell(title))
    columns = ("time", "service", "action", "sha", "result", "image") + (("from",) if sources else ())
    for column in columns:
        table.add_column(column)
    for e in entries:
        style = "green" if e.ok else ("red" if e.result == history.FAILED else "yellow")
        row = [
            _cell(e.time[:19].replace("T", " ")),
            _cell(e.service),
            _cell(e.action),
            _cell(rollback.short(e.sha)),
            _cell(e.result, style),
            _cell(e.image),
        ]
        if sources:
            row.append(_cell(sources.get(e.service, "")))
        table.add_row(*row)
    return table


def show_plan(
    plan: rollback.Plan, prepared: list[deploying.Prepared], url: str, sources: dict[str, str] | None = None
) -> None:
    where = caprover.safe_url(url) if "://" in url else url
    known = f" from {', '.join(sorted(set(sources.values())))}" if sources else ""
    table = Table(title=_cell(f"rollback plan ({where}){known}"))
    for column in ("service", "app", "now", "back to", "deployed at", "image"):
        table.add_column(column)
    for step, ready in zip(plan.steps, prepared, strict=True):
        now = rollback.short(step.current.sha) if step.current else "?"
        found = "local" if ready.image.where == "local" else f"registry {ready.image.detail}"
        table.add_row(
            _cell(step.service),
            _cell(step.app),
            _cell(now),
            _cell(rollback.short(step.target.sha)),
            _cell(step.target.time[:19].replace("T", " ")),
            _cell(f"{step.target.image} ({found})"),
        )
    console.print(table)
    for note in plan.notes:
        console.print(_cell(f"note: {note}"))


def show_checklist(items: list[rollback.Item]) -> None:
    """A numbered list, commands on their own unwrapped lines so they can be copied."""
    console.print("full rollback checklist ([dockyard] runs it, [you] do it):", markup=False)
    for number, item in enumerate(items, start=1):
        console.print(
            _cell(f"{number:2d}. [{'dockyard' if item.run else 'you'}] {item.title}"), soft_wrap=True
        )
        for line in item.detail.splitlines():
            console.print(_cell(f"      {line}"), soft_wrap=True)
