"""The rich consoles dockyard prints to: results on stdout, progress on stderr.

Neither reads rich markup: a string is printed as it is, so text from outside (a server's
answer, the deploy history, a container's log or command, a file) can never be taken for markup.
Styles come from `rich.text.Text` and `style=`. And neither lets such text drive the terminal:
every piece of text they render loses its escape sequences and control characters
(dockyard.core.untrusted), whichever view it came through; rich's own cursor and colour codes
are not text and are untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.segment import Segment

from dockyard.core.untrusted import has_controls, without_controls


class SafeConsole(Console):
    """A Console that never reads markup and never writes a control character it was given."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        kwargs.setdefault("highlight", False)
        super().__init__(**kwargs)

    def render(self, renderable: Any, options: Any = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and has_controls(segment.text):
                yield Segment(without_controls(segment.text), segment.style)
            else:
                yield segment


console = SafeConsole(markup=False)
progress_console = SafeConsole(stderr=True, markup=False)


def plain_console(width: int) -> Console:
    """A console for CI logs (no terminal): fixed width, no markup, no highlighting."""
    return SafeConsole(markup=False, width=width)
