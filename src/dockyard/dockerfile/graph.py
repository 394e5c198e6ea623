"""The stage graph of a Dockerfile: FROM parents, COPY --from and mount edges, which stages a
target is built from, stage cycles, and what an image ends up with (USER, HEALTHCHECK, CMD...).

Build, image checks and lint all read stages through this one graph, so a build report and the
linter never disagree about it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from dockyard.dockerfile.expand import expand, references
from dockyard.dockerfile.parser import (
    Dockerfile,
    Instruction,
    Stage,
    arg_declarations,
    env_pairs,
)
from dockyard.dockerfile.shell import resolve_dir


@dataclass(frozen=True)
class CopyEdge:
    """`COPY --from=SRC` (or `RUN --mount=from=SRC`) in `stage`."""

    stage: Stage
    instruction: Instruction
    source_stage: Stage | None  # a stage of this Dockerfile
    source_image: str | None  # otherwise an image reference
    paths: tuple[str, ...]  # source paths (COPY) - empty for mounts


@dataclass(frozen=True)
class InstructionState:
    """An instruction with the WORKDIR and ENV it runs with."""

    stage: Stage
    instruction: Instruction
    workdir: str
    env: Mapping[str, str]


@dataclass
class ImageConfig:
    """What `docker inspect` would show for a stage's image, as far as this Dockerfile tells."""

    user: str | None = None  # None: never set in this Dockerfile (the base image decides; usually root)
    user_instruction: Instruction | None = None
    healthcheck: Instruction | None = None  # None: none set here; HEALTHCHECK NONE is kept as the instruction
    healthcheck_stage: Stage | None = None
    cmd: Instruction | None = None
    cmd_stage: Stage | None = None
    entrypoint: Instruction | None = None
    entrypoint_stage: Stage | None = None
    exposed: dict[str, Instruction] = field(default_factory=dict)
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def has_healthcheck(self) -> bool:
        return self.healthcheck is not None and not _is_none(self.healthcheck)


def _is_none(instruction: Instruction) -> bool:
    return bool(instruction.value) and instruction.value[0].upper() == "NONE"


