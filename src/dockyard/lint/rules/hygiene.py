"""What gets into the shipped layers: the build context, apt lists, floating base images."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path

from dockyard.core.imageref import parse_ref
from dockyard.dockerfile.graph import StageGraph
from dockyard.dockerfile.parser import Dockerfile, Instruction, Stage
from dockyard.dockerfile.shell import instruction_commands, path_covers, resolve_dir
from dockyard.lint.deployment import Deployment, Shipped
from dockyard.lint.dockerignore import find_dockerignore
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule


def _reaching_copies(dep: Deployment, dockerfile: Dockerfile) -> Iterator[tuple[Instruction, Stage, Shipped]]:
    """COPY/ADD from the build context whose files end up in a shipped image (and one such)."""
    seen: set[int] = set()
    for stage in dockerfile.stages:
        lineages = dep.shipping_lineages(dockerfile, stage)
        copies = dep.copies_into_shipped(dockerfile, stage)
        if not lineages and not copies:
            continue
        graph = (lineages or [c[0] for c in copies])[0].graph
        for step in graph.steps(stage):
            instruction = step.instruction
            if step.stage is not stage or instruction.cmd not in ("COPY", "ADD") or instruction.flag("from"):
                continue
            if instruction.line in seen:
                continue
            if lineages:
                seen.add(instruction.line)
                yield instruction, stage, lineages[0]
                continue
            destination = resolve_dir(step.workdir, instruction.value[-1]) if instruction.value else "/"
            for shipped, edge in copies:
                if any(
                    path_covers(resolve_dir("/", p), destination) or path_covers(destination, resolve_dir("/", p))
                    for p in edge.paths
                ):
                    seen.add(instruction.line)
                    yield instruction, stage, shipped
                    break


def _sensitive_paths(instruction: Instruction, context: Path) -> list[str]:
    """Paths this COPY takes along that must stay out: .env/.git for `.`, .env for a directory."""
    if instruction.heredocs:
        return []
    out: list[str] = []
    for source in instruction.value[:-1]:
        if "://" in source:
            continue
        relative = posixpath.normpath(source.lstrip("/")) if source.strip("/") else "."
        if relative in (".", ""):
            out += [".env", ".git"]
        elif (context / relative).is_dir():
            out.append(f"{relative}/.env")
    return out


@rule(
    "DY012",
    "copy-context-unignored",
    "error",
    summary=(
        "`COPY .` (or a context directory) into a shipped image without a .dockerignore that keeps out .env and .git"
    ),
    why=(
        "COPY takes whatever the build context holds: a developer's `.env` with real credentials, "
        "the whole `.git` history. It lands in a layer of the shipped image, where anyone who can "
        "pull the image can read it, even if a later layer deletes it."
    ),
    fix=(
        "Add a .dockerignore at the context root (or `<Dockerfile>.dockerignore` next to the "
        "Dockerfile) with at least `.git`, `**/.env` and `**/.env.*`; better, start with `**` and "
        "re-include only what the image needs (`!app/`)."
    ),
)
def copy_context_unignored(ctx: LintContext) -> Iterator[LintFinding]:
    dep = ctx.deployment
    for dockerfile in dep.dockerfiles.values():
        context = dep.contexts.get(dockerfile.path, dockerfile.path.parent)
        ignore = find_dockerignore(context, dockerfile.path)
        for instruction, stage, shipped in _reaching_copies(dep, dockerfile):
            leaked = [p for p in _sensitive_paths(instruction, context) if not ignore.excludes(p)]
            if not leaked:
                continue
            copied = " ".join(instruction.value[:-1])
            where = f"stage '{stage.label}'"
            if stage is not shipped.stage:
                where += f" (shipped in '{shipped.stage.label}', {shipped.via})"
            else:
                where += f" ({shipped.via})"
            if ignore.path is None:
                why = (
                    f"no .dockerignore in the build context ({context.name or context}/) keeps out {', '.join(leaked)}"
                )
            else:
                why = f"{ignore.path.name} does not exclude {', '.join(leaked)}"
            yield ctx.finding(
                "DY012",
                dockerfile.path,
                instruction.line,
                f"{instruction.cmd} {copied} in {where}: {why}",
            )


_APT_PROGRAMS = {"apt-get", "apt", "aptitude"}
_APT_LISTS = "/var/lib/apt/lists"


def _leaves_apt_lists(instruction: Instruction) -> bool:
    commands = instruction_commands(instruction)
    updates = any(c.program in _APT_PROGRAMS and "update" in c.words[1:] for c in commands)
    if not updates:
        return False
    for mount in instruction.flag_values("mount"):
        options = dict(part.partition("=")[::2] for part in mount.split(","))
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
        "The package lists (20-40 MB) are only needed while installing. Removed in a later RUN "
        "they still ship in the earlier layer; they also go stale, so a later `apt-get install` "
        "from them fails. (The .deb archives in /var/cache/apt stay too on images without Debian's"
        " docker-clean hook.)"
    ),
    fix=(
        "Update, install and clean in one RUN: `apt-get update && apt-get install -y "
        "--no-install-recommends PKG && rm -rf /var/lib/apt/lists/*`, or mount a cache: `RUN "
        "--mount=type=cache,target=/var/lib/apt/lists ...`."
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


@rule(
    "DY014",
    "floating-base-image",
    "warning",
    summary="a base image is `latest` or has no tag",
    why=(
        "`latest` (which an untagged name means) moves: the same Dockerfile builds a different "
        "Python or Debian tomorrow, caches stop matching, and a rollback rebuild is not the image "
        "that ran before."
    ),
    fix=(
        "Pin a tag that names the version, e.g. `python:3.11-slim-bookworm` (optionally "
        "`@sha256:...`); for a variable base, give the ARG and every bake `args` value such a tag."
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
        for service in compose.services.values():
            if "build" in service.data or not service.image:  # an image it builds is an output
                continue
            image = parse_ref(service.image)
            if image.floating and image.repository not in built_here:
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
