"""`dockyard init` for people: the facts with their evidence, the plan, the decisions; `--check`'s table.

Everything shown comes from the user's files, so it is printed as plain Text, never as markup.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dockyard.init.check import CheckResult
from dockyard.init.plan import Plan
from dockyard.init.report import fact_rows

KIND_STYLE = {"create": "green", "append": "green", "edit": "yellow", "replace": "yellow", "keep": "dim"}
STATUS_STYLE = {"ok": "green", "missing": "red", "n/a": "dim"}


def print_plan(plan: Plan, root: Path, console: Console) -> None:
    console.print(Text(f"dockyard init: {root}", style="bold"))
    found = Table(title="Found", title_justify="left", show_edge=False, pad_edge=False)
    found.add_column("what")
    found.add_column("value", overflow="fold")
    found.add_column("evidence", overflow="fold")
    for what, value, where in fact_rows(plan.facts):
        found.add_row(Text(what), Text(value), Text(where, style="dim"))
    console.print(found)
    console.print()
    files = Table(title="Files", title_justify="left", show_edge=False, pad_edge=False)
    files.add_column("action")
    files.add_column("path", overflow="fold")
    files.add_column("detail", overflow="fold")
    for action in plan.actions:
        files.add_row(Text(action.kind, style=KIND_STYLE.get(action.kind, "")), Text(action.path), Text(action.detail))
    console.print(files)
    if plan.decisions:
        console.print()
        console.print(Text("Yours to decide", style="bold"))
        for decision in plan.decisions:
            console.print(Text(f"  - {decision}"), soft_wrap=True)


def print_written(written: list[str], console: Console) -> None:
    console.print()
    for path in written:
        console.print(Text(f"wrote {path}"))
    console.print(Text("Next: invoke lint, invoke build.essential, nox -s images, invoke test.compose", style="bold"))


def print_check(result: CheckResult, console: Console) -> None:
    table = Table(title="Card checklist", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("item")
    table.add_column("file")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    for row in result.rows:
        table.add_row(
            Text(row.item), Text(row.path), Text(row.status, style=STATUS_STYLE[row.status]), Text(row.detail)
        )
    console.print(table)
