"""Containers and networks dockyard starts for tests and checks, and how to read them.

Everything started here carries the label `dockyard.run=<run id>` so that a crash,
a Ctrl-C or a failed test never leaves anything behind that `remove_labelled`
cannot find. Ports are published on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import tarfile
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from dockyard.core.errors import DockyardError
from dockyard.core.net import LOOPBACK, is_loopback
from dockyard.core.redact import redact
from dockyard.docker.client import (
    ENGINE_ERRORS,
    APIError,
    Container,
    ImageNotFound,
    Network,
    NotFound,
    RequestFailed,
    client,
    explain,
)

RUN_LABEL = "dockyard.run"
_RUN_ID = os.environ.get("DOCKYARD_RUN_ID") or uuid.uuid4().hex[:8]


class ContainerError(DockyardError):
    """A container could not be started, or did not behave as expected."""


def current_run_id() -> str:
    """The id this process labels its containers and networks with ($DOCKYARD_RUN_ID or random)."""
    return _RUN_ID


def unique_name(prefix: str = "dockyard") -> str:
    """A container/network name unique to this run, e.g. dockyard-1a2b3c4d-9f8e7d."""
    return f"{prefix}-{current_run_id()}-{uuid.uuid4().hex[:6]}"


# --------------------------------------------------------------------------- start / stop


def _loopback_ports(ports: dict[str, Any] | None) -> dict[str, Any] | None:
    """docker-py port bindings with every host side on 127.0.0.1.

    `{"5000/tcp": None}` -> a random loopback port; `{"5000/tcp": 8000}` -> 127.0.0.1:8000;
    `{"5000/tcp": ("127.0.0.1", 8000)}` as is. Any other host address is refused.
    """
    if not ports:
        return None
    published: dict[str, Any] = {}
    for container_port, binding in ports.items():
        if binding is None:
            published[container_port] = (LOOPBACK,)
        elif isinstance(binding, int):
            published[container_port] = (LOOPBACK, binding)
        elif isinstance(binding, tuple) and binding and isinstance(binding[0], str):
            if not is_loopback(binding[0]):
                raise ContainerError(
                    f"refusing to publish {container_port} on {binding[0]}: use 127.0.0.1"
                )
            published[container_port] = binding
        else:
            raise ContainerError(f"unsupported port binding for {container_port}: {binding!r}")
    return published


def run_container(
    image: str,
    *,
    name: str | None = None,
    environment: dict[str, str] | list[str] | None = None,
    ports: dict[str, Any] | None = None,
    network: str | None = None,
    command: str | list[str] | None = None,
    labels: dict[str, str] | None = None,
    **kwargs: Any,
) -> Container:
    """Start a detached container from a local image (never pulls), labelled with this run's id.

    Extra keyword arguments go to docker-py's `containers.create` (e.g. `user`, `entrypoint`,
    `restart_policy`, `healthcheck`). A container that was created but could not start is removed.
    """
    engine = client()
    try:
        engine.images.get(image)
    except ImageNotFound:
        raise ContainerError(f"image {image} is not present locally: build it first") from None
    merged_labels = {RUN_LABEL: current_run_id(), **(labels or {})}
    try:
        container = engine.containers.create(
            image,
            command=command,
            name=name or unique_name(),
            environment=environment,
            ports=_loopback_ports(ports),
            network=network,
            labels=merged_labels,
            detach=True,
            **kwargs,
        )
    except APIError as exc:
        raise ContainerError(f"cannot create a container from {image}: {explain(exc)}") from None
    try:
        container.start()
    except APIError as exc:
        force_remove(container)
        raise ContainerError(f"container from {image} did not start: {explain(exc)}") from None
    except BaseException:
        force_remove(container)
        raise
    container.reload()
    return container


@contextlib.contextmanager
def temporary_container(image: str, **kwargs: Any) -> Iterator[Container]:
    """`run_container` that always removes its container (with volumes), on error and Ctrl-C too."""
    kwargs.setdefault("name", unique_name())
    container: Container | None = None
    try:
        container = run_container(image, **kwargs)
        yield container
    finally:
        with cleanup_shield():
            if container is not None:
                force_remove(container)
            else:  # interrupted while creating: find it by its name
                _remove_by_name(kwargs["name"])


@contextlib.contextmanager
def temporary_network(
    name: str | None = None, *, labels: dict[str, str] | None = None, **kwargs: Any
) -> Iterator[Network]:
    """A bridge network labelled with the run id, removed afterwards (containers disconnected first)."""
    engine = client()
    network_name = name or unique_name("dockyard-net")
    network = None
    try:
        network = engine.networks.create(
            network_name,
            driver=kwargs.pop("driver", "bridge"),
            labels={RUN_LABEL: current_run_id(), **(labels or {})},
            **kwargs,
        )
        yield network
    finally:
        with cleanup_shield():
            _remove_network(network if network is not None else _network_by_name(network_name))


def remove_labelled(run_id: str | None = None) -> dict[str, int]:
    """Force-remove every container and network labelled `dockyard.run=<run_id>`; returns counts."""
    engine = client()
    selector = {"label": f"{RUN_LABEL}={run_id or current_run_id()}"}
    removed = {"containers": 0, "networks": 0}
    for container in engine.containers.list(all=True, filters=selector):
        if force_remove(container):
            removed["containers"] += 1
    for network in engine.networks.list(filters=selector):
        if _remove_network(network):
            removed["networks"] += 1
    return removed


def force_remove(container: Container) -> bool:
    try:
        container.remove(force=True, v=True)
    except NotFound:
        return False
    except APIError as exc:
        if exc.status_code == 409:  # removal already in progress
            return False
        raise
    return True


def _remove_by_name(name: str) -> None:
    try:
        force_remove(client().containers.get(name))
    except NotFound:
        pass


def _network_by_name(name: str) -> Network | None:
    try:
        return client().networks.get(name)
    except NotFound:
        return None


def _remove_network(network: Network | None) -> bool:
    if network is None:
        return False
    try:
        network.reload()
        for attached in network.containers:
            with contextlib.suppress(APIError):
                network.disconnect(attached, force=True)
        network.remove()
    except NotFound:
        return False
    return True


@contextlib.contextmanager
def cleanup_shield() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM while cleaning up, so a second one does not cut the cleanup short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --------------------------------------------------------------------------- reading


def host_port(container: Container, port: str) -> int:
    """The loopback host port that `port` of a running container is published on."""
    container.reload()
    bindings = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(port) or []
    for binding in bindings:
        if is_loopback(binding.get("HostIp") or LOOPBACK) and binding.get("HostPort"):
            return int(binding["HostPort"])
    state = container.attrs.get("State", {})
    if state.get("Status") != "running":
        raise ContainerError(
            f"container {container.name} is {state.get('Status')} "
            f"(exit code {state.get('ExitCode')}), so {port} is not published"
        )
    raise ContainerError(f"container {container.name} does not publish {port} on 127.0.0.1")


def logs_tail(container: Container, lines: int = 20) -> list[str]:
    """The last `lines` lines of a container's stdout+stderr, passwords masked."""
    try:
        raw = container.logs(tail=lines, stdout=True, stderr=True)
    except NotFound:
        return []
    return [redact(line) for line in raw.decode("utf-8", "replace").splitlines()]


