"""`invoke lint`: static analysis of deployment/ (Dockerfile, bake, compose); no engine needed."""

from __future__ import annotations

from dockyard.cli.tasks._task import task


@task(
    help={
        "json": "print the result as JSON on stdout (nothing else there)",
        "sarif": "also write the findings as SARIF 2.1.0 to this file (for code scanning)",
        "path": "lint this deployment directory instead of the project's deployment/",
        "no_hadolint": "do not run hadolint beside the rules even when it is installed",
    }
)
def lint(c, json=False, sarif=None, path=None, no_hadolint=False):
    """Lint deployment/: `path:line: ID message` per finding, a summary; exit 1 on findings.

    Rules, their ids and fixes: docs/lint-rules.md. Disable rules in [tool.dockyard.lint] disable,
    or on a line with `# dockyard: ignore=ID`.
    """
    # imported here so that `invoke --list` and every other task do not pay for the linter
    from dockyard.lint.api import lint_project

    result, root = lint_project(path, run_hadolint=not no_hadolint)
    from dockyard.cli.console import console
    from dockyard.lint.output import emit, failure_message
    from dockyard.lint.runner import LintFailed

    emit(result, root, console, as_json=json, sarif=sarif)
    if result.failed:
        raise LintFailed(failure_message(result))
