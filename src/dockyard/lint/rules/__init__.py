"""The rules. Importing this package registers every rule in `RULES` and its check in `CHECKS`."""

from dockyard.lint.rules import (  # noqa: F401
    args,
    celery,
    compose,
    dependencies,
    health,
    hygiene,
    stages,
    targets,
    users,
)
from dockyard.lint.rules.base import CHECKS, RULES, LintContext

__all__ = ["CHECKS", "RULES", "LintContext"]