def logs_text(container: Container, since: datetime | None = None, stderr: bool = True) -> str:
    """All of a container's logs as text (passwords masked); stdout only with `stderr=False`."""
    kwargs: dict[str, Any] = {"stdout": True, "stderr": stderr}
    if since is not None:
        kwargs["since"] = since
    return redact(container.logs(**kwargs).decode("utf-8", "replace"))


def exec_text(
    container: Container,
    argv: list[str],
    user: str | None = None,
    environment: dict[str, str] | None = None,
) -> tuple[int, str]:
    """Run argv in a running container; (exit code, combined output)."""
    kwargs: dict[str, Any] = {"demux": False}
    if user is not None:
        kwargs["user"] = user
    if environment:
        kwargs["environment"] = environment
    try:
        result = container.exec_run(argv, **kwargs)
    except APIError as exc:
        raise ContainerError(f"cannot exec in {container.name}: {explain(exc)}") from None
    return result.exit_code, (result.output or b"").decode("utf-8", "replace")


def get_container(name: str) -> Container:
    """A container by name or id; ContainerError when there is none."""
    try:
        return client().containers.get(name)
    except NotFound:
        raise ContainerError(f"no container named {name} (see `docker ps -a`)") from None


def list_containers(label: str | None = None, all: bool = False) -> list[Container]:  # noqa: A002
    """Running containers (every one with `all`), optionally only those with `label` (KEY or KEY=VALUE)."""
    return client().containers.list(all=all, filters={"label": label} if label else None)


