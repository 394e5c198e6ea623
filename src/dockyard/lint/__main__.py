"""`python -m dockyard.lint`: the same as `invoke lint`, without Invoke's start-up (for nox, CI)."""

from __future__ import annotations

import argparse
import sys

from dockyard.core.errors import DockyardError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dockyard.lint", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    parser.add_argument("--sarif", metavar="PATH", help="also write SARIF 2.1.0 to PATH")
    parser.add_argument("--path", help="lint this deployment directory instead of deployment/")
    parser.add_argument("--no-hadolint", action="store_true", help="do not run hadolint")
    args = parser.parse_args(argv)

    from dockyard.lint.api import lint_project

    try:
        result, root = lint_project(args.path, run_hadolint=not args.no_hadolint)
        # the output modules (rich) load after the linting started buildx and hadolint
        from dockyard.cli.console import console
        from dockyard.lint.output import emit, failure_message

        emit(result, root, console, as_json=args.json, sarif=args.sarif)
    except DockyardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if result.failed:
        print(f"error: {failure_message(result)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
