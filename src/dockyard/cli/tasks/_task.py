"""The `task` decorator every dockyard task uses: invoke's, plus one-line errors.

A DockyardError or Ctrl-C ends the run with the line dockyard.cli.errors gives; an option that
takes a number but gets something else (`--lines abc`) is a usage error, not a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import invoke
from invoke.exceptions import Exit, ParseError
from invoke.parser import Argument

from dockyard.cli.errors import error_line
from dockyard.core.errors import DockyardError


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


def task(*args: Any, **kwargs: Any) -> Any:
    """Like `invoke.task`, but a DockyardError (or Ctrl-C) ends the run with one line and a non-zero exit."""

    def decorate(body: Callable[..., Any]) -> invoke.Task:
        @functools.wraps(body)
        def run(*a: Any, **kw: Any) -> Any:
            try:
                return body(*a, **kw)
            except (DockyardError, KeyboardInterrupt) as exc:
                line, code = error_line(exc)
                raise Exit(line, code=code) from None

        return invoke.task(run, klass=Task, **kwargs)

    if len(args) == 1 and callable(args[0]) and not kwargs:
        return decorate(args[0])
    return decorate
