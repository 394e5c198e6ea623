"""How troubleshooting reports look to a person: a verdict, the evidence, and what to do."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from dockyard.core.units import human_bytes

_SEVERITY = {"error": "bold red", "warning": "yellow", "info": "dim"}


def _facts(rows: list[tuple[str, str | Text]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in rows:
        grid.add_row(key, value if isinstance(value, Text) else Text(value))
    return grid


def _lines(title: str, lines: list[str], style: str = "") -> Panel:
    # a str title would be read as markup by Panel whatever the console says: give it a Text
    return Panel(
        Text("\n".join(lines) if lines else "(none)", style=style), title=Text(title), title_align="left"
    )


# --------------------------------------------------------------------------- build


def build_view(d) -> Group:
    parts: list = []
    head = (
        Text.assemble(("build OK ", "bold green"), f"{d.target} in {d.seconds:.1f}s")
        if d.ok
        else Text.assemble(("build FAILED ", "bold red"), d.target)
    )
    parts.append(head)
    if d.failed_step:
        f = d.failed_step
        parts.append(
            _facts(
                [
                    ("failing step", f"[{f.label}]" + (f" (stage {f.stage})" if f.stage else "")),
                    ("command", f.command),
                    ("error", Text(f.error, "red")),
                    ("Dockerfile", f.dockerfile_line or "-"),
                ]
            )
        )
        parts.append(_lines(f"last {len(f.output_tail)} output line(s) of the step", f.output_tail))
    elif not d.ok:
        parts.append(Text(d.failure or "the build failed before any step ran", "red"))
    c = d.cache
    ratio = f"{c.cached_steps}/{c.total_steps} steps from cache" + (
        f" ({100 * c.cached_steps / c.total_steps:.0f}%)" if c.total_steps else ""
    )
    rows = [("cache", ratio)]
    if c.first_miss:
        rows.append(("first cache miss", f"[{c.first_miss.label}] {c.first_miss.command[:120]}"))
    if c.cache_entries is not None:
        rows.append(
            (
                "build cache",
                f"{c.cache_entries} entries, {human_bytes(c.cache_bytes)} "
                f"({human_bytes(c.reclaimable_bytes)} reclaimable: invoke prune)",
            )
        )
    if d.log_path:
        rows.append(("full log", d.log_path))
    parts.append(_facts(rows))
    if c.rebuilt:
        table = Table(title="steps that ran (slowest first)", title_justify="left")
        table.add_column("step")
        table.add_column("time", justify="right")
        table.add_column("command", overflow="fold")
        for s in c.rebuilt:
            table.add_row(
                s.label, "-" if s.seconds is None else f"{s.seconds:.1f}s", s.command[:140]
            )
        parts.append(table)
    return Group(*parts)


# --------------------------------------------------------------------------- container


def container_view(r) -> Group:
    status = r.status + (f" (exit code {r.exit_code})" if r.exit_code is not None else "")
    parts: list = [
        _facts(
            [
                ("container", f"{r.name}  ({r.image})"),
                ("state", Text(status, "green" if r.status == "running" else "red")),
                ("restarts", f"{r.restart_count} (policy {r.restart_policy})"),
                ("OOM killed", Text("yes", "bold red") if r.oom_killed else "no"),
                ("user", r.user or "(root: image sets no USER)"),
                (
                    "health",
                    Text(
                        (r.health or "no HEALTHCHECK")
                        + (f", {r.failing_streak} failing in a row" if r.failing_streak else ""),
                        {"healthy": "green", None: "dim"}.get(r.health, "red"),
                    ),
                ),
            ]
        )
    ]
    if r.probes:
        table = Table(title="last health probes", title_justify="left")
        table.add_column("ended")
        table.add_column("exit", justify="right")
        table.add_column("output", overflow="fold")
        for p in r.probes:
            table.add_row(
                (p["end"] or "")[:19].replace("T", " "),
                Text(str(p["exit_code"]), "green" if p["exit_code"] == 0 else "red"),
                (p["output"] or "").strip()[-300:],
            )
        parts.append(table)
    parts.append(_lines(f"last {len(r.log_tail)} log line(s)", r.log_tail, "dim"))
    if r.permissions:
        perms = r.permissions
        table = Table(
            title=f"permissions ({'inside the container' if perms.source == 'exec' else 'from the image'}"
            f", as {perms.identity or '?'})",
            title_justify="left",
        )
        for column in ("path", "mode", "owner", "writable"):
            table.add_column(column)
        for p in perms.paths:
            writable = "missing" if p.writable is None else ("yes" if p.writable else "no")
            table.add_row(p.path, p.mode, p.owner, Text(writable, "green" if p.writable else "red"))
        parts.append(table)
        if perms.listing:
            parts.append(
                _lines(
                    "ls -la " + (perms.paths[0].path if perms.paths else "/code"),
                    perms.listing[:25],
                )
            )
    parts.append(findings_view(r.findings, ok_text="nothing wrong found"))
    return Group(*parts)


def findings_view(findings, ok_text: str) -> Table | Text:
    if not findings:
        return Text(ok_text, "green")
    table = Table(title="findings", title_justify="left")
    table.add_column("")
    table.add_column("what is wrong", overflow="fold")
    table.add_column("what to do", overflow="fold")
    for f in findings:
        table.add_row(Text(f.severity, _SEVERITY.get(f.severity, "")), f.summary, f.fix)
    return table


# --------------------------------------------------------------------------- beat


def beat_view(r) -> Group:
    d = r.diagnosis
    style = "bold green" if r.verdict == "running" else ("yellow" if r.running else "bold red")
    parts: list = [
        Text.assemble(("beat ", "bold"), (r.verdict.upper(), style), f"  in {r.container}")
    ]
    parts.append(
        _facts(
            [
                ("container", f"{r.container_status}  ({r.image})"),
                ("command", " ".join(r.command)),
                (
                    "--beat in command",
                    {True: "yes", False: "no", None: "not a celery worker/beat command"}[
                        r.beat_requested
                    ],
                ),
                ("beat process", {True: "yes (docker top)", False: "no", None: "unknown"}[r.beat_process]),
                ("schedule", r.schedule or "not read"),
                ("beat in the log", d.state),
                ("started", (f"{d.start.line}  [{d.start.mode}]" if d.start else "-")),
                ("scheduler", d.scheduler or "not shown in the log or the command"),
                ("worker", d.worker_ready or "not ready"),
                (
                    "due tasks sent",
                    f"{d.due_tasks_sent}"
                    + (f" (last: {r.last_due_task})" if r.last_due_task else ""),
                ),
            ]
        )
    )
    if r.beat_lines:
        parts.append(_lines("beat lines in the log", r.beat_lines, "dim"))
    if d.findings:
        table = Table(title="why" if not r.running else "problems", title_justify="left")
        table.add_column("cause")
        table.add_column("what is wrong", overflow="fold")
        table.add_column("evidence", overflow="fold")
        table.add_column("what to do", overflow="fold")
        for f in d.findings:
            table.add_row(f.cause, f.summary, Text(f.evidence[:300], "dim"), f.fix)
        parts.append(table)
    return Group(*parts)


# --------------------------------------------------------------------------- size


def size_view(r, top_layers: int = 12, top_paths: int = 12) -> Group:
    parts: list = [
        Text.assemble(
            ("image ", "bold"),
            f"{r.image}  {human_bytes(r.size)}",
            (f"   wasted: {human_bytes(r.wasted_bytes)}", "red" if r.wasted_bytes else "green"),
        )
    ]
    table = Table(title="layers by size", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("size", justify="right")
    table.add_column("share", justify="right")
    table.add_column("instruction", overflow="fold")
    layers = sorted(
        (layer for layer in r.layers if not layer.empty), key=lambda layer: layer.size, reverse=True
    )
    for layer in layers[:top_layers]:
        share = f"{100 * layer.size / r.size:.0f}%" if r.size else "-"
        table.add_row(str(layer.index), human_bytes(layer.size), share, layer.instruction[:160])
    parts.append(table)
    paths = Table(
        title=f"largest paths under {r.code_dir}"
        + (f" (total {human_bytes(r.code_total)})" if r.code_total is not None else ""),
        title_justify="left",
    )
    paths.add_column("size", justify="right")
    paths.add_column("path", overflow="fold")
    for entry in r.code_paths[:top_paths]:
        paths.add_row(human_bytes(entry.size), entry.path)
    parts.append(
        paths if r.code_paths else Text(f"{r.code_dir}: nothing found (no du in the image?)", "dim")
    )
    if r.waste:
        waste = Table(
            title="written in one layer, deleted or rewritten in a later one (bytes that still ship)",
            title_justify="left",
        )
        for column in ("wasted", "files", "written by", "then", "examples"):
            waste.add_column(column, overflow="fold")
        for w in r.waste[:10]:
            waste.add_row(
                human_bytes(w.bytes),
                str(w.files),
                f"layer {w.written_in}",
                f"{w.how} by layer {w.removed_in}",
                ", ".join(e.path for e in w.examples[:3]),
            )
        parts.append(waste)
    if r.suggestions:
        sugg = Table(title="suggestions", title_justify="left")
        sugg.add_column("bytes", justify="right")
        sugg.add_column("finding", overflow="fold")
        sugg.add_column("suggestion", overflow="fold")
        for s in r.suggestions:
            sugg.add_row(human_bytes(s.bytes), s.finding, s.suggestion)
        parts.append(sugg)
    else:
        parts.append(Text("no wasted layers, caches or suspicious paths found", "green"))
    return Group(*parts)
