"""What every image check returns: one line a person reads, and numbers a machine compares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass
class CheckResult:
    name: str  # the check, e.g. "non_root"
    target: str  # the bake target, e.g. "web"
    passed: bool
    measured: str  # what was found, for a person: "uid=0(root)", "1.25 GB"
    budget: str  # what was required: "uid 1000", "<= 1.10 GB"
    detail: str = ""  # why it passed or failed, and by how much
    value: float | None = None  # the measured number, in `unit`, when there is one
    limit: float | None = None  # the budget number, in `unit`
    unit: str = ""
    seconds: float = 0.0  # how long the check took
    skipped: bool = False  # the check does not apply to this target (neither a pass nor a failure)

    @property
    def status(self) -> str:
        return "skip" if self.skipped else "pass" if self.passed else "fail"

    @property
    def failed(self) -> bool:
        return not self.passed and not self.skipped

    def to_dict(self) -> dict:
        return {**asdict(self), "status": self.status}

    def one_line(self) -> str:
        """`web non_root: uid=0(root) (budget uid 1000)`, for the failure summary."""
        return f"{self.target} {self.name}: {self.measured} (budget {self.budget})"


def skipped(name: str, target: str, why: str, budget: str = "-") -> CheckResult:
    """A check that does not apply: `why` says so ("no package.json in the project")."""
    return CheckResult(name, target, False, f"skipped: {why}", budget, f"skipped: {why}", skipped=True)


def over_budget(measured: float, limit: float, fmt: Callable[[float], str] = lambda v: f"{v:g}") -> str:
    """`100.0 MB (9%) over budget` or `4.8 MB under budget`: by how much, for details."""
    if measured > limit:
        excess = measured - limit
        share = f" ({100 * excess / limit:.0f}%)" if limit else ""
        return f"{fmt(excess)}{share} over budget"
    return f"{fmt(limit - measured)} under budget"
