"""The `task` decorator every dockyard task uses: invoke's, plus signals, one-line errors and the sweep.

Ctrl-C, SIGTERM and SIGHUP unwind the task the same way (dockyard.core.signals); a DockyardError
or an interruption ends the run with the line dockyard.cli.errors gives; an option that takes a
number but gets something else (`--lines abc`) is a usage error, not a traceback. A task declared
with `makes=True` (it makes containers, networks, volumes, images or temp dirs) first reaps what
killed runs left behind (dockyard.cli.sweep), just before it first talks to the Engine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import invoke
from invoke.exceptions import Exit, ParseError
from invoke.parser import Argument

from dockyard.cli.errors import EXPECTED, error_line, install_handlers, is_expected, print_error, restore_handlers
from dockyard.cli.sweep import sweep_before_engine


class _NumberArgument(Argument):
    """An Argument whose bad number is a ParseError (Invoke prints it and exits 1)."""

    def set_value(self, value: Any, cast: bool = True) -> None:
        try:
            super().set_value(value, cast)
        except ValueError:
            flag = "--" + str(self.name).replace("_", "-")
            raise ParseError(f"error: {flag} takes a whole number, got {value!r}") from None


class Task(invoke.Task):
    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        arguments = super().get_arguments(ignore_unknown_help)
        for argument in arguments:
            if argument.kind in (int, float):
                argument.__class__ = _NumberArgument
        return arguments


def task(*args: Any, makes: bool = False, **kwargs: Any) -> Any:
    """Like `invoke.task`, but a DockyardError, Ctrl-C, SIGTERM or SIGHUP ends the run with one line
    and a non-zero exit; `makes=True`: sweep the leftovers of killed runs before the first Engine request."""

    def decorate(body: Callable[..., Any]) -> invoke.Task:
        @functools.wraps(body)
        def run(*a: Any, **kw: Any) -> Any:
            previous = install_handlers()
            unhook = sweep_before_engine() if makes else None
            try:
                return body(*a, **kw)
            except EXPECTED as exc:
                if not is_expected(exc):
                    raise
                line, code = error_line(exc)
                print_error(line)
                raise Exit(code=code) from None
            finally:
                if unhook is not None:
                    unhook()
                restore_handlers(previous)

        return invoke.task(run, klass=Task, **kwargs)

    if len(args) == 1 and callable(args[0]) and not kwargs:
        return decorate(args[0])
    return decorate
