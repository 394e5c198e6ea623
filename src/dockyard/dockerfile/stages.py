"""Which stages of a multi-stage Dockerfile a target stage is built from.

Built on the same BuildKit-grammar parser and stage graph as `invoke lint`, so the
build report and the linter never disagree about the stage graph.
"""

from __future__ import annotations

from pathlib import Path

from dockyard.dockerfile.graph import StageGraph
from dockyard.dockerfile.parser import parse_dockerfile_text


def parse_stages(dockerfile_text: str, path: Path = Path("Dockerfile")) -> StageGraph:
    """The stage graph of a Dockerfile (raises ConfigError with file:line when it does not parse)."""
    return StageGraph(parse_dockerfile_text(dockerfile_text, path))


def stage_names(graph: StageGraph) -> list[str]:
    """Stage labels in file order (unnamed stages by index)."""
    return [stage.label for stage in graph.dockerfile.stages]


def stage_closure(graph: StageGraph, target: str) -> set[str]:
    """`target` and every stage it is built from (FROM chain, COPY --from, RUN --mount from=)."""
    start = graph.dockerfile.stage(target)
    if start is None:
        return set()
    seen: set[str] = set()
    todo = [start]
    while todo:
        stage = todo.pop()
        if stage.label in seen:
            continue
        seen.add(stage.label)
        parent = graph.parent(stage)
        if parent is not None:
            todo.append(parent)
        todo.extend(edge.source_stage for edge in graph.copy_edges(stage) if edge.source_stage is not None)
    return seen
