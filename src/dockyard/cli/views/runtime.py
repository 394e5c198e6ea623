"""How test results look to a person: rich tables and a verdict line."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from dockyard.runtime.steps import StepResult


def verdict(ok: bool, what: str, failure: str | None = None) -> Text:
    if ok:
        return Text.assemble(("PASS ", "bold green"), what)
    return Text.assemble(("FAIL ", "bold red"), what, (f": {failure}" if failure else "", "red"))


def steps_table(steps: list[StepResult], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("step")
    table.add_column("result")
    table.add_column("time", justify="right")
    table.add_column("detail", overflow="fold")
    for step in steps:
        result = (
            Text("skipped", "yellow")
            if step.skipped
            else Text("ok", "green")
            if step.ok
            else Text("FAILED", "bold red")
        )
        table.add_row(Text(step.name), result, f"{step.seconds:.1f}s", Text(step.detail))
    return table


def services_table(services) -> Table:
    table = Table(title="services", title_justify="left")
    for column in ("service", "role", "status", "health", "image"):
        table.add_column(column)
    for s in services:
        style = "green" if s.ok else "red"
        status = s.status + (f" (code {s.exit_code})" if s.exit_code is not None else "")
        table.add_row(Text(s.service), s.role, Text(status, style), Text(s.health or "-", style), Text(s.image))
    return table


def compose_view(report) -> Group:
    parts = [steps_table(report.steps, f"test.compose — stack {report.stack}")]
    if report.services:
        parts.append(services_table(report.services))
    if report.kept and report.down_command:
        parts.append(Text(f"stack kept; take it down with: {report.down_command}", "yellow"))
    parts.append(verdict(report.ok, "compose stack", report.failure))
    return Group(*parts)


def web_view(report) -> Group:
    parts = [steps_table(report.steps, f"test.web — {report.image}")]
    if report.log_tail:
        parts.append(Text("last log lines:\n" + "\n".join(report.log_tail), "dim"))
    if report.kept:
        names = " ".join([report.container, *report.helpers])
        parts.append(
            Text(
                f"container kept: {report.container} ({report.url}); remove it with: docker rm -f {names}",
                "yellow",
            )
        )
    parts.append(verdict(report.ok, f"web answers {report.url}" if report.ok else "web", report.failure))
    return Group(*parts)


def celery_view(report) -> Group:
    parts = [steps_table(report.steps, f"test.celery — {report.image}")]
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")
    facts.add_row("role", report.role or "-")
    facts.add_row("worker", Text(report.worker_line or "-"))
    facts.add_row("inspect ping", Text(report.ping or "-"))
    if report.registered is not None:
        facts.add_row("registered", Text(", ".join(report.registered) or "none"))
    facts.add_row("beat", Text(f"{report.beat_line or '-'}" + (f"  [{report.beat_mode}]" if report.beat_mode else "")))
    facts.add_row("scheduler", Text(report.scheduler or "-"))
    facts.add_row("schedule", Text(report.schedule or "-"))
    facts.add_row("due task", Text(report.due_task_line or "-"))
    parts.append(facts)
    for finding in report.findings:
        parts.append(Text(f"cause: {finding['summary']} — fix: {finding['fix']}", "red"))
    if report.log_tail:
        parts.append(Text("last log lines:\n" + "\n".join(report.log_tail), "dim"))
    what = {"worker": "worker running", "beat": "beat running"}.get(report.role or "", "worker and beat both running")
    parts.append(verdict(report.ok, what, report.failure))
    return Group(*parts)


def security_view(results) -> Group:
    table = Table(title="test.security — runtime user of each image", title_justify="left")
    for column in ("image", "USER", "id", "result"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(
            r.image,
            r.configured_user or "(root)",
            r.id_output or "-",
            Text("uid 1000" if r.ok else r.detail, "green" if r.ok else "red"),
        )
    failed = [r for r in results if not r.ok]
    summary = verdict(
        not failed,
        f"{len(results)} image(s) run as uid 1000"
        if not failed
        else f"{len(failed)} of {len(results)} image(s)",
        "; ".join(f"{r.image}: {r.detail}" for r in failed) or None,
    )
    return Group(table, summary)


def health_view(rows, explicit: bool) -> Group:
    table = Table(title="test.health — container health", title_justify="left")
    for column in (
        "container",
        "image",
        "status",
        "health",
        "failing",
        "last probe",
        "healthy after",
    ):
        table.add_column(column, overflow="fold")
    for r in rows:
        style = "green" if r.ok else ("yellow" if r.health == "none" and not explicit else "red")
        probe = (
            "-" if r.last_probe_exit is None else f"exit {r.last_probe_exit}: {r.last_probe_output}"
        )
        table.add_row(
            r.container,
            r.image,
            r.status,
            Text(r.health, style),
            str(r.failing_streak),
            probe,
            "-" if r.seconds_to_healthy is None else f"{r.seconds_to_healthy:.1f}s",
        )
    return Group(table)
