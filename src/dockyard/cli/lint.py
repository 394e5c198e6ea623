"""`python -m dockyard.lint`: the same as `invoke lint`, without Invoke's start-up (for nox, CI)."""

from __future__ import annotations

import argparse
import sys

from dockyard.cli.errors import run_main


def lint_and_print(path: str | None, *, json: bool, sarif: str | None, hadolint: bool, strict: bool = False) -> None:
    """Lint, print the result; LintFailed (one line, exit 1) when an error-level finding (with
    `strict`, any finding) is there."""
    from dockyard.lint.api import lint_project

    result, root = lint_project(path, run_hadolint=hadolint, strict=strict or None)
    # the output modules (rich) load after the linting started buildx and hadolint
    from dockyard.cli.console import console
    from dockyard.cli.views.lint import print_lint_result
    from dockyard.lint.output import failure_message
    from dockyard.lint.runner import LintFailed

    print_lint_result(result, root, console, as_json=json, sarif=sarif)
    if result.failed:
        raise LintFailed(failure_message(result))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dockyard.lint", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    parser.add_argument("--sarif", metavar="PATH", help="also write SARIF 2.1.0 to PATH")
    parser.add_argument("--path", help="lint this deployment directory instead of deployment/")
    parser.add_argument("--no-hadolint", action="store_true", help="do not run hadolint")
    parser.add_argument("--strict", action="store_true", help="warnings fail the run too (exit 1)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return run_main(
        lambda: lint_and_print(
            args.path, json=args.json, sarif=args.sarif, hadolint=not args.no_hadolint, strict=args.strict
        )
    )
