"""Read BuildKit's plain progress output (`--progress=plain`) as it streams.

Lines look like:
    #9 [web builder 5/9] RUN pip install -r /tmp/requirements.txt
    #9 CACHED            | #9 DONE 12.3s | #9 ERROR: process "..." did not complete
    #9 12.01 Collecting django==5.2.8      (output of the step, prefixed by seconds)
    #12 naming to docker.io/dockyard.local/refsite-web:latest done
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = re.compile(r"^#(?P<id>\d+) \[(?P<label>[^\]]*)\](?: (?P<command>.*))?$")
_STEP_LABEL = re.compile(r"^(?:(?P<target>\S+) )?(?P<stage>\S+)\s+(?P<index>\d+)/(?P<count>\d+)$")
_DONE = re.compile(r"^#(?P<id>\d+) DONE (?P<seconds>[\d.]+)s$")
_CACHED = re.compile(r"^#(?P<id>\d+) CACHED$")
_ERROR = re.compile(r"^#(?P<id>\d+) ERROR: (?P<message>.*)$")
_OUTPUT = re.compile(r"^#(?P<id>\d+) (?:\d+\.\d+ )?(?P<text>.*)$")
_NAMING = re.compile(r"^#\d+ naming to (?:docker\.io/)?(?P<tag>\S+)(?: [\d.]+s)?(?: done)?$")
_FAILED_SOLVE = re.compile(r"^(?:ERROR: )?failed to solve: (?P<message>.*)$")


@dataclass
class Vertex:
    id: int
    label: str
    command: str
    target: str | None = None
    stage: str | None = None
    index: int | None = None
    count: int | None = None
    cached: bool = False
    done: bool = False
    seconds: float | None = None
    error: str | None = None
    output: list[str] = field(default_factory=list)

    @property
    def is_step(self) -> bool:
        """A Dockerfile instruction (FROM/RUN/COPY...) rather than internal bookkeeping."""
        return self.stage is not None


@dataclass
class BuildLog:
    vertices: dict[int, Vertex] = field(default_factory=dict)
    named_tags: list[str] = field(default_factory=list)
    failure: str | None = None
    output_lines_kept: int = 40

    def feed(self, line: str) -> Vertex | None:
        """Take one line; returns the vertex it concerned, if any."""
        line = line.rstrip("\n")
        if m := _FAILED_SOLVE.match(line):
            self.failure = m.group("message")
            return None
        if m := _HEADER.match(line):
            vid = int(m.group("id"))
            if vid not in self.vertices:
                vertex = Vertex(id=vid, label=m.group("label"), command=m.group("command") or "")
                if step := _STEP_LABEL.match(vertex.label):
                    if step.group("stage") != "internal":
                        vertex.target = step.group("target")
                        vertex.stage = step.group("stage")
                        vertex.index = int(step.group("index"))
                        vertex.count = int(step.group("count"))
                elif vertex.label and " " not in vertex.label and vertex.label != "internal":
                    vertex.target = vertex.label  # e.g. "[web] exporting to image"
                self.vertices[vid] = vertex
                return vertex
            return self.vertices[vid]
        if m := _CACHED.match(line):
            return self._update(m, cached=True, done=True)
        if m := _DONE.match(line):
            return self._update(m, done=True, seconds=float(m.group("seconds")))
        if m := _ERROR.match(line):
            return self._update(m, error=m.group("message"))
        if m := _NAMING.match(line):
            tag = m.group("tag")
            if tag not in self.named_tags:
                self.named_tags.append(tag)
            return None
        if m := _OUTPUT.match(line):
            vertex = self.vertices.get(int(m.group("id")))
            if vertex is not None:
                vertex.output.append(m.group("text"))
                del vertex.output[: -self.output_lines_kept]
            return vertex
        return None

    def _update(self, match: re.Match[str], **changes: object) -> Vertex | None:
        vertex = self.vertices.get(int(match.group("id")))
        if vertex is not None:
            for key, value in changes.items():
                setattr(vertex, key, value)
        return vertex

    @property
    def steps(self) -> list[Vertex]:
        return [v for v in self.vertices.values() if v.is_step]

    def failed_steps(self) -> list[Vertex]:
        return [v for v in self.steps if v.error]


def step_counts(log: BuildLog, stages: set[str] | None = None) -> tuple[int, int]:
    """(cached, total) distinct Dockerfile steps, limited to `stages` when given.

    When a bake builds several targets, BuildKit may report one step under several
    vertex ids (one per target); it counts once, as cached only if it never ran.
    FROM steps are left out: they resolve an image and say nothing about the cache.
    """
    cached_by_step: dict[tuple, bool] = {}
    for vertex in log.steps:
        if stages is not None and vertex.stage not in stages:
            continue
        if vertex.command.startswith("FROM "):
            continue
        key = (vertex.stage, vertex.index, vertex.count, vertex.command)
        cached_by_step[key] = cached_by_step.get(key, True) and vertex.cached
    return sum(cached_by_step.values()), len(cached_by_step)
