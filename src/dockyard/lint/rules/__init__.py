"""The rules. Importing this package registers every rule in `RULES` and its check in `CHECKS`."""

from dockyard.lint.rules import args, celery, compose, dependencies, health, hygiene, targets, users  # noqa: F401
from dockyard.lint.rules.base import CHECKS, RULES, LintContext

__all__ = ["CHECKS", "RULES", "LintContext"]