def process_argv(container: Container) -> list[str]:
    """The process the container runs: entrypoint path + args, as the engine recorded them."""
    attrs = container.attrs
    return [attrs.get("Path", "")] + list(attrs.get("Args") or [])


def processes(container: Container) -> list[str]:
    """The command lines of the processes running in a container (`docker top NAME -eo pid,args`)."""
    try:
        top = container.top(ps_args="-eo pid,args")
    except APIError as exc:
        raise ContainerError(f"cannot list the processes of {container.name}: {explain(exc)}") from None
    return [str(row[-1]) for row in top.get("Processes") or [] if row]


def wait_exit(container: Container, timeout: float) -> int:
    """Wait for a container to stop; its exit code (ContainerError when it does not stop in time)."""
    try:
        status = container.wait(timeout=timeout)
    except RequestFailed:
        raise ContainerError(f"container {container.name} did not finish in {timeout:g}s") from None
    return int(status.get("StatusCode", -1))


def stats(container: Container) -> dict[str, Any]:
    """One `docker stats` sample of a running container (without waiting for a second one)."""
    return container.stats(stream=False, one_shot=True)


def create_stopped(image: str, *, name: str, labels: dict[str, str] | None = None) -> Container:
    """A container created from `image` but never started (to read its files without running it)."""
    try:
        return client().containers.create(
            image,
            command=["true"],
            entrypoint=[],
            labels={RUN_LABEL: current_run_id(), **(labels or {})},
            name=name,
        )
    except ImageNotFound:
        raise ContainerError(f"image {image} is not present locally: build it first") from None


def read_tree(
    container: Container, path: str, max_bytes: int = 200_000_000, max_file: int = 1_000_000
) -> list[tuple[tarfile.TarInfo, bytes | None]]:
    """Entries under `path` in a container's filesystem (content of regular files up to `max_file`
    bytes, else None); [] when the path does not exist. Refuses to read more than `max_bytes`."""
    try:
        stream, _stat = container.get_archive(path)
    except NotFound:
        return []
    entries: list[tuple[tarfile.TarInfo, bytes | None]] = []
    with tarfile.open(fileobj=_StreamReader(stream, max_bytes), mode="r|") as archive:
        for member in archive:
            data = None
            if member.isfile() and member.size <= max_file:
                handle = archive.extractfile(member)
                data = handle.read() if handle else None
            entries.append((member, data))
    return entries


class _StreamReader(io.RawIOBase):
    """A file object over docker-py's chunk iterator, refusing to read past `limit` bytes."""

    def __init__(self, chunks: Iterator[bytes], limit: int | None = None):
        self._chunks = iter(chunks)
        self._buffer = b""
        self._read = 0
        self._limit = limit

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
            self._read += len(self._buffer)
            if self._limit is not None and self._read > self._limit:
                raise ContainerError(f"more than {self._limit} bytes under the path being read")
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def chunk_reader(chunks: Iterator[bytes]) -> io.BufferedReader:
    """A buffered file object over a stream of chunks (e.g. `docker save`)."""
    return io.BufferedReader(_StreamReader(chunks), buffer_size=1 << 20)


def remove_quietly(container: Container) -> None:
    """Force-remove a container (and its anonymous volumes), ignoring every engine error."""
    with contextlib.suppress(*ENGINE_ERRORS):
        container.remove(force=True, v=True)
