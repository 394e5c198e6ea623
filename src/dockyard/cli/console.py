"""The rich consoles dockyard prints to: results on stdout, progress on stderr."""

from rich.console import Console

console = Console(highlight=False)
progress_console = Console(stderr=True, highlight=False)
