"""Which stages a bake target's build runs (for the cached-steps figures): the Dockerfile model's
stage graph, with `--from` expanded under the target's bake args."""

from pathlib import Path

from dockyard.build.runner import target_stages
from dockyard.dockerfile.bake import BakeTarget
from dockyard.dockerfile.parser import parse_dockerfile_text

DOCKERFILE = """\
ARG ASSETS=assets-dev
FROM node:20.13-bookworm-slim AS assets-dev
FROM node:20.13-bookworm-slim AS assets-prod
FROM python:3.12-slim-bookworm AS base
FROM base AS web
COPY --from=${ASSETS} /build /static
FROM base AS worker
"""


def test_the_closure_follows_the_targets_args() -> None:
    dockerfile = parse_dockerfile_text(DOCKERFILE, Path("Dockerfile"))
    web = BakeTarget(name="web", line=1, stage="web")
    assert target_stages(dockerfile, web) == {"web", "base", "assets-dev"}
    web.args = {"ASSETS": "assets-prod"}
    assert target_stages(dockerfile, web) == {"web", "base", "assets-prod"}
    assert target_stages(dockerfile, BakeTarget(name="plain", line=1)) == {"worker", "base"}
