"""What dockyard runs made on the engine, found by their labels: one list call per kind, and removal.

Containers, networks and volumes carry the run's labels (dockyard.core.run); image tags are
named in the runs' records instead (dockyard.core.run_record), so they are removed by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dockyard.core.errors import DockyardError
from dockyard.core.run import RUN_LABEL
from dockyard.docker.client import ENGINE_ERRORS, APIError, ImageNotFound, NotFound, client, explain

KINDS = ("container", "network", "volume")


@dataclass(frozen=True)
class Labelled:
    kind: str  # container | network | volume
    id: str
    name: str
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


class RemovalRefused(DockyardError):
    """The engine refused to remove something (a network still in use, an image a container uses)."""


def list_labelled(label: str = RUN_LABEL) -> list[Labelled]:
    """Every container (stopped ones too), network and volume with `label`: three list calls, no inspects."""
    try:
        return _list_labelled(label)
    except ENGINE_ERRORS as exc:
        raise DockyardError(f"cannot list what dockyard runs made: {explain(exc)}") from None


def _list_labelled(label: str) -> list[Labelled]:
    api = client().api
    found = [
        Labelled("container", c["Id"], (c.get("Names") or [c["Id"][:12]])[0].lstrip("/"), c.get("Labels") or {})
        for c in api.containers(all=True, filters={"label": label})
    ]
    found += [
        Labelled("network", n["Id"], n.get("Name", n["Id"][:12]), n.get("Labels") or {})
        for n in api.networks(filters={"label": label})
    ]
    found += [
        Labelled("volume", v["Name"], v["Name"], v.get("Labels") or {})
        for v in api.volumes(filters={"label": label}).get("Volumes") or []
    ]
    return found


def remove(item: Labelled) -> bool:
    """Force-remove one (a container with its anonymous volumes); False when it was already gone.
    RemovalRefused when the engine refuses (e.g. a network something else still uses)."""
    api = client().api
    try:
        if item.kind == "container":
            api.remove_container(item.id, force=True, v=True)
        elif item.kind == "network":
            api.remove_network(item.id)
        elif item.kind == "volume":
            api.remove_volume(item.id, force=True)
        else:
            raise ValueError(f"unknown kind {item.kind!r}")
    except NotFound:
        return False
    except APIError as exc:
        if item.kind == "container" and exc.status_code == 409:  # its removal is already in progress
            return False
        raise RemovalRefused(f"{item.kind} {item.name}: {explain(exc)}") from None
    return True


def remove_tag(ref: str) -> bool:
    """Untag `ref` (the image goes with its last tag; never forced); False when it was already gone.
    RemovalRefused when the engine refuses (e.g. a container still uses the image)."""
    try:
        client().images.remove(ref, noprune=False)
    except (ImageNotFound, NotFound):
        return False
    except APIError as exc:
        raise RemovalRefused(f"image tag {ref}: {explain(exc)}") from None
    return True
