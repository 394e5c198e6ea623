"""One stage service moved to an image, the way CapRover deploys, and how it ended.

CapRover's deploy sets the Swarm service's image; Swarm then rolls the tasks over with the
service's update config. So does this: `service.update(image=...)`, which keeps the rest of the
spec. Then `UpdateStatus` is read until it is final. The status of an earlier update stays until
Swarm starts this one, so states count only once `StartedAt` differs from its value before the
call (docs/stage.md). `rollback_completed` means Swarm refused the image (a new task failed or
never turned healthy) and went back to the one before: the deploy was refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dockyard.docker import swarm

COMPLETED = "completed"
ROLLED_BACK = "rollback_completed"
UNCHANGED = "unchanged"  # the service already ran that image: Swarm does nothing
TIMEOUT = "timeout"
NO_NEW_STATUS_S = 15.0  # a real update shows a new UpdateStatus within a few seconds


@dataclass
class UpdateOutcome:
    service: str  # the Swarm service
    before: str  # the image it ran
    requested: str
    state: str  # completed, rollback_completed, paused, rollback_paused, unchanged, timeout
    message: str = ""
    states: list[tuple[float, str]] = field(default_factory=list)  # (seconds after the call, state)
    converge_s: float | None = None  # from the call to the final state
    after: str = ""  # the image it runs at the end

    @property
    def refused(self) -> bool:
        return self.state in (ROLLED_BACK, "rollback_paused", "paused")

    @property
    def done(self) -> bool:
        return self.state in (COMPLETED, UNCHANGED)

    def to_dict(self) -> dict:
        return {**self.__dict__, "states": [list(s) for s in self.states], "refused": self.refused}


@dataclass
class Update:
    """An update in flight: `start()` sends it, `poll()` reads its state until `outcome` is set."""

    service: str
    image: str
    timeout: float
    outcome: UpdateOutcome | None = None
    states: list[tuple[float, str]] = field(default_factory=list)
    _before: str = ""
    _earlier: str | None = None
    _started: float = 0.0

    def start(self) -> None:
        before = self._before = swarm.image_of(self.service)
        self._earlier = swarm.update_status(self.service).started_at
        self._started = time.monotonic()
        if _same_image(before, self.image):
            self.outcome = UpdateOutcome(self.service, before, self.image, UNCHANGED, converge_s=0.0, after=before)
            return
        swarm.update_image(self.service, self.image)

    def poll(self) -> UpdateOutcome | None:
        """The outcome once the update is final (or timed out); None while it runs."""
        if self.outcome is not None:
            return self.outcome
        elapsed = time.monotonic() - self._started
        status = swarm.update_status(self.service)
        fresh = status.state is not None and status.started_at != self._earlier
        if fresh and (not self.states or self.states[-1][1] != status.state):
            self.states.append((round(elapsed, 1), str(status.state)))
        final = fresh and status.state in swarm.FINAL_STATES
        if final or elapsed > self.timeout or (not fresh and elapsed > NO_NEW_STATUS_S and status.state is None):
            state = str(status.state) if final else (TIMEOUT if elapsed > self.timeout else UNCHANGED)
            self.outcome = UpdateOutcome(
                service=self.service,
                before=self._before,
                requested=self.image,
                state=state,
                message=status.message if fresh else "",
                states=list(self.states),
                converge_s=round(elapsed, 1) if final else None,
                after=swarm.image_of(self.service),
            )
        return self.outcome


def run_updates(
    updates: list[Update], on_state: Callable[[str, str], None] = lambda service, state: None, every: float = 0.25
) -> list[UpdateOutcome]:
    """Start every update, then poll them together until each is final."""
    for update in updates:
        update.start()
    seen: dict[str, int] = {}
    while True:
        outcomes = [u.poll() for u in updates]
        for update in updates:
            for _, state in update.states[seen.get(update.service, 0) :]:
                on_state(update.service, state)
            seen[update.service] = len(update.states)
        if all(o is not None for o in outcomes):
            return [o for o in outcomes if o is not None]
        time.sleep(every)


def _same_image(running: str, wanted: str) -> bool:
    """`repo:tag@sha256:...` (a CLI-pinned spec) runs `repo:tag`."""
    return running == wanted or running.split("@", 1)[0] == wanted
