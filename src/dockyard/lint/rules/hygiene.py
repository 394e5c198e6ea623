"""What gets into the shipped layers: the build context, apt lists, build packages, floating base images."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockyard.core.imageref import parse_ref
from dockyard.dockerfile.graph import StageGraph, mount_options
from dockyard.dockerfile.parser import Dockerfile, Instruction, Stage
from dockyard.dockerfile.shell import SimpleCommand, instruction_commands, path_covers
from dockyard.lint.flows import LEAK
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule


@rule(
    "DY012",
    "copy-context-unignored",
    "error",
    summary="a COPY from the build context puts `.env` or `.git` into a shipped image (no .dockerignore keeps them)",
    why=(
        "COPY takes whatever the build context holds: a developer's `.env` with real credentials, the whole `.git` "
        "history. It lands in a layer of the shipped image, where anyone who can pull the image can read it, even "
        "if a later layer deletes it, and even when it travels through other stages (`COPY --from`, with paths "
        "such as `${APP_HOME}` expanded) first."
    ),
    fix=(
        "Add a .dockerignore at the context root (or `<Dockerfile>.dockerignore` next to the Dockerfile) with at "
        "least `.git`, `**/.env` and `**/.env.*`; better, start with `**` and re-include only what the image needs "
        "(`!app/`)."
    ),
)
def copy_context_unignored(ctx: LintContext) -> Iterator[LintFinding]:
    reported: set[tuple[str, int]] = set()
    for shipped in ctx.deployment.shipped:
        flows = ctx.flows(shipped)
        leaks: dict[int, list] = {}
        for item in flows.shipped(shipped.stage):
            if item.kind == LEAK:
                leaks.setdefault(item.origin.instruction.line, []).append(item)
        ignore = ctx.deployment.dockerignore(shipped.dockerfile, shipped.context)
        for line, items in sorted(leaks.items()):
            key = (str(shipped.dockerfile.path), line)
            if key in reported:
                continue
            reported.add(key)
            first = items[0]
            instruction = first.origin.instruction
            copied = " ".join(instruction.value[:-1])
            names = ", ".join(dict.fromkeys(i.what for i in items))
            if ignore.path is None:
                where = shipped.context.name or shipped.context
                why = f"no .dockerignore in the build context ({where}/) keeps out {names}"
            else:
                why = f"{ignore.path.name} does not exclude {names}"
            route = ""
            if first.origin.stage is not shipped.stage:
                hops = ", ".join(str(h) for h in first.hops)
                route = f", which reaches stage '{shipped.stage.label}'" + (
                    f" through COPY --from at line {hops}" if hops else ""
                )
            yield ctx.finding(
                "DY012",
                shipped.dockerfile.path,
                line,
                f"{instruction.cmd} {copied} in stage '{first.origin.stage.label}' puts {first.path}{route} "
                f"({shipped.via}): {why}",
            )


_APT_PROGRAMS = {"apt-get", "apt", "aptitude"}
_APT_LISTS = "/var/lib/apt/lists"


def _leaves_apt_lists(instruction: Instruction) -> bool:
    commands = instruction_commands(instruction)
    updates = any(c.program in _APT_PROGRAMS and "update" in c.words[1:] for c in commands)
    if not updates:
        return False
    for mount in instruction.flag_values("mount"):
        options = mount_options(mount)
        target = options.get("target") or options.get("dst") or options.get("destination") or ""
        if options.get("type") in ("cache", "tmpfs") and path_covers(target.rstrip("/"), _APT_LISTS):
            return False
    for command in commands:
        if command.program == "rm":
            for word in command.words[1:]:
                if not word.startswith("-") and path_covers(word.rstrip("*").rstrip("/") or "/", _APT_LISTS):
                    return False
                if word.startswith(_APT_LISTS):
                    return False
    return True


@rule(
    "DY013",
    "apt-lists-left",
    "warning",
    summary="`apt-get update` leaves /var/lib/apt/lists in a shipped layer",
    why=(
        "The package lists (20-40 MB) are only needed while installing. Removed in a later RUN they still ship in "
        "the earlier layer; they also go stale, so a later `apt-get install` from them fails. (The .deb archives "
        "in /var/cache/apt stay too on images without Debian's docker-clean hook.)"
    ),
    fix=(
        "Update, install and clean in one RUN: `apt-get update && apt-get install -y --no-install-recommends PKG "
        "&& rm -rf /var/lib/apt/lists/*`, or mount a cache: `RUN --mount=type=cache,target=/var/lib/apt/lists ...`."
    ),
)
def apt_lists_left(ctx: LintContext) -> Iterator[LintFinding]:
    seen: set[tuple[str, int]] = set()
    for shipped in ctx.deployment.shipped:
        for step in shipped.graph.steps(shipped.stage):
            instruction = step.instruction
            key = (str(shipped.dockerfile.path), instruction.line)
            if instruction.cmd != "RUN" or key in seen or not _leaves_apt_lists(instruction):
                continue
            seen.add(key)
            yield ctx.finding(
                "DY013",
                shipped.dockerfile.path,
                instruction.line,
                f"apt-get update without removing {_APT_LISTS} in stage '{step.stage.label}', "
                f"which ships in '{shipped.stage.label}' ({shipped.via})",
            )


# Packages only a build needs: compilers and headers.
_BUILD_PACKAGES = re.compile(
    r"^(?:build-essential|build-base|gcc|g\+\+|gcc-\d+|clang|cpp|make|musl-dev|libc6?-dev|linux-headers|"
    r".+-dev|.+-devel)(?:[=:].*)?$"
)
_INSTALLERS = {
    "apt-get": "install",
    "apt": "install",
    "apk": "add",
    "yum": "install",
    "dnf": "install",
    "microdnf": "install",
}
_REMOVERS = {
    "apt-get": ("purge", "remove"),
    "apt": ("purge", "remove"),
    "apk": ("del",),
    "yum": ("remove", "erase"),
    "dnf": ("remove",),
}


_PACKAGE_VALUE_OPTIONS = {
    "-o", "--option", "-c", "--config-file", "-t", "--target-release", "--default-release", "--virtual",
    "--repository", "-X", "-p", "--root",
}  # fmt: skip


def _packages(command: SimpleCommand, verbs: tuple[str, ...]) -> list[str] | None:
    """The package words of `apt-get install X Y` (None: not such a command)."""
    words = command.words[1:]
    verb = next((w for w in words if not w.startswith("-")), None)
    if verb not in verbs:
        return None
    out, skip = [], False
    for word in words[words.index(verb) + 1 :]:
        if skip:
            skip = False
        elif word in _PACKAGE_VALUE_OPTIONS:
            skip = True
        elif not word.startswith("-"):
            out.append(word)
    return out


def _virtual(command: SimpleCommand) -> str | None:
    return command.option("--virtual", "-t") if command.program == "apk" else None


@rule(
    "DY018",
    "build-packages-in-runtime",
    "warning",
    summary="a shipped stage installs build-only packages (-dev headers, build-essential, gcc) and keeps them",
    why=(
        "Compilers and `-dev` headers are needed to build wheels, not to run them: left in the image that runs they "
        "add 100-250 MB and a toolchain an attacker can use. psycopg needs libpq5 at run time, not libpq-dev. "
        "Builder stages whose packages never reach the runtime image are fine."
    ),
    fix=(
        "Build wheels in a builder stage and install them in the runtime stage (`COPY --from=build /wheels ...`), "
        "installing only the runtime libraries there (libpq5, libjpeg62-turbo); or remove the packages in the same "
        "RUN (`apk add --virtual .build-deps ... && pip install ... && apk del .build-deps`)."
    ),
)
def build_packages_in_runtime(ctx: LintContext) -> Iterator[LintFinding]:
    reported: set[tuple[str, int]] = set()
    for shipped in ctx.deployment.shipped:
        installs: list[tuple[Instruction, Stage, list[str]]] = []
        for step in shipped.graph.steps(shipped.stage):
            if step.instruction.cmd != "RUN":
                continue
            for command in instruction_commands(step.instruction):
                program = command.program
                if program in _INSTALLERS:
                    packages = _packages(command, (_INSTALLERS[program],)) or []
                    build = [p for p in packages if _BUILD_PACKAGES.match(p)]
                    virtual = _virtual(command)
                    if build and virtual:
                        build = [virtual]  # `apk add --virtual .build-deps ...`: removed by that name
                    if build:
                        installs.append((step.instruction, step.stage, build))
                if program in _REMOVERS:
                    gone = set(_packages(command, _REMOVERS[program]) or [])
                    installs = [(i, s, [p for p in pkgs if p.split("=")[0] not in gone]) for i, s, pkgs in installs]
        for instruction, stage, left in installs:
            if not left:
                continue
            line = _package_line(shipped.dockerfile, instruction, left[0])
            key = (str(shipped.dockerfile.path), instruction.line)
            if key in reported:
                continue
            reported.add(key)
            yield ctx.finding(
                "DY018",
                shipped.dockerfile.path,
                line,
                f"{', '.join(left)} installed in stage '{stage.label}' stay in the image of stage "
                f"'{shipped.stage.label}' ({shipped.via}): build-only packages",
            )


def _package_line(dockerfile: Dockerfile, instruction: Instruction, package: str) -> int:
    """The line of a multi-line RUN that names `package` (the RUN's own line if none does)."""
    pattern = re.compile(r"(?:^|[\s\\])" + re.escape(package) + r"(?:$|[\s\\=])")
    for number in range(instruction.line, instruction.end_line + 1):
        text = dockerfile.lines[number - 1] if number - 1 < len(dockerfile.lines) else ""
        if pattern.search(text.split("#", 1)[0] if not text.lstrip().startswith("#") else ""):
            return number
    return instruction.line


@rule(
    "DY014",
    "floating-base-image",
    "warning",
    summary="a base image is `latest` or has no tag",
    why=(
        "`latest` (which an untagged name means) moves: the same Dockerfile builds a different Python or Debian "
        "tomorrow, caches stop matching, and a rollback rebuild is not the image that ran before."
    ),
    fix=(
        "Pin a tag that names the version, e.g. `python:3.11-slim-bookworm` (optionally `@sha256:...`); for a "
        "variable base, give the ARG and every bake `args` value such a tag."
    ),
)
def floating_base_image(ctx: LintContext) -> Iterator[LintFinding]:
    dep = ctx.deployment
    seen: set[tuple[str, int, str]] = set()
    for dockerfile in dep.dockerfiles.values():
        graphs: list[tuple[StageGraph, str]] = [(dep.graph(dockerfile), "")]
        for shipped in dep.shipped_in(dockerfile):
            if shipped.graph.build_args:
                graphs.append((shipped.graph, shipped.via))
        for graph, via in graphs:
            for stage, instruction, ref in _external_refs(graph):
                if "$" in ref or not ref or ref.lower() == "scratch":
                    continue
                parsed = parse_ref(ref)
                if not parsed.floating:
                    continue
                key = (str(dockerfile.path), instruction.line, ref)
                if key in seen:
                    continue
                seen.add(key)
                how = "the latest tag" if parsed.tag else "no tag (so :latest)"
                origin = f" with the args of {via}" if via else ""
                yield ctx.finding(
                    "DY014",
                    dockerfile.path,
                    instruction.line,
                    f"{instruction.cmd} {ref}{origin} in stage '{stage.label}' uses {how}",
                )
    built_here = {parse_ref(tag).repository for bake in dep.bakes for t in bake.targets.values() for tag in t.tags}
    for compose in dep.composes:
        if compose.development is not None:
            continue
        for service in compose.services.values():
            if service.build is not None or "build" in service.data or not service.image or service.profiles:
                continue
            image = parse_ref(service.image)
            if not image.floating or image.repository in built_here or compose.builders_of(service.image):
                continue
            if any(
                parse_ref(b.image or "").repository == image.repository for b in compose.services.values() if b.build
            ):
                continue
            yield ctx.finding(
                "DY014",
                compose.path,
                service.line_of("image"),
                f"service '{service.name}' runs image {service.image}, which has no pinned tag",
            )


def _external_refs(graph: StageGraph) -> Iterator[tuple[Stage, Instruction, str]]:
    for stage in graph.dockerfile.stages:
        if graph.parent(stage) is None:
            yield stage, stage.from_instruction, graph.base_ref(stage)
        for edge in graph.copy_edges(stage):
            if edge.source_image and not edge.source_image.isdigit():
                yield stage, edge.instruction, edge.source_image
