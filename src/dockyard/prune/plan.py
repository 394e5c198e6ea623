"""Free disk space: `docker buildx prune` for build cache, and (opt-in) old dockyard images.

Measuring: build cache from `docker buildx du` (the builder that is pruned, any
driver), images from the Engine's `GET /system/df` (`client.df()`).

What is removed:
* build cache only, by `docker buildx prune` with the user's --all /
  --keep-storage / --filter. Build cache is never an image: the images of the
  deploy history are untouched by it;
* with --images, tags of the service repositories of [tool.dockyard.caprover.images]
  that are not protected. Protected: the images of the last two deploys of each
  service in the deploy history (the running one and the rollback target) unless
  --include-deployed, tags in `keep_tags` (default: latest), images a container
  uses, and (with --filter until=D) images newer than D. Removal untags without
  force; the Engine deletes the image when its last tag goes.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import asdict, dataclass, field

from dockyard.core.errors import ConfigError, DockyardError
from dockyard.deploy.history import Entry

DEFAULT_KEEP_TAGS = ("latest",)

# github.com/docker/go-units: HumanSize (decimal, 4 significant digits) and BytesSize (binary)
_DECIMAL = {
    "B": 1,
    "kB": 1000,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "PB": 1000**5,
}
_BINARY = {"KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4, "PiB": 1024**5}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKMGTP]?i?B)\s*\*?\s*$")
# go-units RAMInBytes, what `--keep-storage` accepts (1024-based)
_RAM = re.compile(r"^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")
# Go's time.ParseDuration, what buildx accepts for until / unused-for
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
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


class PruneFailed(DockyardError):
    """docker buildx prune (or du) exited non-zero."""


def parse_size(text: str) -> int:
    """'637.4MB' -> 637400000, '2.932kB' -> 2932, '1.50GiB' -> 1610612736, '0B' -> 0."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r}")
    number, unit = float(match.group(1)), match.group(2)
    factor = _DECIMAL.get(unit) or _BINARY.get(unit)
    if factor is None:
        raise ValueError(f"unknown size unit in {text!r}")
    return int(round(number * factor))


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
class CacheUsage:
    """The summary `docker buildx du` prints (sizes as bytes, rounded as it prints them)."""

    records: int
    reclaimable: int
    total: int
    shared: int = 0

    @property
    def private(self) -> int:
        return self.total - self.shared


def parse_du(text: str) -> CacheUsage:
    """Parse `docker buildx du` (buildx 0.10+: rows, then Shared/Private/Reclaimable/Total)."""
    summary: dict[str, int] = {}
    records = 0
    in_table = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            in_table = False
            continue
        if stripped.startswith("ID") and "RECLAIMABLE" in stripped:
            in_table = True
            continue
        key, sep, value = stripped.partition(":")
        if sep and key in ("Shared", "Private", "Reclaimable", "Total"):
            try:
                summary[key] = parse_size(value)
            except ValueError:
                raise PruneFailed(f"cannot read `docker buildx du` line {stripped!r}") from None
            in_table = False
            continue
        if in_table:
            records += 1
    if "Total" not in summary:
        raise PruneFailed(
            "`docker buildx du` printed no Total line; is buildx 0.10 or newer installed?"
        )
    return CacheUsage(
        records=records,
        reclaimable=summary.get("Reclaimable", 0),
        total=summary["Total"],
        shared=summary.get("Shared", 0),
    )


def parse_prune_total(text: str) -> int | None:
    """The `Total:` line `docker buildx prune` prints last: what it removed."""
    for line in reversed(text.splitlines()):
        key, sep, value = line.strip().partition(":")
        if sep and key == "Total":
            try:
                return parse_size(value)
            except ValueError:
                return None
    return None


def du_argv(builder: str | None = None) -> list[str]:
    return ["docker", "buildx", "du", *(["--builder", builder] if builder else [])]


def prune_argv(
    builder: str | None = None,
    all_cache: bool = False,
    keep_storage: str | None = None,
    filters: dict[str, str] | None = None,
) -> list[str]:
    """`docker buildx prune --force ...` (dockyard asks for confirmation itself)."""
    argv = ["docker", "buildx", "prune", "--force"]
    if builder:
        argv += ["--builder", builder]
    if all_cache:
        argv.append("--all")
    if keep_storage:
        parse_keep_storage(keep_storage)
        argv += ["--keep-storage", keep_storage.strip()]
    for key, value in (filters or {}).items():
        argv += ["--filter", f"{key}={value}"]
    return argv


def build_cache_usage(builder: str | None = None, runner=subprocess.run) -> CacheUsage:  # noqa: ANN001
    proc = runner(du_argv(builder), capture_output=True, text=True)
    if proc.returncode != 0:
        raise PruneFailed(f"docker buildx du failed: {_last_line(proc.stderr or proc.stdout)}")
    return parse_du(proc.stdout)


def run_prune(argv: list[str], runner=subprocess.run) -> int | None:  # noqa: ANN001
    """Run the prune; returns the bytes it says it removed (None when it printed no total)."""
    proc = runner(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise PruneFailed(f"docker buildx prune failed: {_last_line(proc.stderr or proc.stdout)}")
    return parse_prune_total(proc.stdout)


# ------------------------------------------------------------------ images


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: tuple[str, ...]
    created: float  # unix time
    size: int
    containers: int  # containers using it (-1: the Engine did not say)


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
        )
        for i in (df.get("Images") or [])
    ]
    return images, ImageUsage(count=len(images), layers_size=int(df.get("LayersSize") or 0))


def repository_of(ref: str) -> str:
    name = ref.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    repo = last.rsplit(":", 1)[0] if ":" in last else last
    return f"{head}/{repo}" if head else repo


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
    keep_tags: tuple[str, ...] = DEFAULT_KEEP_TAGS,
    older_than: float | None = None,
    now: float = 0.0,
) -> ImageSelection:
    """Which tags of `repositories` --images removes, and why every other one of them stays."""
    wanted = set(repositories)
    selection = ImageSelection()
    for image in images:
        for ref in image.tags:
            if repository_of(ref) not in wanted:
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
class Report:
    argv: list[str]
    cache_before: CacheUsage
    images_before: ImageUsage
    cache_after: CacheUsage | None = None
    images_after: ImageUsage | None = None
    reported_reclaimed: int | None = None
    removed_images: list[str] = field(default_factory=list)
    kept_images: dict[str, str] = field(default_factory=dict)
    failed_images: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("cache_before", "cache_after"):
            usage = getattr(self, key)
            if usage is not None:
                data[key]["private"] = usage.private
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


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"
