"""Containers that dockyard starts for tests and checks, and how to read them.

Everything started here carries the label `dockyard.run=<run id>` so that a crash,
a Ctrl-C or a failed test never leaves anything behind that `remove_labelled`
cannot find. Ports are published on 127.0.0.1 only, and `http_get` refuses any
address that is not loopback.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import docker
import docker.errors
from docker.models.containers import Container
from docker.models.networks import Network

from dockyard.core.errors import DockyardError
from dockyard.docker.client import client

RUN_LABEL = "dockyard.run"
LOOPBACK = "127.0.0.1"
_RUN_ID = os.environ.get("DOCKYARD_RUN_ID") or uuid.uuid4().hex[:8]


class ContainerError(DockyardError):
    """A container could not be started, or did not behave as expected."""


def current_run_id() -> str:
    """The id this process labels its containers and networks with ($DOCKYARD_RUN_ID or random)."""
    return _RUN_ID


def unique_name(prefix: str = "dockyard") -> str:
    """A container/network name unique to this run, e.g. dockyard-1a2b3c4d-9f8e7d."""
    return f"{prefix}-{current_run_id()}-{uuid.uuid4().hex[:6]}"


# --------------------------------------------------------------------------- secrets

_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s/]+)(?P<at>@)"
)
_SECRET_ASSIGNMENT = re.compile(
    r"(?P<key>\b\w*(?:PASSWORD|SECRET|TOKEN|PASSWD)\w*\s*[=:]\s*)(?P<value>[^\s,;'\"]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Mask passwords in URLs (`postgres://u:***@h/db`) and in KEY=value pairs named like secrets."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}***{m.group('at')}", text)
    return _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group('key')}***", text)


# --------------------------------------------------------------------------- start / stop


def _loopback_ports(ports: dict[str, Any] | None) -> dict[str, Any] | None:
    """docker-py port bindings with every host side on 127.0.0.1.

    `{"80/tcp": None}` -> a random loopback port; `{"80/tcp": 8000}` -> 127.0.0.1:8000;
    `{"80/tcp": ("127.0.0.1", 8000)}` as is. Any other host address is refused.
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
            if not _is_loopback(binding[0]):
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
    except docker.errors.ImageNotFound:
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
    except docker.errors.APIError as exc:
        raise ContainerError(f"cannot create a container from {image}: {_explain(exc)}") from None
    try:
        container.start()
    except docker.errors.APIError as exc:
        _force_remove(container)
        raise ContainerError(f"container from {image} did not start: {_explain(exc)}") from None
    except BaseException:
        _force_remove(container)
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
                _force_remove(container)
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
        if _force_remove(container):
            removed["containers"] += 1
    for network in engine.networks.list(filters=selector):
        if _remove_network(network):
            removed["networks"] += 1
    return removed


def _force_remove(container: Container) -> bool:
    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        return False
    except docker.errors.APIError as exc:
        if exc.status_code == 409:  # removal already in progress
            return False
        raise
    return True


def _remove_by_name(name: str) -> None:
    try:
        _force_remove(client().containers.get(name))
    except docker.errors.NotFound:
        pass


def _network_by_name(name: str) -> Network | None:
    try:
        return client().networks.get(name)
    except docker.errors.NotFound:
        return None


def _remove_network(network: Network | None) -> bool:
    if network is None:
        return False
    try:
        network.reload()
        for attached in network.containers:
            with contextlib.suppress(docker.errors.APIError):
                network.disconnect(attached, force=True)
        network.remove()
    except docker.errors.NotFound:
        return False
    return True


@contextlib.contextmanager
def cleanup_shield() -> Iterator[None]:
    """Ignore a second Ctrl-C while cleaning up, so the cleanup itself is not cut short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _explain(exc: docker.errors.APIError) -> str:
    text = exc.explanation if isinstance(exc.explanation, str) and exc.explanation else str(exc)
    return redact(text.strip().splitlines()[0] if text.strip() else type(exc).__name__)


# --------------------------------------------------------------------------- reading


def host_port(container: Container, port: str = "80/tcp") -> int:
    """The loopback host port that `port` of a running container is published on."""
    container.reload()
    bindings = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(port) or []
    for binding in bindings:
        if _is_loopback(binding.get("HostIp") or LOOPBACK) and binding.get("HostPort"):
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
    except docker.errors.NotFound:
        return []
    return [redact(line) for line in raw.decode("utf-8", "replace").splitlines()]


def logs_text(container: Container, since: datetime | None = None) -> str:
    """All of a container's logs as text (passwords masked)."""
    kwargs: dict[str, Any] = {"stdout": True, "stderr": True}
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
    except docker.errors.APIError as exc:
        raise ContainerError(f"cannot exec in {container.name}: {_explain(exc)}") from None
    return result.exit_code, (result.output or b"").decode("utf-8", "replace")


def parse_docker_time(value: str | None) -> datetime | None:
    """RFC 3339 with nanoseconds, as the engine writes it; None for unset (year 1)."""
    if not value or value.startswith("0001-01-01"):
        return None
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", value)
    if not m:
        return None
    fraction = (m.group(2) or "0")[:6].ljust(6, "0")
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(f"{m.group(1)}.{fraction}{zone}").astimezone(UTC)


ENGINE_HEALTH_LOG = 5  # the engine keeps the last five probes


