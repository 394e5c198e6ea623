"""Docker Swarm through the Engine API: the node's swarm, overlay networks, services and their updates.

What the local stage (dockyard.stage) needs, and nothing else. The facts it relies on were measured
on Engine 26.1 (docs/stage.md): the ingress routing mesh needs IPVS, which this kernel lacks, so
services use endpoint mode `dnsrr` and reach each other by name on an attachable overlay network;
`UpdateStatus` tells how an update went (`updating`, `completed`, `rollback_started`,
`rollback_completed`, `paused`, `rollback_paused`), and the status of an earlier update stays
until Swarm starts the next one, so a caller compares `StartedAt`.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import docker.types

from dockyard.core.errors import DockyardError
from dockyard.docker.client import APIError, NotFound, client, explain

SECOND = 1_000_000_000  # the Engine counts durations in nanoseconds
SERVICE_LABEL = "com.docker.swarm.service.name"  # the label Swarm puts on a task's container
GWBRIDGE = "docker_gwbridge"  # the bridge `swarm init` creates and `swarm leave` keeps
FINAL_STATES = frozenset({"completed", "rollback_completed", "paused", "rollback_paused"})


class SwarmError(DockyardError):
    """The Engine refused a Swarm operation."""


# --------------------------------------------------------------------------- the node


def node_state() -> str:
    """`inactive`, `pending`, `active`, `error` or `locked` (`docker info` Swarm.LocalNodeState)."""
    return str((client().info().get("Swarm") or {}).get("LocalNodeState") or "inactive")


def init(advertise: str = "127.0.0.1") -> None:
    """`docker swarm init --advertise-addr 127.0.0.1`, the manager port on loopback only."""
    try:
        client().swarm.init(advertise_addr=advertise, listen_addr=f"{advertise}:2377")
    except APIError as exc:
        raise SwarmError(f"docker swarm init failed: {explain(exc)}") from None


def leave() -> None:
    """`docker swarm leave --force`, then remove docker_gwbridge when nothing uses it any more."""
    try:
        client().swarm.leave(force=True)
    except APIError as exc:
        raise SwarmError(f"docker swarm leave failed: {explain(exc)}") from None
    with contextlib.suppress(NotFound, APIError):
        bridge = client().networks.get(GWBRIDGE)
        if not (bridge.attrs.get("Containers") or {}):
            bridge.remove()


# --------------------------------------------------------------------------- networks


def create_overlay(name: str, labels: dict[str, str]) -> str:
    """An attachable overlay network (plain containers can join it); its id."""
    try:
        return str(client().networks.create(name, driver="overlay", attachable=True, labels=labels).id)
    except APIError as exc:
        raise SwarmError(f"cannot create the overlay network {name}: {explain(exc)}") from None


def remove_networks(label: str) -> list[str]:
    removed = []
    for network in client().networks.list(filters={"label": label}):
        with contextlib.suppress(NotFound):
            try:
                network.remove()
            except APIError as exc:
                raise SwarmError(f"cannot remove network {network.name}: {explain(exc)}") from None
            removed.append(str(network.name))
    return removed


# --------------------------------------------------------------------------- services


@dataclass(frozen=True)
class UpdatePolicy:
    """Swarm's UpdateConfig (and, with the same values, its RollbackConfig)."""

    order: str = "start-first"  # or stop-first
    failure_action: str = "rollback"
    monitor: float = 15.0  # seconds
    max_failure_ratio: float = 0.0
    parallelism: int = 1
    delay: float = 0.0


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    image: str
    network: str
    aliases: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    command: list[str] | None = None  # replaces the image's CMD (Swarm's `args`)
    replicas: int = 1
    labels: dict[str, str] = field(default_factory=dict)
    update: UpdatePolicy = field(default_factory=UpdatePolicy)
    rollback_failure_action: str = "pause"
    # health timings that override the image's (its test is kept); seconds, None: the image's
    health_interval: float | None = None
    health_timeout: float | None = None
    health_start_period: float | None = None
    health_start_interval: float | None = None
    health_retries: int | None = None
    stop_grace_period: float | None = None


def _ns(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * SECOND)


def healthcheck_override(spec: ServiceSpec) -> dict[str, int] | None:
    """The HealthConfig Swarm gets: timings only, no Test, so the image's own test is kept."""
    values = {
        "Interval": _ns(spec.health_interval),
        "Timeout": _ns(spec.health_timeout),
        "StartPeriod": _ns(spec.health_start_period),
        "StartInterval": _ns(spec.health_start_interval),
        "Retries": spec.health_retries,
    }
    chosen = {k: v for k, v in values.items() if v is not None}
    return chosen or None


def _update_config(policy: UpdatePolicy, failure_action: str) -> docker.types.UpdateConfig:
    return docker.types.UpdateConfig(
        parallelism=policy.parallelism,
        delay=_ns(policy.delay),
        failure_action=failure_action,
        monitor=_ns(policy.monitor),
        max_failure_ratio=policy.max_failure_ratio,
        order=policy.order,
    )


