"""The card's Testing Commands as library functions: each starts what it needs, checks, and cleans up."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from dockyard.runtime.helpers import Helpers


@dataclass
class StepResult:
    """One thing a test did, whether it passed, how long it took, and what it saw."""

    name: str
    ok: bool
    seconds: float
    detail: str
    skipped: bool = False  # did not apply to this site (ok, but nothing was checked)

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else "pass" if self.ok else "fail"

    def to_dict(self) -> dict:
        return {**asdict(self), "status": self.status}


class StepFailed(Exception):
    """Raised inside a `steps.run(...)` block to fail that step with a one-line detail."""


@dataclass
class Steps:
    """Collects StepResult results; `run` times a block and records it (a StepFailed marks it failed)."""

    items: list[StepResult] = field(default_factory=list)
    on_step: Callable[[str], None] = lambda name: None

    @contextmanager
    def run(self, name: str) -> Iterator[dict]:
        self.on_step(name)
        note: dict = {"detail": ""}
        start = time.monotonic()
        try:
            yield note
        except StepFailed as exc:
            self.items.append(StepResult(name, False, round(time.monotonic() - start, 2), str(exc)))
            raise
        self.items.append(StepResult(name, True, round(time.monotonic() - start, 2), note["detail"]))

    def skip(self, name: str, why: str) -> None:
        """Record a step that does not apply (`why` starts with "skipped: ...")."""
        self.items.append(StepResult(name, True, 0.0, why, skipped=True))

    @property
    def ok(self) -> bool:
        return bool(self.items) and all(s.ok for s in self.items)


def start_helpers(steps: Steps, helpers: Helpers, environment: Mapping[str, str]) -> list[str]:
    """The step that starts the postgres/redis `environment`'s placeholders name, and waits until
    they are healthy (no step when it names none); returns the containers started."""
    needs = helpers.needs(environment)
    if not needs:
        return []
    with steps.run(" + ".join(needs)) as note:
        try:
            helpers.start(needs)
        except Exception as exc:  # noqa: BLE001 - a DockyardError or an engine error, one line
            raise StepFailed(str(exc).splitlines()[0]) from None
        note["detail"] = ", ".join(helpers.started) + " healthy"
    return helpers.started
