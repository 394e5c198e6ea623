"""The start-of-run sweep: before a run makes anything, reap what killed runs of this host left.

Bounded and cheap: one label-filtered list call each for containers, networks and volumes, and a
read of the run records (dockyard.prune.stale). Only what belongs to a run whose process is gone
is removed; one line per kind says what. A sweep never fails the run: when the engine does not
answer, the run itself says so.
"""

from __future__ import annotations


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
