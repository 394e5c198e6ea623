"""BuildKit's progress as data: `docker buildx bake --progress=rawjson`, read as it streams.

buildx writes one JSON object per progress update (a `SolveStatus`: `vertexes`, `statuses`,
`logs`, `warnings`), pretty-printed; a failed build ends with a few plain lines (the Dockerfile
excerpt and `ERROR: failed to solve: ...`). `RawJsonReader` splits the stream into objects and
those lines; `BuildProgress` keeps every vertex (a Dockerfile step, or BuildKit's own work) by
digest, with its times, cache state, error and last output lines.

A step's vertex is named `[TARGET STAGE i/n] INSTRUCTION` (TARGET only when bake builds several
targets, STAGE absent for an unnamed stage): the name is the only place BuildKit says which
stage and step a vertex is.

`plain_lines` renders each update in BuildKit's own plain format (`#3 [web base 1/4] FROM ...`,
`#3 DONE 0.4s`) for people who pass `--progress plain`, and for the build log.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_STEP_LABEL = re.compile(r"^(?:(?P<target>\S+) )?(?P<stage>\S+)\s+(?P<index>\d+)/(?P<count>\d+)$")
_NAME = re.compile(r"^\[(?P<label>[^\]]*)\](?: (?P<command>.*))?$", re.DOTALL)
OUTPUT_LINES_KEPT = 40


def parse_time(value: str | None) -> datetime | None:
    """BuildKit's RFC 3339 timestamps (nanoseconds); None for unset."""
    if not value or value.startswith("0001-01-01"):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


class RawJsonReader:
    """Splits `--progress=rawjson` output, line by line, into JSON objects and plain text lines.

    buildx pretty-prints each object: it opens with a `{` line and closes with a `}` line, both
    unindented; whatever comes outside such a block is plain text (the failure summary).
    """

    def __init__(self) -> None:
        self._pending: list[str] = []

    def feed(self, line: str) -> Iterator[dict[str, Any] | str]:
        text = line.rstrip("\n")
        if not self._pending:
            if text == "{":
                self._pending.append(text)
            else:
                yield text
            return
        self._pending.append(text)
        if text == "}":
            block, self._pending = self._pending, []
            try:
                obj = json.loads("\n".join(block))
            except ValueError:
                yield from block
            else:
                if isinstance(obj, dict):
                    yield obj

    def close(self) -> Iterator[str]:
        """Lines of an object that never closed (a killed build)."""
        block, self._pending = self._pending, []
        yield from block


@dataclass
class Vertex:
    digest: str
    number: int  # in order of appearance, like the `#N` of BuildKit's plain output
    name: str
    label: str = ""  # "web builder 5/9", "internal", "web"
    command: str = ""  # "RUN pip install ...", "exporting to image"
    target: str | None = None
    stage: str | None = None
    index: int | None = None
    count: int | None = None
    started: datetime | None = None
    completed: datetime | None = None
    cached: bool = False
    error: str | None = None
    output: list[str] = field(default_factory=list)
    _partial: dict[int, str] = field(default_factory=dict, repr=False)
    _reported: bool = field(default=False, repr=False)  # its DONE/CACHED/ERROR line was given

    @property
    def is_step(self) -> bool:
        """A Dockerfile instruction (FROM/RUN/COPY...) rather than BuildKit's own bookkeeping."""
        return self.stage is not None

    @property
    def done(self) -> bool:
        return self.completed is not None

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.completed is None:
            return None
        return max(0.0, (self.completed - self.started).total_seconds())


def _named(vertex: Vertex, name: str) -> None:
    vertex.name = name
    match = _NAME.match(name)
    if match is None:  # e.g. "exporting to image" when bake builds one target
        vertex.label, vertex.command = "", name
        return
    vertex.label, vertex.command = match.group("label"), match.group("command") or ""
    step = _STEP_LABEL.match(vertex.label)
    if step and step.group("stage") != "internal":
        vertex.target = step.group("target")
        vertex.stage = step.group("stage")
        vertex.index, vertex.count = int(step.group("index")), int(step.group("count"))
    elif vertex.label and " " not in vertex.label and vertex.label != "internal":
        vertex.target = vertex.label  # "[web] exporting to image"
    elif vertex.label.endswith(" internal"):
        vertex.target = vertex.label.split(" ", 1)[0]  # "[web internal] load build definition"


@dataclass
class Update:
    """One change the stream brought: the vertex it is about, and the change in plain format."""

    progress: BuildProgress
    vertex: Vertex | None
    lines: list[str]


