"""Ctrl-C, SIGTERM and SIGHUP all end a run the same way: unwind, clean up, one line, exit 128+N.

`install_handlers()` (called once by every entry point) turns each of the three signals into an
exception raised where the program is: KeyboardInterrupt for SIGINT, `Terminated` (a
KeyboardInterrupt too) for SIGTERM and SIGHUP. Every `finally` and ExitStack then runs as it does
on Ctrl-C. The first signal wins: from then on the three are ignored, so a second Ctrl-C (or the
SIGTERM a CI runner sends after its SIGINT) cannot cut the cleanup short. When the cleanup itself
hangs, SIGKILL remains, and what the run leaves is reaped later (docs/reliability.md).

`shield()` defers the signals for a block (a cleanup that must not stop half-way) and delivers
one that arrived afterwards, so a SIGTERM during a routine cleanup is not lost.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, unwinding the program the way Ctrl-C does."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def signal_number(exc: BaseException) -> int:
    """The signal an interruption came from (SIGINT for a plain KeyboardInterrupt)."""
    return getattr(exc, "signum", signal.SIGINT)


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


def _on_signal(signum: int, frame: FrameType | None) -> None:
    for sig in SIGNALS:  # the first signal wins; the unwinding it starts is not interrupted again
        signal.signal(sig, signal.SIG_IGN)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


Handlers = dict[int, object]


def install_handlers() -> Handlers:
    """SIGINT, SIGTERM and SIGHUP raise in the main thread (see the module's docstring). Idempotent.
    Returns the handlers it replaced, for `restore_handlers`."""
    previous: Handlers = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for sig in SIGNALS:
        current = signal.getsignal(sig)
        if current is not signal.SIG_IGN:  # `nohup` and the like ignore SIGHUP on purpose
            previous[sig] = current
            signal.signal(sig, _on_signal)
    return previous


def restore_handlers(previous: Handlers) -> None:
    """Put back what `install_handlers` replaced (an entry point called in-process, e.g. by a test)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig, handler in previous.items():
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)  # type: ignore[arg-type]


@contextlib.contextmanager
def shield() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP back during the block; deliver (the first) one afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def defer(signum: int, frame: FrameType | None) -> None:
        if not pending:
            pending.append(signum)

    previous = {}
    for sig in SIGNALS:
        previous[sig] = signal.getsignal(sig)
        if previous[sig] is not signal.SIG_IGN:
            signal.signal(sig, defer)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if pending and previous[pending[0]] not in (signal.SIG_IGN, None):
            signal.raise_signal(pending[0])
