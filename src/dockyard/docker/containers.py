"""Containers and networks dockyard starts for tests and checks, and how to read them.

Everything started here carries the run's labels (`dockyard.core.run.run_labels()`: run id,
host, pid, process start), so that a failed test or Ctrl-C never leaves anything behind that
`remove_labelled` cannot find, and a killed run's leftovers are reaped by the next run
(dockyard.prune.stale). What a caller keeps on purpose (`kept=True`) is labelled as kept and
never reaped. Ports are published on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from dockyard.core.errors import DockyardError
from dockyard.core.net import LOOPBACK, is_loopback
from dockyard.core.redact import redact, redact_all
from dockyard.core.run import RUN_LABEL, kept_labels, run_id, run_labels
from dockyard.core.signals import shield
from dockyard.core.untrusted import printable
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

cleanup_shield = shield  # signals wait until a cleanup is done (dockyard.core.signals)


class ContainerError(DockyardError):
    """A container could not be started, or did not behave as expected."""


# Runs being cleaned up: they make no container or network any more (see `refuse_new`).
_closed_runs: set[str] = set()


def refuse_new(run: str | None = None) -> None:
    """From now on `run` (default: this run) makes no container or network: a request made before
    is undone as soon as the Engine answers it. A run whose threads may still be starting things
    calls it before listing what to remove, so nothing is made after that list (issue 16)."""
    _closed_runs.add(run or current_run_id())


def _refused(labels: dict[str, str]) -> bool:
    return labels.get(RUN_LABEL) in _closed_runs


def _closed_error(what: str) -> ContainerError:
    return ContainerError(f"not making {what}: the run is being cleaned up")


def current_run_id() -> str:
    """The id this process labels its containers and networks with ($DOCKYARD_RUN_ID or random)."""
    return run_id()


def owner_labels(labels: dict[str, str] | None = None, kept: bool = False) -> dict[str, str]:
    """The run's labels (or, `kept`, the labels of what outlives the run), plus `labels`."""
    return {**(kept_labels() if kept else run_labels()), **(labels or {})}


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
    kept: bool = False,
    **kwargs: Any,
) -> Container:
    """Start a detached container from a local image (never pulls), labelled with this run's labels
    (`kept`: labelled as kept on purpose, never reaped).

    Extra keyword arguments go to docker-py's `containers.create` (e.g. `user`, `entrypoint`,
    `restart_policy`, `healthcheck`). A container that was created but could not start is removed.
    """
    engine = client()
    try:
        engine.images.get(image)
    except ImageNotFound:
        raise ContainerError(f"image {image} is not present locally: build it first") from None
    name = name or unique_name()
    labels = owner_labels(labels, kept)
    if _refused(labels):
        raise _closed_error(f"a container from {image}")
    container: Container | None = None
    try:
        # Each request is let finish before a signal is acted on (it is delivered when the block
        # ends): an interruption then never leaves a container made that no one holds.
        with shield():
            container = engine.containers.create(
                image,
                command=command,
                name=name,
                environment=environment,
                ports=_loopback_ports(ports),
                network=network,
                labels=labels,
                detach=True,
                **kwargs,
            )
            container.start()
            container.reload()
    except APIError as exc:
        if container is None:
            raise ContainerError(f"cannot create a container from {image}: {explain(exc)}") from None
        with cleanup_shield():
            force_remove(container)
        raise ContainerError(f"container from {image} did not start: {explain(exc)}") from None
    except BaseException:  # interrupted (or the Engine went away) while it was being made
        with cleanup_shield(), contextlib.suppress(*ENGINE_ERRORS):
            if container is not None:
                force_remove(container)
            else:
                _remove_by_name(name)
        raise
    if _refused(labels):  # the run's cleanup started while the Engine made it: it may not have seen it
        with cleanup_shield(), contextlib.suppress(*ENGINE_ERRORS):
            force_remove(container)
        raise _closed_error(f"a container from {image}")
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
    name: str | None = None, *, labels: dict[str, str] | None = None, kept: bool = False, **kwargs: Any
) -> Iterator[Network]:
    """A bridge network labelled with the run id (`kept`: as kept on purpose), removed afterwards
    (containers disconnected first)."""
    engine = client()
    network_name = name or unique_name("dockyard-net")
    network = None
    labels = owner_labels(labels, kept=kept)
    try:
        if _refused(labels):
            raise _closed_error(f"network {network_name}")
        network = engine.networks.create(
            network_name,
            driver=kwargs.pop("driver", "bridge"),
            labels=labels,
            **kwargs,
        )
        if _refused(labels):  # removed below: the run's cleanup may have listed the networks before
            raise _closed_error(f"network {network_name}")
        yield network
    finally:
        with cleanup_shield():
            _remove_network(network if network is not None else _network_by_name(network_name))


