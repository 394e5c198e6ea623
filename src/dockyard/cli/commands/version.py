"""Print dockyard's version."""

from __future__ import annotations

import argparse

NAME = "version"
HELP = "print dockyard's version"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from dockyard import __version__

    print(f"dockyard {__version__}")
    return 0
