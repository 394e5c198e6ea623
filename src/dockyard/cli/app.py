"""`dockyard` (the console script) and `python -m dockyard`.

Each sub-command is one module in dockyard.cli.commands defining NAME, HELP, `add_arguments(parser)`
and `run(args)`; dropping a module there adds the command.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from types import ModuleType

from dockyard import __version__
from dockyard.cli import commands
from dockyard.cli.errors import run_main


def command_modules() -> list[ModuleType]:
    """Every module of dockyard.cli.commands, by name."""
    found = []
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            found.append(importlib.import_module(f"{commands.__name__}.{info.name}"))
    return found


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="dockyard",
        description="Build, check, test, troubleshoot, prune and roll back the Docker images of a "
        "Django + Celery site. The card's commands are Invoke tasks (`invoke --list`) and Nox "
        "sessions (`nox -l`); these are the ones that also run without them.",
    )
    top.add_argument("--version", action="version", version=f"dockyard {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules():
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.__doc__)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return top


def main(argv: list[str] | None = None) -> int:
    top = parser()
    args = top.parse_args(sys.argv[1:] if argv is None else argv)
    if getattr(args, "run", None) is None:
        top.print_help()
        return 2
    return run_main(lambda: args.run(args))