def remove_labelled(run: str | None = None) -> dict[str, int]:
    """Force-remove every container, network and volume labelled `dockyard.run=<run>` (default:
    this run); returns counts."""
    engine = client()
    selector = {"label": f"{RUN_LABEL}={run or current_run_id()}"}
    removed = {"containers": 0, "networks": 0, "volumes": 0}
    for container in engine.containers.list(all=True, filters=selector):
        if force_remove(container):
            removed["containers"] += 1
    for network in engine.networks.list(filters=selector):
        if _remove_network(network):
            removed["networks"] += 1
    for volume in engine.volumes.list(filters=selector):
        with contextlib.suppress(NotFound):
            volume.remove(force=True)
            removed["volumes"] += 1
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
    """The last `lines` lines of a container's stdout+stderr, passwords masked, no terminal escapes."""
    try:
        raw = container.logs(tail=lines, stdout=True, stderr=True)
    except NotFound:
        return []
    return [printable(redact(line)) for line in raw.decode("utf-8", "replace").splitlines()]


def logs_text(container: Container, since: datetime | None = None, stderr: bool = True) -> str:
    """All of a container's logs as text (passwords masked, no terminal escapes); stdout only with
    `stderr=False`. ContainerError when the container is gone."""
    kwargs: dict[str, Any] = {"stdout": True, "stderr": stderr}
    if since is not None:
        kwargs["since"] = since
    try:
        raw = container.logs(**kwargs)
    except NotFound:
        raise ContainerError(f"container {container.name} is gone (removed while dockyard read it)") from None
    return printable(redact(raw.decode("utf-8", "replace")))


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
    return client().containers.list(all=all, filters={"label": label} if label else None, ignore_removed=True)


def process_argv(container: Container) -> list[str]:
    """The process the container runs: entrypoint path + args, as the engine recorded them, with
    passwords masked (`--broker redis://:***@redis`): what dockyard shows of a command."""
    attrs = container.attrs
    return [printable(arg) for arg in redact_all([attrs.get("Path", ""), *(attrs.get("Args") or [])])]


def refresh(container: Container) -> None:
    """Read the container's state again; ContainerError when it was removed meanwhile."""
    try:
        container.reload()
    except NotFound:
        raise ContainerError(f"container {container.name} is gone (removed while dockyard watched it)") from None


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
    labels = owner_labels(labels)
    if _refused(labels):
        raise _closed_error(f"a container from {image}")
    try:
        with shield():  # see run_container: the Engine's answer is awaited before a signal acts
            container = client().containers.create(
                image,
                command=["true"],
                entrypoint=[],
                labels=labels,
                name=name,
            )
    except ImageNotFound:
        raise ContainerError(f"image {image} is not present locally: build it first") from None
    except BaseException:
        with cleanup_shield(), contextlib.suppress(*ENGINE_ERRORS):
            _remove_by_name(name)
        raise
    if _refused(labels):  # see run_container
        with cleanup_shield(), contextlib.suppress(*ENGINE_ERRORS):
            force_remove(container)
        raise _closed_error(f"a container from {image}")
    return container


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