def create_service(spec: ServiceSpec) -> str:
    """Create a replicated service (endpoint mode dnsrr); its id."""
    kwargs: dict[str, Any] = {
        "name": spec.name,
        "env": [f"{k}={v}" for k, v in spec.env.items()],
        "labels": spec.labels,
        "container_labels": spec.labels,
        "networks": [docker.types.NetworkAttachmentConfig(target=spec.network, aliases=list(spec.aliases))],
        "endpoint_spec": docker.types.EndpointSpec(mode="dnsrr"),
        "mode": docker.types.ServiceMode("replicated", replicas=spec.replicas),
        "update_config": _update_config(spec.update, spec.update.failure_action),
        "rollback_config": docker.types.RollbackConfig(
            parallelism=spec.update.parallelism,
            delay=_ns(spec.update.delay),
            failure_action=spec.rollback_failure_action,
            monitor=_ns(spec.update.monitor),
            max_failure_ratio=spec.update.max_failure_ratio,
            order=spec.update.order,
        ),
    }
    if spec.command is not None:
        kwargs["args"] = list(spec.command)
    health = healthcheck_override(spec)
    if health:
        kwargs["healthcheck"] = health
    if spec.stop_grace_period is not None:
        kwargs["stop_grace_period"] = _ns(spec.stop_grace_period)
    try:
        return str(client().services.create(spec.image, **kwargs).id)
    except APIError as exc:
        raise SwarmError(f"cannot create service {spec.name}: {explain(exc)}") from None


def services(label: str) -> list[Any]:
    """The services carrying `label` (KEY or KEY=VALUE)."""
    if node_state() != "active":
        return []
    return list(client().services.list(filters={"label": label}))


def get_service(name: str) -> Any:
    try:
        return client().services.get(name)
    except NotFound:
        raise SwarmError(f"no Swarm service {name} (is the stage up? invoke stage.up)") from None
    except APIError as exc:
        raise SwarmError(f"cannot read service {name}: {explain(exc)}") from None


def remove_service(name: str) -> None:
    with contextlib.suppress(NotFound):
        try:
            client().services.get(name).remove()
        except APIError as exc:
            raise SwarmError(f"cannot remove service {name}: {explain(exc)}") from None


def scale(name: str, replicas: int) -> None:
    try:
        get_service(name).scale(replicas)
    except APIError as exc:
        raise SwarmError(f"cannot scale {name} to {replicas}: {explain(exc)}") from None


def image_of(name: str) -> str:
    """The image reference a service's spec runs now (as given, a digest pin included)."""
    service = get_service(name)
    return str(service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"])


@dataclass(frozen=True)
class UpdateStatus:
    state: str | None  # None: no update has happened (or it changed nothing)
    started_at: str | None
    message: str


def update_status(name: str) -> UpdateStatus:
    status = get_service(name).attrs.get("UpdateStatus") or {}
    return UpdateStatus(status.get("State"), status.get("StartedAt"), str(status.get("Message") or ""))


def update_image(name: str, image: str) -> None:
    """Move the service to `image`, keeping the rest of its spec (what CapRover's deploy does)."""
    try:
        get_service(name).update(image=image)
    except APIError as exc:
        raise SwarmError(f"cannot update {name} to {image}: {explain(exc)}") from None


def running_tasks(name: str) -> list[dict[str, Any]]:
    """The service's tasks that should run, with their state and image."""
    try:
        tasks = get_service(name).tasks(filters={"desired-state": "running"})
    except APIError as exc:
        raise SwarmError(f"cannot list the tasks of {name}: {explain(exc)}") from None
    return [
        {
            "id": t.get("ID", "")[:12],
            "state": (t.get("Status") or {}).get("State", ""),
            "image": ((t.get("Spec") or {}).get("ContainerSpec") or {}).get("Image", ""),
            "error": (t.get("Status") or {}).get("Err", ""),
        }
        for t in tasks
    ]


def task_containers(name: str) -> list[Any]:
    """The running containers of a service's tasks on this node."""
    # ignore_removed: Swarm removes a task's container between the list call and its inspect
    return list(client().containers.list(filters={"label": f"{SERVICE_LABEL}={name}"}, ignore_removed=True))


def all_task_containers(name: str) -> list[Any]:
    """Every container of a service's tasks on this node, the exited ones of earlier tasks too
    (Swarm keeps a few per slot until the service is removed), oldest first."""
    try:
        found = client().containers.list(all=True, filters={"label": f"{SERVICE_LABEL}={name}"}, ignore_removed=True)
    except APIError as exc:
        raise SwarmError(f"cannot list the containers of {name}: {explain(exc)}") from None
    return sorted(found, key=lambda c: c.attrs.get("Created", ""))


def wait_containers_gone(names: list[str], timeout: float) -> bool:
    """After removing services: wait until no container of theirs is left (their network can go then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # sparse: no inspect per container, which fails (404) once Swarm has removed it
        left = [
            c
            for n in names
            for c in client().containers.list(all=True, sparse=True, filters={"label": f"{SERVICE_LABEL}={n}"})
        ]
        if not left:
            return True
        time.sleep(0.5)
    return False
