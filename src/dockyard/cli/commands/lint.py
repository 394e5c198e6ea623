"""Lint the deployment directory (Dockerfile, bake file, compose file), as `invoke lint` does."""

from __future__ import annotations

import argparse

NAME = "lint"
HELP = "static checks of deployment/ (the same as `invoke lint`)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    parser.add_argument("--sarif", metavar="PATH", help="also write SARIF 2.1.0 to PATH")
    parser.add_argument("--path", help="lint this deployment directory instead of deployment/")
    parser.add_argument("--no-hadolint", action="store_true", help="do not run hadolint")
    parser.add_argument("--strict", action="store_true", help="warnings fail the run too (exit 1)")


def run(args: argparse.Namespace) -> int:
    from dockyard.cli.lint import lint_and_print

    lint_and_print(args.path, json=args.json, sarif=args.sarif, hadolint=not args.no_hadolint, strict=args.strict)
    return 0
