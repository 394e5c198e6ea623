"""What the checks of one target look at: the image, its files, and (started once) its container.

Static checks read the image's configuration and files; runtime checks share one container of
the target, started with the services it needs (redis, postgres) on a network of the run, and
waited on until it is healthy. Everything started here carries the run's label, so the caller's
`remove_labelled(run_id)` finds it whatever happened.
"""

from __future__ import annotations

import contextlib
import secrets
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dockyard.core.errors import DockyardError
from dockyard.core.settings import TargetChecks
from dockyard.docker import containers
from dockyard.docker.client import Container
from dockyard.docker.containers import RUN_LABEL, ContainerError
from dockyard.docker.images import ImageError, image_attrs, image_history
from dockyard.runtime.health import HealthOutcome, wait_healthy

SERVICE_PORTS = {"redis": 6379, "postgres": 5432}
SERVICE_READY_SECONDS = 60


@dataclass
class Service:
    name: str  # container name, also its host name on the run's network
    container: Container
    environment: dict[str, str]  # what a client container needs to reach it


class ServicePool:
    """redis/postgres for the runtime checks: one network per run, each service started once."""

    def __init__(self, run_id: str, images: dict[str, str]):
        self.run_id = run_id
        self.images = images  # service -> image (redis, postgres)
        self._stack = contextlib.ExitStack()
        self._network: str | None = None
        self._services: dict[str, Service] = {}

    @property
    def network(self) -> str:
        if self._network is None:
            net = self._stack.enter_context(
                containers.temporary_network(f"dockyard-checks-{self.run_id}", labels={RUN_LABEL: self.run_id})
            )
            self._network = net.name
        return self._network

    def environment_for(self, needs: list[str]) -> dict[str, str]:
        """Start what `needs` lists (in parallel), wait until healthy, return the client env."""
        wanted = [s for s in needs if s not in self._services]
        started = {name: self._start(name) for name in wanted}
        for name, service in started.items():
            outcome = wait_healthy(service.container, SERVICE_READY_SECONDS)
            if not outcome.ok:
                raise DockyardError(f"the {name} service for the checks did not become healthy: {outcome.reason}")
            self._services[name] = service
        env: dict[str, str] = {}
        for name in needs:
            env.update(self._services[name].environment)
        return env

    def _start(self, kind: str) -> Service:
        name = f"dockyard-{kind}-{self.run_id}"
        image = self.images[kind]
        if kind == "redis":
            env: dict[str, str] = {}
            client_env = {"CELERY_BROKER_URL": f"redis://{name}:6379/0"}
        else:
            password = secrets.token_hex(12)
            env = {
                "POSTGRES_USER": "dockyard",
                "POSTGRES_PASSWORD": password,
                "POSTGRES_DB": "dockyard",
            }
            client_env = {"DATABASE_URL": f"postgresql://dockyard:{password}@{name}:5432/dockyard"}
        container = containers.run_container(
            image, name=name, environment=env, network=self.network, labels={RUN_LABEL: self.run_id}
        )
        self._stack.callback(containers.remove_quietly, container)
        return Service(name=name, container=container, environment=client_env)

    def close(self) -> None:
        self._stack.close()


@dataclass
class Running:
    """The target's container, started once for every runtime check, and how its start went."""

    container: Container
    outcome: HealthOutcome
    started: float  # time.monotonic() at start
    settled: bool = False


@dataclass
class TargetContext:
    target: str
    image: str  # tag (or id) of the image under check
    settings: TargetChecks
    run_id: str
    peers: dict[str, str] = field(default_factory=dict)  # other targets of the run -> their image
    pool: ServicePool | None = None
    _attrs: dict[str, Any] | None = None
    _running: Running | None = None
    _files: Container | None = None  # created, never started: for reading the image's files
    _key: str | None = None
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
        env = {"DJANGO_SECRET_KEY": self._secret_key(), **self.settings.environment}
        if with_services and self.settings.needs:
            if self.pool is None:
                raise DockyardError(
                    f"target {self.target} needs {', '.join(self.settings.needs)}, but no service pool was given"
                )
            env.update(self.pool.environment_for(self.settings.needs))
        return env

    def running(self) -> Running:
        """Start the target's container (once); wait until healthy or out of startup budget."""
        if self._running is None:
            env = self.environment()
            network = self.pool.network if (self.pool is not None and self.settings.needs) else None
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
            self._running = Running(container=container, outcome=outcome, started=started)
        return self._running

    def settled(self) -> Running:
        """The running container, `settle_seconds` after its start ended (for idle measurements)."""
        running = self.running()
        if not running.settled:
            time.sleep(float(self.settings.settle_seconds))
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

    def _secret_key(self) -> str:
        if self._key is None:
            self._key = secrets.token_urlsafe(40)  # never printed; only handed to the container
        return self._key


@contextlib.contextmanager
def target_context(**kwargs: Any) -> Iterator[TargetContext]:
    ctx = TargetContext(**kwargs)
    try:
        yield ctx
    finally:
        ctx.close()


def _name(kind: str, target: str, run_id: str) -> str:
    return f"dockyard-{kind}-{target}-{run_id}-{uuid.uuid4().hex[:4]}"