@dataclass
class Probe:
    exit_code: int
    output: str
    start: str | None = None
    end: str | None = None


def health_probes(attrs: dict[str, Any], limit: int = 5) -> list[Probe]:
    """The last probes of the engine's health log (it keeps five), oldest first, output masked."""
    log = ((attrs.get("State") or {}).get("Health") or {}).get("Log") or []
    return [
        Probe(
            exit_code=int(entry.get("ExitCode", -1)),
            output=redact((entry.get("Output") or "").strip()),
            start=entry.get("Start"),
            end=entry.get("End"),
        )
        for entry in log[-limit:]
    ]


def seconds_to_healthy(attrs: dict[str, Any]) -> float | None:
    """Seconds from the container's start to the end of the probe that made it healthy.

    The healthy transition comes with the first passing probe after the last failing one
    among those the engine kept; None when the log no longer shows it (five passes kept).
    """
    started = parse_docker_time((attrs.get("State") or {}).get("StartedAt"))
    probes = health_probes(attrs, limit=ENGINE_HEALTH_LOG)
    if started is None or not probes:
        return None
    first_pass = None
    seen_failure = False
    for probe in probes:
        if probe.exit_code == 0:
            first_pass = first_pass or probe
        else:
            first_pass, seen_failure = None, True
    if not seen_failure and len(probes) >= ENGINE_HEALTH_LOG:
        return None  # the engine dropped older probes: the transition is no longer in its log
    end = parse_docker_time(first_pass.end) if first_pass else None
    return None if end is None else round(max(0.0, (end - started).total_seconds()), 2)


# --------------------------------------------------------------------------- waiting


@dataclass
class HealthOutcome:
    """What became of a container while waiting for it to turn healthy."""

    status: str  # healthy | unhealthy | none (no HEALTHCHECK) | exited | timeout
    seconds: float | None  # from container start to healthy
    probes: list[tuple[int, str]]  # last health probes: (exit code, output)
    reason: str | None = None  # one line, when not healthy
    exit_code: int | None = None
    restart_count: int = 0
    oom_killed: bool = False
    log_tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "healthy"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def wait_healthy(container: Container, timeout: float, poll: float = 0.5) -> HealthOutcome:
    """Poll until the container is healthy, unhealthy or stopped, or `timeout` seconds pass.

    A container without a HEALTHCHECK that is running gives status "none" at once.
    """
    deadline = time.monotonic() + timeout
    name = container.name
    while True:
        try:
            container.reload()
        except docker.errors.NotFound:
            return HealthOutcome(
                "exited", None, [], reason=f"container {name} was removed while starting"
            )
        attrs = container.attrs
        state = attrs.get("State") or {}
        health = state.get("Health")
        probes = [(p.exit_code, p.output) for p in health_probes(attrs)]
        restarts = int(attrs.get("RestartCount") or 0)
        if state.get("Status") in ("exited", "dead", "restarting") or (
            state.get("Status") != "created" and not state.get("Running")
        ):
            code = state.get("ExitCode")
            tail = logs_tail(container, 10)
            loop = f", restarted {restarts} time(s)" if restarts else ""
            oom = " (killed: out of memory)" if state.get("OOMKilled") else ""
            last = f"; last log line: {tail[-1]}" if tail else ""
            return HealthOutcome(
                "exited",
                None,
                probes,
                exit_code=code,
                restart_count=restarts,
                oom_killed=bool(state.get("OOMKilled")),
                log_tail=tail,
                reason=f"container {name} exited with code {code}{oom}{loop}{last}",
            )
        if health is None:
            return HealthOutcome(
                "none",
                None,
                [],
                restart_count=restarts,
                reason=f"image of {name} defines no HEALTHCHECK",
            )
        status = health.get("Status")
        if status == "healthy":
            return HealthOutcome(
                "healthy", seconds_to_healthy(attrs), probes, restart_count=restarts
            )
        if status == "unhealthy":
            return HealthOutcome(
                "unhealthy",
                None,
                probes,
                restart_count=restarts,
                log_tail=logs_tail(container, 10),
                reason=f"container {name} is unhealthy after {health.get('FailingStreak', 0)} failing probe(s)"
                f"{_last_probe(probes)}",
            )
        if time.monotonic() >= deadline:
            return HealthOutcome(
                "timeout",
                None,
                probes,
                restart_count=restarts,
                log_tail=logs_tail(container, 10),
                reason=f"container {name} still '{status}' after {timeout:g}s{_last_probe(probes)}",
            )
        time.sleep(poll)


def _last_probe(probes: list[tuple[int, str]]) -> str:
    if not probes:
        return ""
    code, output = probes[-1]
    first = output.strip().splitlines()[-1] if output.strip() else "(no output)"
    return f"; last probe exit {code}: {first[:200]}"


# --------------------------------------------------------------------------- HTTP over loopback


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 5.0) -> tuple[int | None, str]:
    """GET a loopback URL: (HTTP status, body). Connection errors give (None, reason); never raises
    for them or for 4xx/5xx. Any non-loopback host is refused with ContainerError."""
    host = urlsplit(url).hostname or ""
    if not _is_loopback(host):
        raise ContainerError(
            f"refusing to send a request to {host or url}: only loopback addresses are allowed"
        )
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with _NO_PROXY_OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace") if exc.fp else ""
        return exc.code, body
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(reason).__name__}: {reason}" if not isinstance(reason, str) else reason
