"""The rule registry: each check registers its Rule (id, message, why, fix) with `@rule(...)`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.settings import LintSettings
from dockyard.lint.deployment import Deployment, Runner, Shipped
from dockyard.lint.flows import Flows
from dockyard.lint.model import LintFinding, Rule
from dockyard.lint.processes import Process, runner_processes

RULES: dict[str, Rule] = {}
Check = Callable[["LintContext"], Iterable[LintFinding]]
CHECKS: list[tuple[Rule, Check]] = []


def register(rule: Rule) -> Rule:
    if rule.id in RULES:
        raise ValueError(f"duplicate rule id {rule.id}")
    RULES[rule.id] = rule
    return rule


def rule(
    id: str, name: str, severity: str, summary: str, why: str, fix: str, default: bool = True
) -> Callable[[Check], Check]:
    """Register a check function under a new Rule (`default=False`: opt-in)."""
    registered = register(Rule(id=id, name=name, severity=severity, summary=summary, why=why, fix=fix, default=default))

    def decorate(check: Check) -> Check:
        CHECKS.append((registered, check))
        return check

    return decorate


@dataclass
class LintContext:
    deployment: Deployment
    options: LintSettings
    _flows: dict = field(default_factory=dict)

    def finding(self, rule_id: str, path: Path, line: int, message: str) -> LintFinding:
        return LintFinding(rule=rule_id, path=path, line=line, message=message, severity=RULES[rule_id].severity)

    def processes(self, runner: Runner) -> list[Process]:
        return runner_processes(self.deployment, runner)

    def flows(self, shipped: Shipped) -> Flows:
        """Items flowing through the stages of `shipped`'s Dockerfile (under its build args)."""
        key = (shipped.dockerfile.path, id(shipped.graph), shipped.context)
        if key not in self._flows:
            ignore = self.deployment.dockerignore(shipped.dockerfile, shipped.context)
            self._flows[key] = Flows(shipped.graph, shipped.context, ignore)
        return self._flows[key]


# Findings the loader makes itself (files it cannot read), registered so they can be documented,
# configured and ignored like any other rule.
register(
    Rule(
        id="DY000",
        name="syntax",
        severity="error",
        summary="a Dockerfile or compose file cannot be parsed",
        why="BuildKit (or compose) would refuse the file, so nothing else about it can be checked.",
        fix=("Fix the syntax error at the line shown; `docker buildx build --check` shows BuildKit's own message."),
    )
)
register(
    Rule(
        id="DY015",
        name="bake-invalid",
        severity="error",
        summary="the bake file cannot be evaluated",
        why=(
            "`docker buildx bake` would fail before building anything, and the linter cannot tell "
            "which stages the targets ship."
        ),
        fix=("Run `docker buildx bake -f FILE --print` and fix the error it reports at the line shown."),
    )
)
