"""What `invoke prune` removes and keeps, decided from data (pure functions; dockyard.prune.run acts).

Measuring: the build cache from the Engine's build-cache records (`GET /system/df`, what
`docker buildx du` lists for the default builder), images from the same `df`.

What is removed:
* build cache only, by the Engine's `POST /build/prune` (`docker buildx prune --force`) with
  the user's --all / --keep-storage / --filter. Build cache is never an image: the images of
  the deploy history are untouched by it;
* with --dangling, dangling images (`<none>:<none>`) that nothing uses: no container uses them,
  no other image is built on them, and with --filter until=D they are older than D. The plan
  always counts them;
* with --images, tags of the services' image repositories ([tool.dockyard.services]) that are
  not protected. Protected: the images of the last two deploys of each service in the deploy
  history (the running one and the rollback target) unless --include-deployed, tags in
  `keep_tags` (default: latest), images a container uses, and (with --filter until=D) images
  newer than D. Removal untags without force; the Engine deletes the image when its last tag goes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from dockyard.build.cache import CacheUsage
from dockyard.core.errors import ConfigError
from dockyard.core.imageref import parse_ref
from dockyard.deploy.history import Entry

# go-units RAMInBytes, what `--keep-storage` accepts (1024-based)
_RAM = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")
# Go's time.ParseDuration, what the Engine accepts for until / unused-for
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
MAX_DURATION_SECONDS = (2**63 - 1) / 1e9  # Go's time.Duration: int64 nanoseconds
_DURATION_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1,
    "m": 60,
    "h": 3600,
}


def parse_keep_storage(text: str) -> int:
    """Validate --keep-storage the way buildx reads it: '10GB' -> 10 GiB, '512m' -> 512 MiB."""
    match = _RAM.match(text.strip())
    if not match:
        raise ConfigError(f"--keep-storage {text!r} is not a size (e.g. 10GB, 512MB)")
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}
    return int(float(match.group(1)) * factor[(match.group(2) or "").lower()])


def parse_duration(text: str) -> float:
    """Go duration -> seconds: '24h' -> 86400, '1h30m' -> 5400. Raises ConfigError."""
    text = text.strip()
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_SECONDS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise ConfigError(f"{text!r} is not a duration (e.g. 24h, 90m, 1h30m)")
    if not total <= MAX_DURATION_SECONDS:  # also inf: "9" * 400 + "h" parses as a float
        raise ConfigError(f"{text!r} is longer than the longest duration buildx takes (about 292 years)")
    return total


def parse_filters(values: list[str]) -> dict[str, str]:
    """`["until=24h", "type=regular"]` -> dict, by buildx's rules: KEY=VALUE, one value a key."""
    filters: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        key, val = key.strip(), val.strip()
        if not sep or not key or not val:
            raise ConfigError(f"--filter {value!r} must be KEY=VALUE (e.g. until=24h)")
        if key in filters:
            raise ConfigError(
                f"--filter {key}= given twice; docker buildx prune takes one value per key"
            )
        if key in ("until", "unused-for"):
            parse_duration(val)
        filters[key] = val
    if "until" in filters and "unused-for" in filters:
        raise ConfigError("--filter until= and unused-for= are the same filter; give one")
    return filters


@dataclass(frozen=True)
class CachePrune:
    """One prune of the build cache: what is asked of the Engine."""

    all_cache: bool = False
    keep_storage: int | None = None  # bytes
    keep_storage_text: str | None = None  # as the user gave it
    filters: dict[str, str] = field(default_factory=dict)

    def command(self) -> list[str]:
        """The same prune as a docker CLI command, for people (`docker buildx prune --force ...`)."""
        argv = ["docker", "buildx", "prune", "--force"]
        if self.all_cache:
            argv.append("--all")
        if self.keep_storage_text:
            argv += ["--keep-storage", self.keep_storage_text]
        for key, value in self.filters.items():
            argv += ["--filter", f"{key}={value}"]
        return argv

    def describe(self) -> str:
        what = "ALL unused build cache" if self.all_cache else "dangling build cache"
        if self.filters:
            what += " matching " + ", ".join(f"{k}={v}" for k, v in self.filters.items())
        return what


def cache_prune(
    all_cache: bool = False, keep_storage: str | None = None, filters: list[str] | None = None
) -> CachePrune:
    """The user's --all / --keep-storage / --filter, checked."""
    text = keep_storage.strip() if keep_storage else None
    return CachePrune(
        all_cache=all_cache,
        keep_storage=parse_keep_storage(text) if text else None,
        keep_storage_text=text,
        filters=parse_filters(list(filters or [])),
    )


# ------------------------------------------------------------------ images


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: tuple[str, ...]
    created: float  # unix time
    size: int
    containers: int  # containers using it (-1: the Engine did not say)
    parent: str = ""  # the image it was built on (classic builder only; BuildKit leaves it empty)
    shared_size: int = 0  # bytes of its layers that other images use too
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def dangling(self) -> bool:
        """`<none>:<none>`: no tag names it any more (a rebuild moved the tag, a tag was removed)."""
        return not self.tags

    @property
    def own_size(self) -> int:
        """What removing it frees: its layers that no other image uses."""
        return max(0, self.size - self.shared_size)


@dataclass(frozen=True)
class ImageUsage:
    count: int
    layers_size: int  # bytes the image layers take on disk (shared layers once)


@dataclass
class ImageSelection:
    remove: list[str] = field(default_factory=list)
    keep: dict[str, str] = field(default_factory=dict)  # ref -> why


