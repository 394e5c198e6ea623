"""Build args and environment: scoping mistakes and secrets."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockyard.dockerfile.graph import StageGraph
from dockyard.dockerfile.parser import (
    Dockerfile,
    Instruction,
    Stage,
    arg_declarations,
    env_pairs,
)
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule


@rule(
    "DY005",
    "arg-redeclared-in-child",
    "warning",
    summary="an ARG redeclared in a child stage cannot change what its parent stage already ran",
    why=(
        "Each stage sees only the ARGs it declares, and a stage built FROM another reuses the "
        "parent's layers as they were built. `ARG DJANGO_ENV=production` in the runtime stage does"
        " not change the `pip install -r requirements/$DJANGO_ENV.txt` the base stage ran with its"
        " own default."
    ),
    fix=(
        "Set the value where it is used (the parent stage's ARG default, or `--build-arg`/bake "
        "`args`), and drop the child's ARG unless the child itself uses it with the same default."
    ),
)
def arg_redeclared(ctx: LintContext) -> Iterator[LintFinding]:
    passed = {name for bake in ctx.deployment.bakes for t in bake.targets.values() for name in t.args}
    for dockerfile in ctx.deployment.dockerfiles.values():
        graph = ctx.deployment.graph(dockerfile)
        for stage in dockerfile.stages:
            parent = graph.parent(stage)
            if parent is None:
                continue
            for instruction in stage.instructions:
                if instruction.cmd != "ARG":
                    continue
                for name, default in arg_declarations(instruction):
                    message = _redeclared(graph, stage, parent, name, default, name in passed)
                    if message:
                        yield ctx.finding("DY005", dockerfile.path, instruction.line, message)


def _redeclared(
    graph: StageGraph,
    stage: Stage,
    parent: Stage,
    name: str,
    default: str | None,
    passed_by_bake: bool,
) -> str | None:
    for ancestor in reversed(graph.lineage(parent)):
        declared = _declaration(ancestor, name)
        if declared is None:
            continue
        uses = graph.arg_uses(ancestor, name)
        if not uses:
            return None
        their_default = declared[1] if declared[1] is not None else graph.global_args.get(name)
        if default is None:  # a bare ARG takes the global ARG's default, if there is one
            default_is_global = name in graph.global_args
            default = graph.global_args.get(name)
        else:
            default_is_global = False
        where = f"stage '{ancestor.label}' (line {uses[0].line})"
        child_uses = graph.arg_uses(stage, name)
        if default is not None and default != their_default and not default_is_global:
            return (
                f"ARG {name}={default} in stage '{stage.label}' cannot change what {where} "
                f"already ran with "
                f"{name}={their_default if their_default is not None else '(unset)'}"
            )
        if not child_uses:
            return (
                f"ARG {name} in stage '{stage.label}' is not used here; only {where} uses it, and "
                f"a value "
                f"set here cannot change what it ran"
            )
        if default is None and their_default is not None and not passed_by_bake:
            return (
                f"ARG {name} in stage '{stage.label}' has no default: here it is empty unless "
                f"--build-arg "
                f"sets it, not '{their_default}' as in {where}"
            )
        return None
    return None


def _declaration(stage: Stage, name: str) -> tuple[Instruction, str | None] | None:
    found = None
    for instruction in stage.instructions:
        if instruction.cmd == "ARG":
            for arg_name, default in arg_declarations(instruction):
                if arg_name == name:
                    found = (instruction, default)
    return found


# BuildKit's SecretsUsedInArgOrEnv check: these words as a whole `_`-separated part of the name.
SECRET_WORDS = (
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pword",
    "passwd",
    "secret",
    "token",
)
ALLOWED_WORDS = ("public", "publishable")
# A last word that says the value is about a secret, not the secret: PYPI_AUTH_USER,
# SECRET_KEY_FILE, AWS_ACCESS_KEY_ID, AUTH_URL.
DESCRIPTOR_WORDS = (
    "user", "username", "name", "id", "file", "path", "dir", "url", "host", "port", "type", "header",
    "enabled", "backend", "algorithm", "length", "ttl", "expiry", "version", "prefix", "method", "mode",
)  # fmt: skip
_SECRET = re.compile(r"(?i)(?:_|^)(?:" + "|".join(SECRET_WORDS) + r")(?:_|$)")
_ALLOWED = re.compile(r"(?i)(?:_|^)(?:" + "|".join(ALLOWED_WORDS) + r")(?:_|$)")


def looks_secret(name: str) -> bool:
    if not _SECRET.search(name) or _ALLOWED.search(name):
        return False
    return name.lower().rsplit("_", 1)[-1] not in DESCRIPTOR_WORDS


@rule(
    "DY011",
    "secret-in-arg-env",
    "error",
    summary="a secret-looking name is passed as ARG or set (non-empty) with ENV",
    why=(
        "ENV values are stored in the image config (`docker inspect` shows them to anyone who can pull the image); "
        "build-arg values are recorded in the image history of stages that use them and in provenance "
        "attestations. Names matching BuildKit's SecretsUsedInArgOrEnv pattern (…_KEY, …_TOKEN, …_PASSWORD, "
        "…_SECRET) are treated as secrets, unless the name ends in a word that describes one (…_USER, …_FILE, "
        "…_URL, …_ID) or says it is public; an ENV set to an empty value stores nothing."
    ),
    fix=(
        "Pass build-time secrets with `RUN --mount=type=secret,id=NAME` (bake `secret = [...]`) and runtime "
        "secrets through the container environment (compose `environment:`/`env_file:`, CapRover app config), "
        "never through ARG/ENV. For a build-only placeholder, set it on the RUN line itself (`RUN "
        "DJANGO_SECRET_KEY=build-only python manage.py collectstatic`)."
    ),
)
def secret_in_arg_env(ctx: LintContext) -> Iterator[LintFinding]:
    for dockerfile in ctx.deployment.dockerfiles.values():
        for instruction, stage in _arg_env_instructions(dockerfile):
            where = f"stage '{stage.label}'" if stage else "the global scope"
            if instruction.cmd == "ARG":
                for name, _ in arg_declarations(instruction):
                    if looks_secret(name):
                        yield ctx.finding(
                            "DY011",
                            dockerfile.path,
                            _line_of(dockerfile, instruction, name),
                            f"ARG {name} in {where} looks like a secret: build args are recorded in image history "
                            f"and provenance",
                        )
            else:
                for name, value in env_pairs(instruction):
                    if looks_secret(name) and value.strip():
                        yield ctx.finding(
                            "DY011",
                            dockerfile.path,
                            _line_of(dockerfile, instruction, name),
                            f"ENV {name} in {where} looks like a secret: ENV values are stored in the image config",
                        )


def _line_of(dockerfile: Dockerfile, instruction: Instruction, name: str) -> int:
    """The line of a multi-line ARG/ENV where `name` is set."""
    pattern = re.compile(r"(?:^|[\s\\])" + re.escape(name) + r"(?:=|\s|$)")
    for number in range(instruction.line, instruction.end_line + 1):
        text = dockerfile.lines[number - 1] if number - 1 < len(dockerfile.lines) else ""
        if number == instruction.line:
            text = text.split(None, 1)[1] if len(text.split(None, 1)) > 1 else ""
            text = " " + text
        if pattern.search(text):
            return number
    return instruction.line


def _arg_env_instructions(dockerfile: Dockerfile) -> Iterator[tuple[Instruction, Stage | None]]:
    for instruction in dockerfile.global_args:
        yield instruction, None
    for stage in dockerfile.stages:
        for instruction in stage.instructions:
            if instruction.cmd in ("ARG", "ENV"):
                yield instruction, stage
