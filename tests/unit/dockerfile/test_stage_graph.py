"""The stage graph: which stages a target is built from, and stage cycles."""

from pathlib import Path

from dockyard.dockerfile.graph import StageGraph, find_cycle, stage_closure, stage_names
from dockyard.dockerfile.parser import parse_dockerfile_text

DOCKERFILE = """\
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE} AS base
RUN echo base
FROM base AS builder
RUN --mount=type=cache,target=/root/.cache \\
    pip install x
FROM base AS runtime-full
COPY --from=builder /opt/venv /opt/venv
FROM base AS runtime-minimal
RUN --mount=type=bind,from=builder,source=/x,target=/y true
FROM runtime-full AS celery-unified
# COPY --from=nothing is a comment
FROM builder AS test
"""


def graph(text: str = DOCKERFILE) -> StageGraph:
    return StageGraph(parse_dockerfile_text(text, Path("Dockerfile")))


def test_stages_in_file_order():
    assert stage_names(graph()) == ["base", "builder", "runtime-full", "runtime-minimal", "celery-unified", "test"]


def test_closure_follows_from_copy_and_mounts():
    stages = graph()
    assert stage_closure(stages, "celery-unified") == {"celery-unified", "runtime-full", "base", "builder"}
    assert stage_closure(stages, "runtime-minimal") == {"runtime-minimal", "base", "builder"}
    assert stage_closure(stages, "base") == {"base"}


def test_closure_of_unknown_stage_is_empty():
    assert stage_closure(graph(), "nope") == set()


def test_the_reference_dockerfile_has_no_cycle():
    assert find_cycle(graph()) is None


def test_copy_from_a_later_stage_that_is_built_on_this_one_is_a_cycle():
    cyclic = "FROM scratch AS a\nCOPY --from=b /x /x\nFROM a AS b\nRUN true\n"
    assert find_cycle(graph(cyclic)) == ["a", "b", "a"]


def test_a_cycle_through_mounts_and_args_is_found():
    cyclic = (
        "ARG PEER=c\n"
        "FROM scratch AS a\n"
        "FROM scratch AS b\nRUN --mount=type=bind,from=${PEER},target=/c true\n"
        "FROM scratch AS c\nCOPY --from=b /y /y\n"
    )
    assert find_cycle(graph(cyclic)) == ["b", "c", "b"]


def test_copy_from_a_later_stage_without_a_way_back_is_no_cycle():
    forward = "FROM scratch AS a\nCOPY --from=b /x /x\nFROM scratch AS b\nRUN true\n"
    assert find_cycle(graph(forward)) is None
