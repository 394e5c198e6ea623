"""How a build looks to a person: live progress while it runs, a table when it ends."""

from __future__ import annotations

from rich.live import Live
from rich.table import Table
from rich.text import Text

from dockyard.build.progress import BuildLog, Vertex
from dockyard.build.runner import BuildResult
from dockyard.cli.console import progress_console
from dockyard.core.units import human_bytes


class LiveProgress:
    """A one-line status on stderr: steps done, cached, and the step running now."""

    def __init__(self) -> None:
        self._live = Live(Text("starting bake..."), console=progress_console, transient=True,
                          refresh_per_second=4)

    def __enter__(self) -> LiveProgress:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(*exc)

    def __call__(self, line: str, vertex: Vertex | None, log: BuildLog) -> None:
        if vertex is None:
            return
        steps = log.steps
        done = sum(v.done for v in steps)
        cached = sum(v.cached for v in steps)
        current = vertex.label if vertex.is_step else vertex.command or vertex.label
        self._live.update(Text.assemble(
            ("bake ", "bold"), f"{done}/{len(steps)} steps done, {cached} cached  ",
            (f"[{current}] ", "cyan"), (vertex.command[:80] if vertex.is_step else "", "dim"),
        ))
        if vertex.done and vertex.is_step and not vertex.cached and (vertex.seconds or 0) >= 1:
            progress_console.print(f"[dim]  {vertex.seconds:6.1f}s  [{vertex.label}] {vertex.command[:90]}[/]")


def plain_printer(line: str, vertex: Vertex | None, log: BuildLog) -> None:
    progress_console.out(line, highlight=False)


def result_table(result: BuildResult) -> Table:
    table = Table(title=f"Built in {result.wall_seconds:.1f}s (base {result.base_image})", title_justify="left")
    table.add_column("target")
    table.add_column("image", overflow="fold")
    table.add_column("size", justify="right")
    table.add_column("ready at", justify="right")
    table.add_column("cached / steps", justify="right")
    for t in result.targets:
        table.add_row(
            t.target, t.tag, human_bytes(t.size_bytes),
            "-" if t.seconds is None else f"{t.seconds:.1f}s",
            f"{t.cached_steps}/{t.total_steps}" + _percent(t.cached_steps, t.total_steps),
        )
    table.caption = (f"all steps: {result.cached_steps}/{result.total_steps} cached"
                     f"{_percent(result.cached_steps, result.total_steps)}; log: {result.log_path}")
    table.caption_justify = "left"
    return table


def _percent(part: int, whole: int) -> str:
    return f" ({100 * part / whole:.0f}%)" if whole else ""
