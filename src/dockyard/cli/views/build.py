"""How a build looks to a person: a live status line (or BuildKit's plain log) while it runs,
a table when it ends."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.live import Live
from rich.table import Table
from rich.text import Text

from dockyard.build.progress import Update
from dockyard.build.runner import BuildResult
from dockyard.cli.console import progress_console
from dockyard.core.units import human_bytes

SLOW_STEP_SECONDS = 3.0  # in a log (not a terminal), build steps that took this long are listed


class LiveProgress:
    """A one-line status on stderr: steps done, cached, and the step running now."""

    def __init__(self) -> None:
        self._live = Live(Text("starting bake..."), console=progress_console, transient=True, refresh_per_second=4)

    def __enter__(self) -> LiveProgress:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(*exc)

    def __call__(self, update: Update) -> None:
        vertex = update.vertex
        if vertex is None:
            return
        steps = [v for v in update.progress.steps if v.started or v.done]  # the ones BuildKit needed
        done = sum(v.done for v in steps)
        cached = sum(v.cached for v in steps)
        current = vertex.label if vertex.is_step else vertex.command or vertex.label
        self._live.update(
            Text.assemble(
                ("bake ", "bold"),
                f"{done}/{len(steps)} steps done, {cached} cached  ",
                (f"[{current}] ", "cyan"),
                (vertex.command[:80] if vertex.is_step else "", "dim"),
            )
        )
        if vertex.done and vertex.is_step and not vertex.cached and (vertex.seconds or 0) >= 1:
            progress_console.print(
                Text(f"  {vertex.seconds:6.1f}s  [{vertex.label}] {vertex.command[:90]}", style="dim")
            )


def plain_printer(update: Update) -> None:
    """BuildKit's plain progress format, as `--progress plain` prints it."""
    for line in update.lines:
        progress_console.out(line, highlight=False)


class SlowSteps:
    """In a log (no terminal): one line per step that ran at least SLOW_STEP_SECONDS."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, update: Update) -> None:
        vertex = update.vertex
        if vertex is None or not vertex.is_step or not vertex.done or vertex.cached:
            return
        if (vertex.seconds or 0) >= SLOW_STEP_SECONDS and vertex.digest not in self.seen:
            self.seen.add(vertex.digest)
            progress_console.print(
                Text(f"      {vertex.seconds:6.1f}s [{vertex.label}] {vertex.command[:80]}", style="dim")
            )


def progress_for(mode: str) -> Callable[[], contextlib.AbstractContextManager[Callable[[Update], None]]]:
    """What shows a build: "plain" (BuildKit's log), "auto" (a status line on a terminal, slow
    steps in a log)."""

    @contextlib.contextmanager
    def factory() -> Iterator[Callable[[Update], None]]:
        if mode == "plain":
            yield plain_printer
        elif progress_console.is_terminal:
            with LiveProgress() as live:
                yield live
        else:
            yield SlowSteps()

    return factory


def result_table(result: BuildResult) -> Table:
    table = Table(title=f"Built in {result.wall_seconds:.1f}s (base {result.base_image})", title_justify="left")
    table.add_column("target")
    table.add_column("image", overflow="fold")
    table.add_column("size", justify="right")
    table.add_column("ready at", justify="right")
    table.add_column("cached / steps", justify="right")
    for t in result.targets:
        table.add_row(
            t.target,
            Text(t.tag),
            human_bytes(t.size_bytes),
            "-" if t.seconds is None else f"{t.seconds:.1f}s",
            f"{t.cached_steps}/{t.total_steps}" + _percent(t.cached_steps, t.total_steps),
        )
    table.caption = (
        f"all steps: {result.cached_steps}/{result.total_steps} cached"
        f"{_percent(result.cached_steps, result.total_steps)}; log: {result.log_path}"
    )
    table.caption_justify = "left"
    return table


def _percent(part: int, whole: int) -> str:
    return f" ({100 * part / whole:.0f}%)" if whole else ""
