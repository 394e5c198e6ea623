"""What the checks of one target look at: the image, its files, and (started once) its container.

Static checks read the image's configuration and files; runtime checks share one container of
the target, started with the site's environment for its service ([tool.dockyard.environment],
[tool.dockyard.services.NAME] environment, [tool.dockyard.checks] environment) and the postgres
and redis it names (runtime.helpers, one of each per run; a database of its own on that postgres),
and waited on until it is healthy.
Everything started here carries the run's label, so the caller's `remove_labelled(run_id)`
finds it whatever happened.
"""

from __future__ import annotations

import contextlib
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.core.errors import DockyardError
from dockyard.core.settings import TargetChecks
from dockyard.docker import containers
from dockyard.docker.client import Container
from dockyard.docker.containers import RUN_LABEL, ContainerError
from dockyard.docker.images import ImageError, image_attrs, image_history
from dockyard.runtime.health import HealthOutcome, wait_healthy
from dockyard.runtime.helpers import Helpers


@dataclass
class Running:
    """The target's container, started once for every runtime check, and how its start went."""

    container: Container
    outcome: HealthOutcome
    started: float  # time.monotonic() at start
    ended: float = 0.0  # time.monotonic() when the start ended (healthy, or out of budget)
    settled: bool = False


@dataclass
class TargetContext:
    target: str
    image: str  # tag (or id) of the image under check
    settings: TargetChecks
    run_id: str
    peers: dict[str, str] = field(default_factory=dict)  # other targets of the run -> their image
    helpers: Helpers | None = None  # postgres/redis for the site's environment, shared by the run
    project_files: Path | None = None  # the tracked files the images were built from
    celery_app: str | None = None  # the site's Celery app, for commands that do not name theirs
    _attrs: dict[str, Any] | None = None
    _running: Running | None = None
    _files: Container | None = None  # created, never started: for reading the image's files
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    # ----------------------------------------------------------------- the image

    @property
    def attrs(self) -> dict[str, Any]:
        if self._attrs is None:
            try:
                self._attrs = image_attrs(self.image)
            except ImageError:
                raise DockyardError(f"image {self.image} of target {self.target} is not present") from None
        return self._attrs

    @property
    def config(self) -> dict[str, Any]:
        return self.attrs.get("Config") or {}

    def peer_attrs(self, target: str) -> dict[str, Any]:
        if target not in self.peers:
            raise DockyardError(f"target {self.target} is compared with {target}, which was not built in this run")
        return image_attrs(self.peers[target])

    def history(self, image: str | None = None) -> list[dict[str, Any]]:
        """`docker history` of this image (or another), oldest first."""
        return image_history(image or self.image)

    def read_tree(self, path: str, max_bytes: int = 200_000_000) -> list[tuple[tarfile.TarInfo, bytes | None]]:
        """Entries under `path` in the image (content of regular files up to 1 MB, else None).

        Read from a created, never started, container, so nothing in the image runs. Returns []
        when the path does not exist.
        """
        try:
            return containers.read_tree(self._created(), path, max_bytes)
        except ContainerError as exc:
            raise DockyardError(str(exc)) from None

    def read_file(self, path: str) -> bytes | None:
        for member, data in self.read_tree(path):
            if member.isfile():
                return data
        return None

    def run_once(self, command: list[str], timeout: float = 120) -> tuple[int, str]:
        """`docker run --rm IMAGE command` (through the image's entrypoint): exit code, output."""
        container = containers.run_container(
            self.image,
            command=command,
            labels={RUN_LABEL: self.run_id},
            environment=self.environment(with_services=False),
        )
        try:
            try:
                code = containers.wait_exit(container, timeout)
            except ContainerError:
                raise DockyardError(f"`{' '.join(command)}` in {self.image} did not finish in {timeout:g}s") from None
            return code, containers.logs_text(container)
        finally:
            containers.remove_quietly(container)

    # ----------------------------------------------------------------- the running container

    def environment(self, with_services: bool = True) -> dict[str, str]:
        """The target's environment filled in; without services, the variables that need postgres
        or redis are left out (a one-off command such as `id` does not need them)."""
        template = dict(self.settings.environment)
        needs = self.settings.services_needed
        if self.helpers is None:
            if with_services and needs:
                raise DockyardError(f"target {self.target} needs {', '.join(needs)}, but no helpers were given")
            return Helpers({}).environment(_without_services(template))
        if not with_services:
            return self.helpers.environment(_without_services(template))
        # a database of the target's own: targets that migrate at start, checked side by side,
        # would race on one (two `migrate` runs creating the same tables)
        return self.helpers.environment(template, also=needs, database=self.target)

    def running(self) -> Running:
        """Start the target's container (once); wait until healthy or out of startup budget."""
        if self._running is None:
            env = self.environment()
            needs = self.settings.services_needed
            network = self.helpers.network if (self.helpers is not None and needs) else None
            started = time.monotonic()
            container = containers.run_container(
                self.image,
                name=_name("check", self.target, self.run_id),
                environment=env,
                network=network,
                labels={RUN_LABEL: self.run_id},
            )
            self._stack.callback(containers.remove_quietly, container)
            outcome = wait_healthy(container, float(self.settings.startup_seconds))
            self._running = Running(container=container, outcome=outcome, started=started, ended=time.monotonic())
        return self._running

    def settled(self) -> Running:
        """The running container, `settle_seconds` after its start ended (for idle measurements):
        the time other checks took since then counts towards it."""
        running = self.running()
        if not running.settled:
            time.sleep(max(0.0, float(self.settings.settle_seconds) - (time.monotonic() - running.ended)))
            running.settled = True
        return running

    def close(self) -> None:
        self._stack.close()

    # ----------------------------------------------------------------- helpers

    def _created(self) -> Container:
        if self._files is None:
            self._files = containers.create_stopped(
                self.image, name=_name("files", self.target, self.run_id), labels={RUN_LABEL: self.run_id}
            )
            self._stack.callback(containers.remove_quietly, self._files)
        return self._files

    def has_project_file(self, name: str) -> bool | None:
        """Whether the project's tracked files hold `name` anywhere (not in node_modules); None
        when the files are not known."""
        if self.project_files is None:
            return None
        return any("node_modules" not in p.parts for p in self.project_files.rglob(name))


@contextlib.contextmanager
def target_context(**kwargs: Any) -> Iterator[TargetContext]:
    ctx = TargetContext(**kwargs)
    try:
        yield ctx
    finally:
        ctx.close()


def _without_services(template: dict[str, str]) -> dict[str, str]:
    """The variables of `template` that need neither postgres nor redis."""
    probe = Helpers({})
    return {k: v for k, v in template.items() if not probe.needs({k: v})}


def _name(kind: str, target: str, run_id: str) -> str:
    return f"dockyard-{kind}-{target}-{run_id}-{uuid.uuid4().hex[:4]}"
