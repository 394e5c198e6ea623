"""How tasks print: a result as JSON or as a rich renderable, and notes on stderr."""

from __future__ import annotations

import json
from typing import Any


def emit(as_json: bool, data: Any, renderable: Any) -> None:
    """`data` as indented JSON on stdout with --json, else `renderable` through rich."""
    from dockyard.cli.console import console

    if as_json:
        console.out(json.dumps(data, indent=2, default=str))
    else:
        console.print(renderable)


def note(message: str) -> None:
    """A remark that is not the result (a fallback taken, say), on stderr."""
    from dockyard.cli.console import progress_console

    progress_console.print(f"[yellow]note:[/] {message}")
