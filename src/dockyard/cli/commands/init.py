"""Move an existing Django + Celery repository to the card's layout: deployment/Dockerfile.multistage
(six stages + legacy), the bake file, the compose test stack, the entrypoint, .dockerignore entries,
tasks.py, noxfile.py and [tool.dockyard]. Prints what it found and what it would write; --yes writes.
Never overwrites a file without --force, and then archives the old one under deployment/archive/."""

from __future__ import annotations

import argparse

NAME = "init"
HELP = "write the card's deployment/ for this Django + Celery repository (plan first; --yes writes)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="write the files (without it: show the plan, exit 0)")
    parser.add_argument("--force", action="store_true", help="replace existing files, archiving the old ones")
    parser.add_argument("--check", action="store_true", help="report which checklist item each deployment file misses")
    parser.add_argument("--celery-app", metavar="MODULE", help="the module that creates Celery(...), e.g. proj.celery")
    parser.add_argument("--health-path", metavar="PATH", help="the URL path the web HEALTHCHECK probes, e.g. /healthz/")
    parser.add_argument(
        "--add-health-view", action="store_true", help="no health endpoint? write a small view and its URL route"
    )
    parser.add_argument("--manage-py", metavar="PATH", help="the project's manage.py, when there are several")
    parser.add_argument("--root", metavar="DIR", help="the repository root (default: the current directory)")


def run(args: argparse.Namespace) -> int:
    from dockyard.cli.init import init_and_print

    init_and_print(
        args.root,
        yes=args.yes,
        force=args.force,
        check=args.check,
        celery_app=args.celery_app,
        health_path=args.health_path,
        add_health_view=args.add_health_view,
        manage_py=args.manage_py,
    )
    return 0