def images_from_df(df: dict) -> tuple[list[ImageInfo], ImageUsage]:
    images = [
        ImageInfo(
            id=str(i.get("Id", "")),
            tags=tuple(t for t in (i.get("RepoTags") or []) if t != "<none>:<none>"),
            created=float(i.get("Created") or 0),
            size=int(i.get("Size") or 0),
            containers=_int(i.get("Containers"), default=-1),
            parent=str(i.get("ParentId") or ""),
            shared_size=max(0, _int(i.get("SharedSize"), default=0)),
            labels=dict(i.get("Labels") or {}),
        )
        for i in (df.get("Images") or [])
    ]
    return images, ImageUsage(count=len(images), layers_size=int(df.get("LayersSize") or 0))


def protected_images(entries: list[Entry], per_service: int = 2) -> dict[str, str]:
    """Images named by the last `per_service` deploys (and successful deploys) of each service."""
    protected: dict[str, str] = {}
    services = dict.fromkeys(e.service for e in entries)
    for service in services:
        mine = [e for e in entries if e.service == service]
        latest_ok: list[Entry] = []
        for entry in reversed(mine):
            if entry.ok and all(entry.image != e.image for e in latest_ok):
                latest_ok.append(entry)
            if len(latest_ok) == per_service:
                break
        for entry in latest_ok + mine[-per_service:]:
            protected.setdefault(
                entry.image, f"named by a recent {service} deploy ({entry.sha[:12]})"
            )
    return protected


def select_images(
    images: list[ImageInfo],
    repositories: list[str],
    protected: dict[str, str],
    keep_tags: tuple[str, ...] = ("latest",),
    older_than: float | None = None,
    now: float = 0.0,
) -> ImageSelection:
    """Which tags of `repositories` --images removes, and why every other one of them stays."""
    wanted = set(repositories)
    selection = ImageSelection()
    for image in images:
        for ref in image.tags:
            if parse_ref(ref).repository not in wanted:
                continue
            tag = ref.rsplit(":", 1)[-1]
            if ref in protected:
                selection.keep[ref] = protected[ref]
            elif tag in keep_tags:
                selection.keep[ref] = f"tag {tag} is kept (keep_tags)"
            elif image.containers != 0:
                selection.keep[ref] = (
                    "used by a container" if image.containers > 0 else "container use unknown"
                )
            elif older_than is not None and image.created > now - older_than:
                selection.keep[ref] = "newer than the until filter"
            else:
                selection.remove.append(ref)
    return selection


@dataclass
class DanglingSelection:
    """Dangling images: those nothing uses go (with --dangling); the others stay, with why."""

    found: list[ImageInfo] = field(default_factory=list)
    remove: list[ImageInfo] = field(default_factory=list)
    keep: dict[str, str] = field(default_factory=dict)  # image id -> why

    @property
    def size(self) -> int:
        return sum(i.own_size for i in self.found)

    @property
    def removable_size(self) -> int:
        return sum(i.own_size for i in self.remove)

    def to_dict(self) -> dict:
        return {
            "count": len(self.found),
            "bytes": self.size,
            "unused": [i.id for i in self.remove],
            "unused_bytes": self.removable_size,
            "kept": self.keep,
        }


def select_dangling(
    images: list[ImageInfo],
    older_than: float | None = None,
    now: float = 0.0,
    label: str | None = None,
) -> DanglingSelection:
    """Which dangling images nothing uses: no container (running or not) uses them, no other
    image is built on them, and (with --filter until=D) they are older than D. `label` (KEY or
    KEY=VALUE) limits the selection to images with that label."""
    parents = {i.parent for i in images if i.parent}
    selection = DanglingSelection()
    for image in images:
        if not image.dangling or (label is not None and not _has_label(image.labels, label)):
            continue
        selection.found.append(image)
        if image.containers != 0:
            selection.keep[image.id] = "used by a container" if image.containers > 0 else "container use unknown"
        elif image.id in parents:
            selection.keep[image.id] = "another image is built on it"
        elif older_than is not None and image.created > now - older_than:
            selection.keep[image.id] = "newer than the until filter"
        else:
            selection.remove.append(image)
    return selection


def _has_label(labels: dict[str, str], wanted: str) -> bool:
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)


@dataclass
class Report:
    command: list[str]  # the prune as a docker CLI command would say it
    cache_before: CacheUsage
    images_before: ImageUsage
    cache_after: CacheUsage | None = None
    images_after: ImageUsage | None = None
    reclaimed: int | None = None  # bytes the Engine says the prune freed
    removed_images: list[str] = field(default_factory=list)
    kept_images: dict[str, str] = field(default_factory=dict)
    failed_images: dict[str, str] = field(default_factory=dict)
    dangling: DanglingSelection = field(default_factory=DanglingSelection)
    removed_dangling: list[str] = field(default_factory=list)  # image ids
    failed_dangling: dict[str, str] = field(default_factory=dict)  # image id -> why the engine kept it

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("cache_before", "cache_after"):
            usage = getattr(self, key)
            if usage is not None:
                data[key]["private"] = usage.private
        data["dangling"] = self.dangling.to_dict()
        data["freed_build_cache"] = self.freed_cache
        data["freed_image_layers"] = self.freed_images
        return data

    @property
    def freed_cache(self) -> int | None:
        return (
            None
            if self.cache_after is None
            else max(0, self.cache_before.total - self.cache_after.total)
        )

    @property
    def freed_images(self) -> int | None:
        if self.images_after is None:
            return None
        return max(0, self.images_before.layers_size - self.images_after.layers_size)


def _int(value: object, default: int) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
