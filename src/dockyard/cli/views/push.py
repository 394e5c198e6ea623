"""How a push looks to a person: a live line per image while layers go up, a table at the end."""

from __future__ import annotations

from rich.live import Live
from rich.table import Table
from rich.text import Text

from dockyard.cli.console import progress_console
from dockyard.core.units import human_bytes
from dockyard.deploy.push import PushProgress, PushResult


class PushLine:
    """A one-line status on stderr: the image, how many layers are done, the bytes of the current one."""

    def __init__(self) -> None:
        self._live = Live(Text("connecting to the registry..."), console=progress_console, transient=True)
        self._done: dict[str, set[str]] = {}
        self._seen: dict[str, set[str]] = {}

    def __enter__(self) -> PushLine:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(*exc)

    def __call__(self, progress: PushProgress) -> None:
        if not progress.layer or len(progress.layer) != 12:  # only layer messages have a short id
            return
        seen = self._seen.setdefault(progress.service, set())
        done = self._done.setdefault(progress.service, set())
        seen.add(progress.layer)
        if progress.status in ("Pushed", "Layer already exists", "Mounted from"):
            done.add(progress.layer)
        size = ""
        if progress.current is not None and progress.total:
            size = f"  {human_bytes(progress.current)} / {human_bytes(progress.total)}"
        self._live.update(
            Text.assemble(
                ("push ", "bold"),
                (progress.service, "cyan"),
                f"  {len(done)}/{len(seen)} layers  ",
                (f"{progress.status}{size}", "dim"),
            )
        )


def push_table(results: list[PushResult]) -> Table:
    table = Table(title="pushed")
    for column in ("service", "image", "digest", "layers pushed", "already there", "seconds"):
        table.add_column(column)
    for r in results:
        table.add_row(
            Text(r.service),
            Text(" + ".join([r.ref, *(ref.rsplit(":", 1)[-1] for ref in r.also)])),
            Text(r.digest[:19]),
            str(r.pushed_layers),
            str(r.existing_layers),
            f"{r.seconds:.1f}",
        )
    return table
