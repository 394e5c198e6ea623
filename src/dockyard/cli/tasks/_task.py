"""The `task` decorator every dockyard task uses: invoke's, plus one-line errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import invoke
from invoke.exceptions import Exit

from dockyard.core.errors import DockyardError


def task(*args: Any, **kwargs: Any) -> Any:
    """Like `invoke.task`, but a DockyardError (or Ctrl-C) ends the run with one line and a non-zero exit."""

    def decorate(body: Callable[..., Any]) -> invoke.Task:
        @functools.wraps(body)
        def run(*a: Any, **kw: Any) -> Any:
            try:
                return body(*a, **kw)
            except DockyardError as exc:
                raise Exit(f"error: {exc}", code=exc.exit_code) from None
            except KeyboardInterrupt:
                raise Exit("interrupted", code=130) from None

        return invoke.task(run, **kwargs)

    if len(args) == 1 and callable(args[0]) and not kwargs:
        return decorate(args[0])
    return decorate
