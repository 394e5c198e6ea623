"""Bake targets and compose builds that point at stages or Dockerfiles that do not exist."""

from __future__ import annotations

import re
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


# Words in a bake target's or compose service's name that say which process it is for.
ROLE_NAMES = {
    "web": "web",
    "api": "web",
    "http": "web",
    "wsgi": "web",
    "asgi": "web",
    "gunicorn": "web",
    "uvicorn": "web",
    "worker": "worker",
    "workers": "worker",
    "beat": "beat",
    "scheduler": "beat",
    "flower": "flower",
}
_NAME_WORD = re.compile(r"[a-z0-9]+")


def named_roles(name: str) -> set[str]:
    """`celery-worker` -> {"worker"}, `celerybeat` -> {"beat"}, `app-web` -> {"web"}."""
    roles = set()
    for word in _NAME_WORD.findall(name.lower()):
        word = word.removeprefix("celery") if word != "celery" else word
        if word in ROLE_NAMES:
            roles.add(ROLE_NAMES[word])
    return roles


@rule(
    "DY020",
    "target-runs-other-process",
    "error",
    summary="a bake target or compose service named for one process runs an image whose command is another one",
    why=(
        "A `flower` target built from a stage whose CMD was copied from beat runs a second scheduler (every "
        "periodic task twice) and no flower; a `worker` service that runs gunicorn processes no task. The name "
        "is what deploys, dashboards and people go by, so nobody notices until the symptoms show."
    ),
    fix="Point the target at the right stage (`target = ...`), or fix the stage's CMD (or the service's `command:`).",
)
def target_runs_other_process(ctx: LintContext) -> Iterator[LintFinding]:
    reported: set[tuple[str, int]] = set()
    for runner in ctx.deployment.deployed_runners:
        if runner.kind not in ("bake", "compose"):
            continue
        wanted = named_roles(runner.name)
        if len(wanted) != 1:
            continue
        processes = [p for p in ctx.processes(runner) if p.role in ("web", "worker", "beat", "flower")]
        roles = {p.role for p in processes}
        if any(p.command.program == "celery" and _embeds_beat(p) for p in processes):
            roles.add("beat")
        if not roles or wanted & roles:
            continue
        main = processes[0]
        path, line = main.path, main.line
        service = runner.service
        overridden = service is not None and (service.command is not None or service.entrypoint is not None)
        if service is not None and runner.compose is not None and not overridden:
            # the image's own command is right for its own target: the service took the wrong image
            # or forgot its `command:`
            path, line = runner.compose.path, service.line
        if (str(path), line) in reported:
            continue
        reported.add((str(path), line))
        runs = " and ".join(sorted(roles))
        yield ctx.finding(
            "DY020",
            path,
            line,
            f"{runner.label} is named for {next(iter(wanted))} but runs {runs} (`{' '.join(main.command.words)[:60]}`, "
            f"{main.where})",
        )


def _embeds_beat(process) -> bool:  # noqa: ANN001
    from dockyard.lint.commands import embeds_beat

    return embeds_beat(process.command)
