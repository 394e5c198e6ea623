"""`invoke push`: the services' images, tagged with the git SHA, into the registry CapRover pulls from.

For each service the local image is `<image>:<tag>` when a build wrote that tag (`build.* --tag`),
else `<image>:latest`, which `build.*` labels with the commit it was built from: it is pushed as
`<tag>` only when that label names the same commit (a stale `latest` is refused, not mislabelled).
The image goes to the registry as `<registry>/<namespace>/<name>:<tag>` and, when
`[tool.dockyard.registry] cache_tag` is set, also as `:<cache_tag>`, the image later builds take
their cache from (`build.* --cache-from-registry`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from dockyard.build.revision import REVISION_LABEL
from dockyard.core.errors import ConfigError, DockyardError
from dockyard.core.project import Project
from dockyard.deploy.registry import Registry
from dockyard.docker import images


class PushFailed(DockyardError):
    """An image could not be pushed."""


@dataclass(frozen=True)
class PushJob:
    service: str
    source: str  # the local image
    ref: str  # registry/path:tag
    also: tuple[str, ...] = ()  # further tags of the same image (the cache tag)


@dataclass
class PushResult:
    service: str
    ref: str
    digest: str
    pushed_layers: int
    existing_layers: int
    seconds: float
    also: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PushProgress:
    """One progress message of a push: a layer's status and bytes so far."""

    service: str
    layer: str
    status: str
    current: int | None
    total: int | None


def default_services(project: Project) -> list[str]:
    """The services CapRover deploys (an image and an app): those a deploy pulls from the registry."""
    return [name for name, s in project.settings.services.items() if s.image and s.app]


def plan(project: Project, registry: Registry, services: list[str], tag: str, commit_sha: str | None) -> list[PushJob]:
    """What to push for each service, checked before anything moves.

    `commit_sha` is the full SHA `tag` stands for (None when the tag is not the current commit's):
    `<image>:latest` is used for it only when the image's revision label says that commit."""
    jobs = []
    cache_tag = project.settings.registry.cache_tag
    for name in services:
        service = project.settings.service(name)
        if not service.image:
            raise ConfigError(f"service {name} has no image in [tool.dockyard.services.{name}]: nothing to push")
        source = choose_source(service.image, tag, commit_sha)
        also = (registry.ref(service.image, cache_tag),) if cache_tag and cache_tag != tag else ()
        jobs.append(PushJob(name, source, registry.ref(service.image, tag), also))
    return jobs


def choose_source(image: str, tag: str, commit_sha: str | None) -> str:
    """`image:tag` when it exists; else `image:latest` if it was built from `commit_sha`."""
    tagged = f"{image}:{tag}"
    if images.image_exists(tagged):
        return tagged
    latest = f"{image}:latest"
    if not images.image_exists(latest):
        raise PushFailed(f"neither {tagged} nor {latest} is on this machine: build it first (invoke build.essential)")
    built_from = (images.image_attrs(latest).get("Config") or {}).get("Labels") or {}
    revision = built_from.get(REVISION_LABEL, "")
    if commit_sha is None:
        raise PushFailed(
            f"{tagged} is not on this machine: build it with `--tag {tag}`, or push the current commit's build"
        )
    if revision != commit_sha:
        said = f"was built from {revision[:12]}" if revision else "carries no commit label"
        raise PushFailed(
            f"{latest} {said}, not {commit_sha[:12]}: build it again (invoke build.essential) "
            f"before pushing it as {tag}"
        )
    return latest


def push(
    job: PushJob, on_progress: Callable[[PushProgress], None] = lambda progress: None
) -> PushResult:
    """Tag and push one image (and its extra tags); the registry's digest of it."""
    started = time.monotonic()
    for ref in (job.ref, *job.also):
        if ref != job.source:
            images.tag_image(job.source, ref)
    pushed: set[str] = set()
    existing: set[str] = set()
    digest = ""
    for ref in (job.ref, *job.also):
        for event in images.push_progress(ref):
            layer = str(event.get("id") or "")
            status = str(event.get("status") or "")
            aux = event.get("aux") or {}
            if isinstance(aux, dict) and aux.get("Digest") and ref == job.ref:
                digest = str(aux["Digest"])
            if status == "Pushed":
                pushed.add(layer)
            elif status == "Layer already exists":
                existing.add(layer)
            detail = event.get("progressDetail") or {}
            on_progress(
                PushProgress(job.service, layer, status, detail.get("current"), detail.get("total"))
            )
    return PushResult(
        service=job.service,
        ref=job.ref,
        digest=digest,
        pushed_layers=len(pushed),
        existing_layers=len(existing - pushed),
        seconds=round(time.monotonic() - started, 1),
        also=list(job.also),
    )


def push_all(
    jobs: list[PushJob], registry: Registry, on_progress: Callable[[PushProgress], None] = lambda progress: None
) -> list[PushResult]:
    """Check the registry answers (one line naming it and how to start it, if not), then push each job."""
    registry.ping()
    results = []
    for job in jobs:
        try:
            results.append(push(job, on_progress))
        except images.ImageError as exc:
            done = ", ".join(r.service for r in results)
            raise PushFailed(f"{exc}" + (f" (already pushed: {done})" if done else "")) from None
    return results


def services_built(project: Project, targets: list[str]) -> list[str]:
    """The services (with an image) whose bake target is among `targets`."""
    return [name for name, s in project.settings.services.items() if s.image and s.target in targets]


def cache_sources(project: Project, registry: Registry) -> dict[str, str]:
    """Bake target -> the registry image its cache comes from (`<cache_tag>`, which push moves)."""
    from dockyard.dockerfile.bake import scan_file

    cache_tag = project.settings.registry.cache_tag
    if not cache_tag:
        raise ConfigError("[tool.dockyard.registry] cache_tag is empty: there is no registry image to take cache from")
    known = scan_file(project.path("bake_file")).targets
    return {
        s.target: registry.ref(s.image, cache_tag)
        for s in project.settings.services.values()
        if s.target and s.image and s.target in known
    }
