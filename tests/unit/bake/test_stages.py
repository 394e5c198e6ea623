from dockyard.dockerfile.stages import parse_stages, stage_closure, stage_names

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


def test_stages_in_file_order():
    graph = parse_stages(DOCKERFILE)
    assert stage_names(graph) == ["base", "builder", "runtime-full", "runtime-minimal", "celery-unified", "test"]


def test_closure_follows_from_copy_and_mounts():
    stages = parse_stages(DOCKERFILE)
    assert stage_closure(stages, "celery-unified") == {"celery-unified", "runtime-full", "base", "builder"}
    assert stage_closure(stages, "runtime-minimal") == {"runtime-minimal", "base", "builder"}
    assert stage_closure(stages, "base") == {"base"}


def test_closure_of_unknown_stage_is_empty():
    assert stage_closure(parse_stages(DOCKERFILE), "nope") == set()
