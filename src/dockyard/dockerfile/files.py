"""Which files of the build context an image holds, and where: COPY/ADD semantics.

`COPY SRC... DEST` puts a file SRC at DEST (or DEST/basename when DEST is a directory: it ends
with `/`, or there are several sources) and the *contents* of a directory SRC into DEST. Later
copies win. The paths are ARG/ENV expanded as BuildKit does (the stage's scope at that line), and
a `.dockerignore` keeps files out of the context altogether.
"""

from __future__ import annotations

import glob
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dockyard.dockerfile.graph import InstructionState, StageGraph
from dockyard.dockerfile.parser import Stage
from dockyard.dockerfile.shell import resolve_dir

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_GLOB = ("*", "?", "[")
_MAX_WALK = 2000  # files looked at under one prefix: a safety net for huge contexts


@dataclass(frozen=True)
class ContextCopy:
    """One `COPY`/`ADD` from the build context (not `--from`, not a URL, not a heredoc)."""

    step: InstructionState
    sources: tuple[str, ...]  # relative to the context, expanded, normalised ("." for the root)
    destination: str  # absolute, expanded
    into_directory: bool  # DEST is a directory for every source

    @property
    def line(self) -> int:
        return self.step.instruction.line

    @property
    def chown(self) -> str | None:
        return self.step.instruction.flag("chown")

    def landed(self, source: str, relative: str = "") -> str:
        """Where `source` (or the file `relative` inside the directory `source`) ends up."""
        if relative:
            return resolve_dir(self.destination, relative)
        if self.into_directory:
            return resolve_dir(self.destination, posixpath.basename(source.rstrip("/")) or ".")
        return self.destination


def context_copies(graph: StageGraph, stage: Stage) -> list[ContextCopy]:
    """The copies from the build context in `stage`'s FROM chain, in order."""
    return [copy for step in graph.steps(stage) if (copy := context_copy(step)) is not None]


def context_copy(step: InstructionState) -> ContextCopy | None:
    instruction = step.instruction
    if instruction.cmd not in ("COPY", "ADD") or instruction.flag("from") is not None or instruction.heredocs:
        return None
    values = [step.expand(v) for v in instruction.value]
    if len(values) < 2:
        return None
    sources = tuple(_normal(s) for s in values[:-1] if "://" not in s and not s.startswith("git@"))
    if not sources:
        return None
    raw_destination = values[-1]
    destination = resolve_dir(step.workdir, raw_destination)
    into_directory = raw_destination.endswith("/") or raw_destination in (".", "./") or len(values) > 2
    return ContextCopy(step, sources, destination, into_directory)


def _normal(source: str) -> str:
    normal = posixpath.normpath(source.lstrip("/")) if source.strip("/") else "."
    return "." if normal in ("", ".") else normal


class ImageFiles:
    """The files a stage's image got from the build context at `context`."""

    def __init__(
        self,
        graph: StageGraph,
        stage: Stage,
        context: Path,
        excluded: Callable[[str], bool] | None = None,
    ) -> None:
        self.graph, self.stage, self.context = graph, stage, context
        self.copies = context_copies(graph, stage)
        self._excluded = excluded or (lambda relpath: False)

    def _matches(self, source: str) -> list[str]:
        """Context paths `source` names (globs expanded), relative to the context."""
        if any(ch in source for ch in _GLOB):
            found = sorted(glob.glob(source, root_dir=self.context))
            return [_normal(f) for f in found]
        return [source]

    def source_of(self, image_path: str) -> Path | None:
        """The context file that ends up at `image_path` (the last copy that puts one there)."""
        image_path = posixpath.normpath(image_path)
        for copy in reversed(self.copies):
            for pattern in copy.sources:
                for source in self._matches(pattern):
                    found = self._lookup(copy, source, image_path)
                    if found is not None:
                        return found
        return None

    def _lookup(self, copy: ContextCopy, source: str, image_path: str) -> Path | None:
        on_disk = self.context / source if source != "." else self.context
        if on_disk.is_dir():
            base = copy.destination
            if image_path == base or not image_path.startswith(base.rstrip("/") + "/"):
                return None
            relative = posixpath.relpath(image_path, base)
            candidate = on_disk / relative
            relpath = posixpath.normpath(posixpath.join(source, relative))
            return candidate if candidate.is_file() and not self._excluded(relpath) else None
        if copy.landed(source) == image_path and on_disk.is_file() and not self._excluded(source):
            return on_disk
        return None

    def under(self, prefix: str) -> Iterator[tuple[str, Path]]:
        """(image path, context file) for every context file that lands under `prefix`."""
        prefix = posixpath.normpath(prefix)
        seen: set[str] = set()
        walked = 0
        for copy in reversed(self.copies):
            for pattern in copy.sources:
                for source in self._matches(pattern):
                    on_disk = self.context / source if source != "." else self.context
                    if on_disk.is_file():
                        landed = copy.landed(source)
                        if _below(landed, prefix) and landed not in seen and not self._excluded(source):
                            seen.add(landed)
                            yield landed, on_disk
                        continue
                    if not on_disk.is_dir():
                        continue
                    base = copy.destination
                    if _below(prefix, base):  # only the part of the directory under the prefix
                        start = on_disk / posixpath.relpath(prefix, base) if prefix != base else on_disk
                    elif _below(base, prefix):
                        start = on_disk
                    else:
                        continue
                    if not start.is_dir():
                        continue
                    for path in sorted(start.rglob("*")):
                        walked += 1
                        if walked > _MAX_WALK:
                            return
                        if not path.is_file():
                            continue
                        relative = path.relative_to(on_disk).as_posix()
                        landed = resolve_dir(base, relative)
                        relpath = posixpath.normpath(posixpath.join(source, relative))
                        if landed not in seen and not self._excluded(relpath):
                            seen.add(landed)
                            yield landed, path

    def find_program(self, word: str, workdir: str, path_variable: str | None) -> tuple[str, Path] | None:
        """The context file a command word runs: a path (relative to WORKDIR) or a name on PATH."""
        if not word or "$" in word:
            return None
        if "/" in word:
            image_path = resolve_dir(workdir, word)
            found = self.source_of(image_path)
            return (image_path, found) if found else None
        for directory in (path_variable or DEFAULT_PATH).split(":"):
            if not directory.startswith("/"):
                continue
            image_path = posixpath.join(directory, word)
            found = self.source_of(image_path)
            if found:
                return image_path, found
        return None


def _below(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/") or "/"
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")
