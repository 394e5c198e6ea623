"""The one mapping from errors to what a person sees: one `error: ...` line and an exit code.

Every entry point uses it: the Invoke tasks (through dockyard.cli.tasks._task), the `dockyard`
console script, `python -m dockyard.lint`, `python -m dockyard.images_run` and bench/run.py.

Ctrl-C, SIGTERM and SIGHUP (dockyard.core.signals) unwind the run the same way; once its cleanup
is done, the run prints `error: interrupted (...)` and exits 128 + the signal's number, as a
shell reports a process a signal ended: 130 (Ctrl-C), 143 (SIGTERM), 129 (SIGHUP).

Output that cannot be written (`> /dev/full`, a full disk, a quota) is one line too; stdout is
then pointed at /dev/null so that Python's own flush at exit has nothing left to complain about.
A reader that went away (`| head -1`, EPIPE) is what the user asked for: no line at all.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from collections.abc import Callable

from dockyard.core.errors import DockyardError
from dockyard.core.signals import install_handlers, restore_handlers, signal_name, signal_number

INTERRUPTED = 128 + signal.SIGINT  # 130: what a shell reports for a process ended by Ctrl-C

__all__ = [
    "EXPECTED",
    "INTERRUPTED",
    "error_line",
    "install_handlers",
    "is_expected",
    "print_error",
    "restore_handlers",
    "run_main",
]

# write errors of the output itself, not bugs
OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EPIPE})
EXPECTED = (DockyardError, KeyboardInterrupt, OSError)  # what the entry points catch; see is_expected


def is_expected(exc: BaseException) -> bool:
    """A DockyardError, an interruption, or output that cannot be written: one line, not a traceback."""
    if isinstance(exc, DockyardError | KeyboardInterrupt):
        return True
    return isinstance(exc, OSError) and exc.errno in OUTPUT_ERRNOS


def error_line(exc: BaseException, interrupted: str = "") -> tuple[str, int]:
    """(the line to print, the exit code) for an expected failure; anything else is a bug.

    `interrupted`: what the entry point adds after an interruption (e.g. what it removed)."""
    if isinstance(exc, DockyardError):
        return f"error: {exc}", exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        signum = signal_number(exc)
        how = "interrupted (Ctrl-C)" if signum == signal.SIGINT else f"interrupted by {signal_name(signum)}"
        return f"error: {how}" + (f": {interrupted}" if interrupted else ""), 128 + signum
    if isinstance(exc, OSError) and exc.errno in OUTPUT_ERRNOS:
        _discard_stdout()
        if exc.errno == errno.EPIPE:
            return "", 1  # the reader went away: nothing to say, and no one to say it to
        where = exc.filename or "stdout"
        return f"error: cannot write the output to {where}: {exc.strerror or exc}", 1
    raise TypeError(f"not an expected failure: {exc!r}")


def _discard_stdout() -> None:
    """Point fd 1 at /dev/null: what is still buffered for stdout then flushes without an error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def print_error(line: str) -> None:
    """The line on stderr; a terminal that hung up (SIGHUP) cannot stop the exit code."""
    if not line:
        return
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
    except EXPECTED as exc:
        if not is_expected(exc):
            raise
        line, code = error_line(exc, interrupted)
        print_error(line)
        return code
    finally:
        restore_handlers(previous)
