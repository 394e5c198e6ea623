"""The start-of-run sweep: before a run makes anything, reap what killed runs of this host left.

It runs just before the run's first request to the Engine (`sweep_before_engine`), so whatever a
task checks first (settings, arguments, the Dockerfile's stage graph) is checked, and refused,
without the Engine.

Bounded and cheap: one label-filtered list call each for containers, networks and volumes, and a
read of the run records (dockyard.prune.stale). Only what belongs to a run whose process is gone
is removed; one line per kind says what. A sweep never fails the run: when the engine does not
answer, the run itself says so.
"""

from __future__ import annotations

from collections.abc import Callable


def sweep_before_engine() -> Callable[[], None]:
    """Sweep once, right before this process first talks to the Engine; returns the remover."""
    from dockyard.docker.cli import before_first_contact

    return before_first_contact(sweep_stale)


def sweep_stale() -> None:
    from dockyard.core.errors import DockyardError
    from dockyard.prune.stale import sweep

    try:
        lines = sweep()
    except (DockyardError, OSError):
        return
    if lines:
        from dockyard.cli.console import progress_console

        for line in lines:
            progress_console.print(line, markup=False, highlight=False)
