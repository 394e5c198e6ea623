"""The one mapping from errors to what a person sees: one `error: ...` line and an exit code.

Every entry point uses it: the Invoke tasks (through dockyard.cli.tasks._task), the `dockyard`
console script, `python -m dockyard.lint`, `python -m dockyard.images_run` and bench/run.py.

Ctrl-C, SIGTERM and SIGHUP (dockyard.core.signals) unwind the run the same way; once its cleanup
is done, the run prints `error: interrupted (...)` and exits 128 + the signal's number, as a
shell reports a process a signal ended: 130 (Ctrl-C), 143 (SIGTERM), 129 (SIGHUP).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable

from dockyard.core.errors import DockyardError
from dockyard.core.signals import install_handlers, restore_handlers, signal_name, signal_number

INTERRUPTED = 128 + signal.SIGINT  # 130: what a shell reports for a process ended by Ctrl-C

__all__ = ["INTERRUPTED", "error_line", "install_handlers", "print_error", "restore_handlers", "run_main"]


def error_line(exc: BaseException, interrupted: str = "") -> tuple[str, int]:
    """(the line to print, the exit code) for an expected failure; anything else is a bug.

    `interrupted`: what the entry point adds after an interruption (e.g. what it removed)."""
    if isinstance(exc, DockyardError):
        return f"error: {exc}", exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        signum = signal_number(exc)
        how = "interrupted (Ctrl-C)" if signum == signal.SIGINT else f"interrupted by {signal_name(signum)}"
        return f"error: {how}" + (f": {interrupted}" if interrupted else ""), 128 + signum
    raise TypeError(f"not an expected failure: {exc!r}")


def print_error(line: str) -> None:
    """The line on stderr; a terminal that hung up (SIGHUP) cannot stop the exit code."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def run_main(body: Callable[[], int | None], interrupted: str = "") -> int:
    """Run an entry point's body with the signal handlers installed; a DockyardError, Ctrl-C,
    SIGTERM or SIGHUP becomes one line and an exit code."""
    previous = install_handlers()
    try:
        return body() or 0
    except (DockyardError, KeyboardInterrupt) as exc:
        line, code = error_line(exc, interrupted)
        print_error(line)
        return code
    finally:
        restore_handlers(previous)