class StageGraph:
    """Stages of `dockerfile` with their relations, under the given build args."""

    def __init__(self, dockerfile: Dockerfile, build_args: Mapping[str, str] | None = None) -> None:
        self.dockerfile = dockerfile
        self.build_args = dict(build_args or {})
        self.global_args: dict[str, str | None] = {}
        for instruction in dockerfile.global_args:
            for name, default in arg_declarations(instruction):
                value = self.build_args.get(name, default)
                self.global_args[name] = expand(value, self.global_args) if value is not None else None
        self._parents: dict[int, Stage | None] = {}
        for stage in dockerfile.stages:
            ref = self.base_ref(stage)
            parent = dockerfile.stage(ref) if ref else None
            # A FROM can only name an earlier stage.
            self._parents[stage.index] = parent if parent is not None and parent.index < stage.index else None

    # --- structure ---------------------------------------------------------------------------
    def base_ref(self, stage: Stage) -> str:
        """The FROM argument with global ARGs expanded."""
        return expand(stage.base, self.global_args).strip()

    def base_image(self, stage: Stage) -> str | None:
        """The external image at the root of `stage`'s FROM chain (None for `scratch`)."""
        root = self.lineage(stage)[0]
        ref = self.base_ref(root)
        return None if ref.lower() == "scratch" else ref

    def parent(self, stage: Stage) -> Stage | None:
        return self._parents[stage.index]

    def lineage(self, stage: Stage) -> list[Stage]:
        """The FROM chain, root first, ending with `stage`."""
        chain = [stage]
        while (parent := self.parent(chain[-1])) is not None and parent not in chain:
            chain.append(parent)
        return list(reversed(chain))

    def children(self, stage: Stage) -> list[Stage]:
        return [s for s in self.dockerfile.stages if self.parent(s) is stage]

    def copy_edges(self, stage: Stage) -> list[CopyEdge]:
        """COPY/ADD --from and RUN --mount from= edges of `stage`'s own instructions."""
        edges = []
        for instruction in stage.instructions:
            if instruction.cmd in ("COPY", "ADD") and instruction.flag("from"):
                ref = expand(instruction.flag("from") or "", self.global_args)
                paths = tuple(instruction.value[:-1]) if len(instruction.value) > 1 else ()
                edges.append(self._edge(stage, instruction, ref, paths))
            if instruction.cmd == "RUN":
                for mount in instruction.flag_values("mount"):
                    options = dict(part.partition("=")[::2] for part in mount.split(","))
                    if options.get("from"):
                        edges.append(self._edge(stage, instruction, options["from"], ()))
        return edges

    def _edge(self, stage: Stage, instruction: Instruction, ref: str, paths: tuple[str, ...]) -> CopyEdge:
        source = self.dockerfile.stage(ref)
        if source is not None and source.index >= stage.index:
            source = None  # BuildKit only resolves earlier stages; a later name is an image
        return CopyEdge(stage, instruction, source, None if source else ref, paths)

    # --- state -------------------------------------------------------------------------------
    def steps(self, stage: Stage) -> Iterator[InstructionState]:
        """Every instruction of `stage`'s FROM chain, root first, with WORKDIR and ENV in effect."""
        workdir = "/"
        env: dict[str, str] = {}
        for member in self.lineage(stage):
            args: dict[str, str | None] = {}
            for instruction in member.instructions:
                scope = {
                    **self.global_args,
                    **env,
                    **{k: v for k, v in args.items() if v is not None},
                }
                if instruction.cmd == "ARG":
                    for name, default in arg_declarations(instruction):
                        value = self.build_args.get(name, default)
                        if value is None and name in self.global_args:
                            value = self.global_args[name]
                        args[name] = expand(value, scope) if value is not None else None
                elif instruction.cmd == "ENV":
                    for name, value in env_pairs(instruction):
                        env[name] = expand(value, scope)
                elif instruction.cmd == "WORKDIR" and instruction.value:
                    workdir = resolve_dir(workdir, expand(instruction.value[0], scope))
                yield InstructionState(member, instruction, workdir, dict(env))

    def image_config(self, stage: Stage) -> ImageConfig:
        config = ImageConfig()
        for member in self.lineage(stage):
            cmd_set_here = False
            for instruction in member.instructions:
                if instruction.cmd == "USER" and instruction.value:
                    config.user, config.user_instruction = instruction.value[0], instruction
                elif instruction.cmd == "HEALTHCHECK":
                    config.healthcheck, config.healthcheck_stage = instruction, member
                elif instruction.cmd == "CMD":
                    config.cmd, config.cmd_stage, cmd_set_here = instruction, member, True
                elif instruction.cmd == "ENTRYPOINT":
                    config.entrypoint, config.entrypoint_stage = instruction, member
                    if not cmd_set_here:  # BuildKit resets an inherited CMD when ENTRYPOINT is set
                        config.cmd, config.cmd_stage = None, None
                elif instruction.cmd == "EXPOSE":
                    for port in instruction.value:
                        config.exposed[port.split("/")[0]] = instruction
        for step in self.steps(stage):
            config.workdir, config.env = step.workdir, dict(step.env)
        return config

    def arg_uses(self, stage: Stage, name: str) -> list[Instruction]:
        """Instructions of `stage` itself (not its parents) that expand the ARG/ENV `name`."""
        uses = []
        for instruction in stage.instructions:
            if instruction.cmd == "ARG":
                continue
            text = instruction.original + "".join(instruction.heredocs)
            if name in references(text):
                uses.append(instruction)
        return uses


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


def find_cycle(graph: StageGraph) -> list[str] | None:
    """A cycle of stages, e.g. ["a", "b", "a"], or None.

    BuildKit resolves `COPY --from=NAME` and `RUN --mount=from=NAME` against every stage of the
    file, later ones included (a FROM only against earlier ones), so stages can depend on each
    other in a circle; BuildKit 0.13 overflows its stack on such a file and takes dockerd down.
    """
    dockerfile = graph.dockerfile
    needs: dict[int, list[Stage]] = {}
    for stage in dockerfile.stages:
        deps = [graph.parent(stage)] if graph.parent(stage) is not None else []
        for instruction in stage.instructions:
            refs = []
            if instruction.cmd in ("COPY", "ADD") and instruction.flag("from"):
                refs.append(expand(instruction.flag("from") or "", graph.global_args))
            if instruction.cmd == "RUN":
                for mount in instruction.flag_values("mount"):
                    options = dict(part.partition("=")[::2] for part in mount.split(","))
                    if options.get("from"):
                        refs.append(expand(options["from"], graph.global_args))
            deps += [s for s in (dockerfile.stage(ref) for ref in refs) if s is not None]
        needs[stage.index] = deps
    state: dict[int, str] = {}  # "open" while on the path, "done" after

    def visit(stage: Stage, path: list[Stage]) -> list[str] | None:
        state[stage.index] = "open"
        for dep in needs[stage.index]:
            if state.get(dep.index) == "open":
                start = next(i for i, s in enumerate(path) if s.index == dep.index)
                return [s.label for s in path[start:]] + [dep.label]
            if dep.index not in state:
                found = visit(dep, [*path, dep])
                if found:
                    return found
        state[stage.index] = "done"
        return None

    for stage in dockerfile.stages:
        if stage.index not in state:
            found = visit(stage, [stage])
            if found:
                return found
    return None
