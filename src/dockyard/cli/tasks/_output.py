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


def say(text: str, style: str = "", progress: bool = False) -> None:
    """A line that may hold text from outside (the history, a server): literal, no escapes; on
    stdout (or, `progress`, on stderr)."""
    from rich.text import Text

    from dockyard.cli.console import console, progress_console
    from dockyard.core.untrusted import printable

    (progress_console if progress else console).print(Text(printable(text), style), soft_wrap=True)


def step(message: str) -> None:
    """A step of a long task starting ("→ rebuilding web"), on stderr."""
    from rich.text import Text

    from dockyard.cli.console import progress_console
    from dockyard.core.untrusted import printable

    progress_console.print(Text.assemble(("→", "cyan"), " ", printable(message)), soft_wrap=True)


def detail(line: str) -> None:
    """A line of a tool's own output (compose, a container), dimmed, on stderr."""
    from rich.text import Text

    from dockyard.cli.console import progress_console
    from dockyard.core.untrusted import printable

    progress_console.print(Text("  " + printable(line), "dim"), soft_wrap=True)


def note(message: str) -> None:
    """A remark that is not the result (a fallback taken, say), on stderr."""
    _stderr("note:", "yellow", message)


def warning(message: str) -> None:
    """Something the user should look at, though the task goes on, on stderr."""
    _stderr("warning:", "yellow", message)


def _stderr(prefix: str, style: str, message: str) -> None:
    from rich.text import Text

    from dockyard.cli.console import progress_console
    from dockyard.core.untrusted import printable

    progress_console.print(Text.assemble((prefix, style), " ", printable(message)), soft_wrap=True)