@dataclass
class BuildProgress:
    vertices: dict[str, Vertex] = field(default_factory=dict)  # by digest
    failure: str | None = None  # buildx's closing `ERROR: ...` line, without the prefix
    trailing: list[str] = field(default_factory=list)  # plain lines after the progress
    output_lines_kept: int = OUTPUT_LINES_KEPT

    def apply(self, item: dict[str, Any] | str) -> list[Update]:
        """Take one item of `RawJsonReader`; returns what changed, in stream order."""
        if isinstance(item, str):
            return self._text(item)
        updates: list[Update] = []
        for spec in item.get("vertexes") or []:
            updates += self._vertex(spec)
        for log in item.get("logs") or []:
            updates += self._log(log)
        return updates

    def _text(self, line: str) -> list[Update]:
        if not line.strip():
            return []
        self.trailing.append(line)
        if line.startswith("ERROR: "):
            self.failure = line.removeprefix("ERROR: ").strip()
        return [Update(self, None, [line])]

    def _vertex(self, spec: dict[str, Any]) -> list[Update]:
        digest = str(spec.get("digest") or "")
        if not digest:
            return []
        vertex = self.vertices.get(digest)
        lines: list[str] = []
        if vertex is None:
            vertex = Vertex(digest=digest, number=len(self.vertices) + 1, name="")
            _named(vertex, str(spec.get("name") or ""))
            self.vertices[digest] = vertex
            lines.append(f"#{vertex.number} {vertex.name}")
        started = parse_time(spec.get("started"))
        if started is not None and started != vertex.started:
            vertex.started, vertex.completed = started, None  # a vertex may run again (another target)
        completed = parse_time(spec.get("completed"))
        if spec.get("cached") and not vertex.cached:
            vertex.cached = True
        if spec.get("error") and vertex.error is None:
            vertex.error = str(spec["error"])
        if completed is not None and vertex.completed is None:
            vertex.completed = completed
        if vertex.completed is not None and not vertex._reported:
            vertex._reported = True
            if vertex.error:
                lines.append(f"#{vertex.number} ERROR: {vertex.error}")
            elif vertex.cached:
                lines.append(f"#{vertex.number} CACHED")
            else:
                lines.append(f"#{vertex.number} DONE {vertex.seconds or 0:.1f}s")
        return [Update(self, vertex, lines)]

    def _log(self, log: dict[str, Any]) -> list[Update]:
        vertex = self.vertices.get(str(log.get("vertex") or ""))
        if vertex is None:
            return []
        try:
            data = base64.b64decode(log.get("data") or "").decode("utf-8", "replace")
        except ValueError:
            return []
        stream = int(log.get("stream") or 1)
        text = vertex._partial.pop(stream, "") + data
        *complete, rest = text.split("\n")
        if rest:
            vertex._partial[stream] = rest
        at = parse_time(log.get("timestamp"))
        offset = (at - vertex.started).total_seconds() if at and vertex.started else None
        prefix = f"#{vertex.number} " + (f"{offset:.3f} " if offset is not None else "")
        lines = [line.rstrip("\r") for line in complete]
        vertex.output.extend(lines)
        del vertex.output[: -self.output_lines_kept]
        return [Update(self, vertex, [prefix + line for line in lines])]

    # ----------------------------------------------------------------- reading

    @property
    def steps(self) -> list[Vertex]:
        return [v for v in self.vertices.values() if v.is_step]

    def failed_steps(self) -> list[Vertex]:
        return [v for v in self.steps if v.error]

    def export_completed(self, target: str, only_target: bool) -> datetime | None:
        """When `target`'s image was written (its `exporting to image` vertex completed)."""
        for vertex in self.vertices.values():
            if not vertex.command.startswith("exporting to image"):
                continue
            if vertex.target == target or (only_target and vertex.target is None):
                return vertex.completed
        return None

    def started_at(self) -> datetime | None:
        times = [v.started for v in self.vertices.values() if v.started is not None]
        return min(times) if times else None


def step_counts(progress: BuildProgress, stages: set[str] | None = None) -> tuple[int, int]:
    """(cached, total) distinct Dockerfile steps, limited to `stages` when given.

    When a bake builds several targets, BuildKit reports one step under several vertices (one per
    target); it counts once, as cached only if it never ran. A vertex that was announced but never
    started is one BuildKit did not need (another target's identical vertex gave its result): it
    says nothing about the cache. FROM steps are left out: they resolve an image.
    """
    cached_by_step: dict[tuple, bool] = {}
    for vertex in progress.steps:
        if stages is not None and vertex.stage not in stages:
            continue
        if vertex.command.startswith("FROM "):
            continue
        if vertex.started is None and vertex.completed is None and not vertex.cached and not vertex.error:
            continue
        key = (vertex.stage, vertex.index, vertex.count, vertex.command)
        cached_by_step[key] = cached_by_step.get(key, True) and vertex.cached
    return sum(cached_by_step.values()), len(cached_by_step)
