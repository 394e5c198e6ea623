"""Bake targets and compose builds that point at stages or Dockerfiles that do not exist."""

from __future__ import annotations

from collections.abc import Iterator

from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule


@rule(
    "DY006",
    "unknown-stage",
    "error",
    summary="a bake target or compose build names a stage the Dockerfile does not have",
    why=(
        '`docker buildx bake` fails with `target stage "..." could not be found` only after it has'
        " loaded the context; a renamed stage (runtime -> runtime-full) breaks every build of that"
        " target."
    ),
    fix=(
        'Set the target\'s `target = "..."` (compose: `build.target`) to one of the listed stage '
        "names, or name the stage with `FROM ... AS NAME`."
    ),
)
def unknown_stage(ctx: LintContext) -> Iterator[LintFinding]:
    dep = ctx.deployment
    for bake in dep.bakes:
        for target in bake.targets.values():
            build = dep.target_builds.get((bake.path, target.name))
            if build is None or build[1] is None or build[0] not in dep.dockerfiles:
                continue
            dockerfile = dep.dockerfiles[build[0]]
            if dockerfile.stage(build[1]) is None:
                yield ctx.finding(
                    "DY006",
                    bake.path,
                    target.line_of("target"),
                    f"bake target '{target.name}' builds stage '{build[1]}', which "
                    f"{dockerfile.path.name} does not have (stages: "
                    f"{', '.join(dockerfile.stage_names)})",
                )
    for compose in dep.composes:
        for service in compose.services.values():
            build = dep.service_builds.get((compose.path, service.name))
            if build is None or build[1] is None or build[0] not in dep.dockerfiles or service.build is None:
                continue
            dockerfile = dep.dockerfiles[build[0]]
            if dockerfile.stage(build[1]) is None:
                yield ctx.finding(
                    "DY006",
                    compose.path,
                    service.build.target_line,
                    f"service '{service.name}' builds stage '{build[1]}', which "
                    f"{dockerfile.path.name} does not have (stages: "
                    f"{', '.join(dockerfile.stage_names)})",
                )


@rule(
    "DY007",
    "missing-dockerfile",
    "error",
    summary="a bake target or compose build points at a Dockerfile that does not exist",
    why=(
        "The build fails at once, and nothing about that target can be checked. Bake resolves "
        "`context` against the directory it runs in and `dockerfile` against the context."
    ),
    fix=("Fix `dockerfile`/`context` (compose: `build.dockerfile`/`build.context`, relative to the compose file)."),
)
def missing_dockerfile(ctx: LintContext) -> Iterator[LintFinding]:
    for path, line, who, dockerfile in ctx.deployment.missing_dockerfiles:
        yield ctx.finding("DY007", path, line, f"{who}: Dockerfile {dockerfile} not found")
