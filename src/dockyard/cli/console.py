"""The rich consoles dockyard prints to: results on stdout, progress on stderr.

Neither reads rich markup: a string is printed as it is, so text from outside (a server's
answer, the deploy history, a container's log or command, a file) can never be taken for markup.
Styles come from `rich.text.Text` and `style=`; untrusted text also loses its terminal escapes
(dockyard.core.untrusted.printable) before a view shows it.
"""

from rich.console import Console

console = Console(highlight=False, markup=False)
progress_console = Console(stderr=True, highlight=False, markup=False)


def plain_console(width: int) -> Console:
    """A console for CI logs (no terminal): fixed width, no markup, no highlighting."""
    return Console(highlight=False, markup=False, width=width)
