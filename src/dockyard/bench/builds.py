"""Build measurements: a cold build, a warm one, and warm rebuilds after one-file changes.

Every build runs `docker buildx bake` (through `dockyard.build.runner.run_build`) on an export of the
tracked files, under a tag unique to the run, so the developer's tree and images are untouched.
A cold build passes `--no-cache`: the layer cache is ignored, not pruned, so nobody else's warm
builds suffer. `--no-cache` leaves BuildKit's cache mounts (pip's and npm's download caches) as they
are; to start them empty too, the bench passes the bake variable CACHE_SALT, which the Dockerfile
puts in the mounts' ids (`id=pip-${CACHE_SALT}`): a new value names new, empty mounts, and
nobody else's mounts are touched or wiped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.bench.edits import Edit, applied
from dockyard.build.progress import Update
from dockyard.build.runner import BuildRequest, BuildResult, run_build
from dockyard.core.project import Project

OnUpdate = Callable[[Update], None]


def cached_percent(cached: int, total: int) -> float | None:
    """Share of the build's steps that came from the cache, in percent (None for an empty build)."""
    return round(100.0 * cached / total, 1) if total else None


def steps_text(result: BuildResult) -> str:
    """e.g. "22/24 steps cached" (FROM steps not counted)."""
    return f"{result.cached_steps}/{result.total_steps} steps cached"


@dataclass
class Builder:
    """Runs bakes of one export under one tag."""

    project: Project
    root: Path  # the export
    tag: str
    progress: Callable[[], Any]  # a context manager factory yielding an OnUpdate callback
    log: Callable[[str], None]

    def bake(self, names: list[str], no_cache: bool = False, variables: dict[str, str] | None = None) -> BuildResult:
        request = BuildRequest(
            names=names,
            no_cache=no_cache,
            context_root=self.root,
            variables={**(variables or {}), "TAG": self.tag},
            owned=True,
        )
        with self.progress() as on_update:
            return run_build(self.project, request, on_update=on_update, log=self.log)

    def bake_with_edit(self, names: list[str], edit: Edit, marker: str) -> BuildResult:
        """Bake with one file changed; the file is restored afterwards, so the next edit
        starts from the same cached state."""
        with applied(self.root, edit, marker):
            return self.bake(names)
