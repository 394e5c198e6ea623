"""The one mapping from errors to what a person sees: one `error: ...` line and an exit code.

Every entry point uses it: the Invoke tasks (through dockyard.cli.tasks._task), the `dockyard`
console script, `python -m dockyard.lint`, `python -m dockyard.images_run` and bench/run.py.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

from dockyard.core.errors import DockyardError

INTERRUPTED = 130  # what a shell reports for a process ended by Ctrl-C (128 + SIGINT)


def error_line(exc: BaseException, interrupted: str = "interrupted") -> tuple[str, int]:
    """(the line to print, the exit code) for an expected failure; anything else is a bug."""
    if isinstance(exc, DockyardError):
        return f"error: {exc}", exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return interrupted, INTERRUPTED
    raise TypeError(f"not an expected failure: {exc!r}")


def run_main(body: Callable[[], int | None], interrupted: str = "interrupted") -> int:
    """Run an entry point's body; a DockyardError or Ctrl-C (or SIGTERM) becomes one line and a code."""
    try:
        return body() or 0
    except (DockyardError, KeyboardInterrupt) as exc:
        line, code = error_line(exc, interrupted)
        print(line, file=sys.stderr, flush=True)
        return code


def sigterm_as_interrupt() -> None:
    """Let SIGTERM (a CI timeout, `kill`) clean up the way Ctrl-C does."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
