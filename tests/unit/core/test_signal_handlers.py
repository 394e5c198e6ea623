"""Ctrl-C, SIGTERM and SIGHUP unwind the same way; the first one wins; a shield defers, never drops."""

from __future__ import annotations

import os
import signal

import pytest

from dockyard.cli.errors import error_line
from dockyard.core import signals


@pytest.fixture
def handlers():
    previous = signals.install_handlers()
    yield
    signals.restore_handlers(previous)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_raise_terminated_a_keyboard_interrupt(handlers, signum):
    with pytest.raises(signals.Terminated) as caught:
        os.kill(os.getpid(), signum)
    assert isinstance(caught.value, KeyboardInterrupt) and caught.value.signum == signum
    assert error_line(caught.value) == (f"error: interrupted by {signal.Signals(signum).name}", 128 + signum)


def test_ctrl_c_is_a_plain_keyboard_interrupt_and_130(handlers):
    with pytest.raises(KeyboardInterrupt) as caught:
        os.kill(os.getpid(), signal.SIGINT)
    assert not isinstance(caught.value, signals.Terminated)
    assert error_line(caught.value) == ("error: interrupted (Ctrl-C)", 130)


def test_the_first_signal_wins_and_later_ones_do_not_cut_the_cleanup_short(handlers):
    cleaned = []
    with pytest.raises(signals.Terminated):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            os.kill(os.getpid(), signal.SIGINT)  # a second signal during the cleanup: ignored
            os.kill(os.getpid(), signal.SIGHUP)
            cleaned.append(True)
    assert cleaned == [True]


def test_a_shield_holds_a_signal_back_until_the_block_is_done(handlers):
    done = []
    with pytest.raises(signals.Terminated):
        with signals.shield():
            os.kill(os.getpid(), signal.SIGTERM)
            done.append("cleanup finished")
    assert done == ["cleanup finished"]


def test_handlers_are_put_back():
    before = {sig: signal.getsignal(sig) for sig in signals.SIGNALS}
    signals.restore_handlers(signals.install_handlers())
    assert {sig: signal.getsignal(sig) for sig in signals.SIGNALS} == before
