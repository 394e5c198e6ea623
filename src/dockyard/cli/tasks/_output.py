"""How tasks print: a result as JSON or as a rich renderable, and notes and warnings on stderr."""

from __future__ import annotations

import json
from typing import Any


def emit(as_json: bool, data: Any, renderable: Any) -> None:
    """`data` as indented JSON on stdout with --json, else `renderable` through rich."""
    from dockyard.cli.console import console

    if as_json:
        console.out(json.dumps(data, indent=2, default=str), highlight=False)
    else:
        console.print(renderable)


def note(message: str) -> None:
    """A remark that is not the result (a fallback taken, say), on stderr."""
    _stderr("note:", "yellow", message)


def warning(message: str) -> None:
    """Something the user should look at, though the task goes on, on stderr."""
    _stderr("warning:", "yellow", message)


def _stderr(prefix: str, style: str, message: str) -> None:
    from rich.text import Text

    from dockyard.cli.console import progress_console

    progress_console.print(Text.assemble((prefix, style), " ", message), soft_wrap=True)
