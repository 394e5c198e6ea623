"""Checking targets at the same time: postgres and redis they can share, and one thread per target.

The image checks mostly wait on the engine (a container turning healthy, settling before its
memory is sampled), so checking the targets one after another mostly waits. Here every target gets
a thread and its checks run in their usual order within it; results come back in the targets'
order, so the report is the same as a sequential run's.

Everything a thread starts carries the run's label, as in a sequential run. When the run is
interrupted (Ctrl-C, SIGTERM: a KeyboardInterrupt in the main thread), the threads are told to
stop after their current check, the run is closed to new containers and networks (one the Engine
was already making is removed by the thread that asked for it: containers.refuse_new), the run's
containers are removed (which ends any wait on them at once), and the threads are joined before
the interrupt goes on, so nothing of the run outlives its clean-up.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from dockyard.core.errors import DockyardError
from dockyard.docker import containers
from dockyard.docker.client import ENGINE_ERRORS, Container
from dockyard.images.checks import TargetContext
from dockyard.images.checks.context import Running
from dockyard.runtime.helpers import Helpers

T = TypeVar("T")
# The checks that use the target's running container (the others read the image): a target with
# one of them gets its container started ahead, while the image checks run.
CONTAINER_CHECKS = frozenset({"healthy", "probe_fits", "idle_memory", "celery_starts"})
JOIN_SECONDS = 60  # after an interrupt, how long to wait for a thread to finish its current check


class Cancelled(Exception):
    """Raised inside a target's thread to stop it between two checks."""


class SharedHelpers(Helpers):
    """postgres/redis that several targets' threads use at once: starting them is done under one
    lock, so each starts once and a target that needs it waits until it is healthy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.RLock()
        self._failed: dict[str, DockyardError] = {}
        self._warming: threading.Thread | None = None

    @property
    def network(self) -> str:
        with self._lock:
            return Helpers.network.fget(self)  # type: ignore[attr-defined]

    def environment(
        self, template: Mapping[str, str], also: tuple[str, ...] = (), database: str | None = None
    ) -> dict[str, str]:
        with self._lock:
            return super().environment(template, also, database)

    def start(self, kinds: list[str]) -> None:
        with self._lock:
            failed = [self._failed[k] for k in kinds if k in self._failed]
            if failed:
                raise failed[0]
            try:
                super().start(kinds)
            except DockyardError as exc:
                for kind in kinds:
                    self._failed.setdefault(kind, exc)
                raise

    def start_early(self, kinds: list[str]) -> None:
        """Start `kinds` in the background (while the images build); a target that needs them
        later waits on the lock instead of starting them. A failure is raised to that target."""
        if not kinds:
            return

        def warm() -> None:
            try:
                self.start(kinds)
            except Exception:  # noqa: BLE001 - kept in self._failed, raised to the target that needs it
                pass

        with self._lock:
            self._warming = threading.Thread(target=warm, name="dockyard-helpers", daemon=True)
            self._warming.start()

    def close(self) -> None:
        with self._lock:
            started = [helper.container for helper in self._helpers.values()]
        remove_all(started)  # all at once; the helpers' own clean-up then finds them gone
        super().close()  # removes the helpers: a wait on them ends at once
        if self._warming is not None:
            self._warming.join(JOIN_SECONDS)
        super().close()  # what the background start made after the first close


def remove_all(started: list[Container]) -> None:
    """Force-remove containers, each on its own thread (removal mostly waits on the engine)."""
    threads = [threading.Thread(target=containers.remove_quietly, args=(c,), daemon=True) for c in started]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)


class SharedTargetContext(TargetContext):
    """A target's context whose container can be started ahead of the checks that use it: the
    container starts (once) on whichever thread asks first, the other waits for it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._start_lock = threading.Lock()
        self._early: threading.Thread | None = None

    def running(self) -> Running:
        with self._start_lock:
            return super().running()

    def start_early(self) -> None:
        """Start the container now, in the background, while the checks that read the image run."""

        def start() -> None:
            try:
                self.running()
            except Exception:  # noqa: BLE001 - the check that needs the container meets it again
                pass

        self._early = threading.Thread(target=start, name=f"dockyard-start-{self.target}", daemon=True)
        self._early.start()

    def close(self) -> None:
        super().close()  # removes the container: a wait on it ends at once
        if self._early is not None:
            self._early.join(JOIN_SECONDS)
        super().close()  # what the early start made after the first close


def in_parallel(
    items: Sequence[str],
    work: Callable[[str, Callable[[], None]], T],
    run_id: str,
) -> list[T]:
    """`work(item, stop_point)` for every item, each in its own thread; the results in `items`'
    order. `stop_point()` raises Cancelled once the run is interrupted: call it between steps.
    An exception in a thread is raised here after every thread has ended."""
    stop = threading.Event()

    def stop_point() -> None:
        if stop.is_set():
            raise Cancelled

    results: dict[int, T] = {}
    errors: dict[int, BaseException] = {}

    def run(index: int, item: str) -> None:
        try:
            results[index] = work(item, stop_point)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors[index] = exc

    threads = [
        threading.Thread(target=run, args=(i, item), name=f"dockyard-check-{item}", daemon=True)
        for i, item in enumerate(items)
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:
        stop.set()
        containers.refuse_new(run_id)  # a start already asked of the Engine is undone by its thread
        with containers.cleanup_shield():
            with contextlib.suppress(DockyardError, *ENGINE_ERRORS):
                containers.remove_labelled(run_id)
            for thread in threads:
                thread.join(JOIN_SECONDS)
        raise
    for index in range(len(items)):
        if index in errors and not isinstance(errors[index], Cancelled):
            raise errors[index]
    return [results[i] for i in range(len(items))]
