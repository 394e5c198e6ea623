"""Ask before doing something that cannot be undone."""

from __future__ import annotations

import sys

from dockyard.cli.console import progress_console


def confirm(question: str, assume_yes: bool = False) -> bool:
    """True when `assume_yes` or the user answers y/yes; no input (or end of input) counts as no."""
    if assume_yes:
        return True
    progress_console.print(f"{question} [y/N] ", end="", markup=False)
    stdin = sys.stdin
    try:
        answer = stdin.readline() if stdin is not None else ""
        interactive = stdin is not None and stdin.isatty()
    except (OSError, ValueError):
        answer, interactive = "", False
    if not interactive:
        progress_console.print(answer.strip(), markup=False)  # what a terminal would have echoed
    if not answer:
        progress_console.print("(no answer: taken as no; pass --yes to skip the question)")
    return answer.strip().lower() in ("y", "yes")
