"""The build cache, summed up the way `docker buildx du` sums it, from the Engine's records.

One source for every figure dockyard shows about the cache (`invoke prune`, `troubleshoot.build`):
the build-cache records of `GET /system/df` (dockyard.docker.buildx.cache_records).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockyard.docker import buildx


@dataclass(frozen=True)
class CacheUsage:
    """The build cache as `docker buildx du` sums it up: records, and bytes in total, reclaimable
    (not in use) and shared with images."""

    records: int
    reclaimable: int
    total: int
    shared: int = 0

    @property
    def private(self) -> int:
        return self.total - self.shared

    @classmethod
    def from_records(cls, records: list[dict[str, Any]]) -> CacheUsage:
        """From the Engine's build-cache records (`GET /system/df`, key BuildCache)."""
        sizes = [(int(r.get("Size") or 0), bool(r.get("InUse")), bool(r.get("Shared"))) for r in records]
        return cls(
            records=len(sizes),
            reclaimable=sum(size for size, in_use, _ in sizes if not in_use),
            total=sum(size for size, _, _ in sizes),
            shared=sum(size for size, _, shared in sizes if shared),
        )


def cache_usage() -> CacheUsage:
    """The engine's build cache now."""
    return CacheUsage.from_records(buildx.cache_records())
