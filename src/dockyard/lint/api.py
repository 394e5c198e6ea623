"""The entry point for tasks and `python -m dockyard.lint`: lint the project's deployment directory.

Only light modules are imported before the external tools are started; the rules are imported
while buildx and hadolint run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.core.errors import ConfigError
from dockyard.core.project import find_project
from dockyard.lint.external import start_tools

if TYPE_CHECKING:
    from dockyard.lint.runner import LintResult


def lint_project(
    path: str | None = None, *, run_hadolint: bool = True, strict: bool | None = None
) -> tuple[LintResult, Path]:
    """Lint `path` (default: the configured Dockerfile's directory, deployment/) with the project's
    `[tool.dockyard.lint]` options; returns the result and the project root."""
    project = find_project()
    options = project.settings.lint
    directory = Path(path) if path else project.path("dockerfile").parent
    if not directory.exists():
        raise ConfigError(f"{directory} does not exist")
    directory = directory.resolve()
    preferred = {key: str(getattr(project.settings, key)) for key in ("dockerfile", "bake_file", "compose_file")}
    started = start_tools(directory, project.root, options, run_hadolint=run_hadolint, preferred=preferred)
    from dockyard.lint.runner import lint_directory  # the rules: imported while the tools run

    result = lint_directory(directory, project.root, options, started=started, strict=strict)
    return result, project.root
