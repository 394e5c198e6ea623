"""`invoke lint`: static analysis of deployment/ (Dockerfile, bake, compose); no engine needed."""

from __future__ import annotations

from dockyard.cli.tasks._task import task


@task(
    help={
        "json": "print the result as JSON on stdout (nothing else there)",
        "sarif": "also write the findings as SARIF 2.1.0 to this file (for code scanning)",
        "path": "lint this deployment directory instead of the project's deployment/",
        "no_hadolint": "do not run hadolint beside the rules even when it is installed",
        "strict": "warnings (policies: uid, npm --omit=dev, HEALTHCHECK...) fail the run too",
    }
)
def lint(c, json=False, sarif=None, path=None, no_hadolint=False, strict=False):
    """Lint deployment/: `path:line: ID message` per finding, a summary; exit 1 on an error.

    Errors (the image breaks or misbehaves) fail the run; warnings (policies) only with --strict or
    [tool.dockyard.lint] strict = true. Rules, their ids and fixes: docs/lint-rules.md. Disable rules
    in [tool.dockyard.lint] disable, or on a line with `# dockyard: ignore=ID`.
    """
    from dockyard.cli.lint import lint_and_print

    lint_and_print(path, json=json, sarif=sarif, hadolint=not no_hadolint, strict=strict)
