"""The stage graph of a Dockerfile: FROM parents, COPY --from and mount edges, which stages a
target is built from, stage cycles, and what each instruction runs with and an image ends up
with (ARG/ENV scope, WORKDIR, the effective USER, HEALTHCHECK, CMD...).

Build, image checks and lint all read stages through this one graph, so a build report and the
linter never disagree about it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.errors import ConfigError
from dockyard.dockerfile.expand import expand, references
from dockyard.dockerfile.parser import (
    Dockerfile,
    Instruction,
    Stage,
    arg_declarations,
    env_pairs,
)
from dockyard.dockerfile.shell import resolve_dir

ROOT_USERS = frozenset({"root", "0"})


def is_root(user: str | None) -> bool:
    """Whether a USER value (`app`, `1000:1000`, `root`) means root; None (never set) does."""
    return user is None or user.split(":")[0].strip() in ROOT_USERS


@dataclass(frozen=True)
class CopyEdge:
    """`COPY --from=SRC` (or `RUN --mount=from=SRC`) in `stage`."""

    stage: Stage
    instruction: Instruction
    source_stage: Stage | None  # a stage of this Dockerfile (a later one too: BuildKit resolves it)
    source_image: str | None  # otherwise an image reference
    paths: tuple[str, ...]  # source paths (COPY), ARG/ENV expanded - empty for mounts
    destination: str | None = None  # absolute destination of a COPY, expanded; None for mounts

    @property
    def forward(self) -> bool:
        """A reference to this stage or a later one: only possible through a cycle."""
        return self.source_stage is not None and self.source_stage.index >= self.stage.index


@dataclass(frozen=True)
class InstructionState:
    """An instruction with what it runs with: WORKDIR, ENV, the ARG/ENV scope it expands
    variables from, and the effective user (USER set here or inherited through FROM)."""

    stage: Stage
    instruction: Instruction
    workdir: str
    env: Mapping[str, str]
    scope: Mapping[str, str] = field(default_factory=dict)
    user: str | None = None  # None: no USER in this Dockerfile's chain (the base image's, usually root)
    user_instruction: Instruction | None = None

    def expand(self, text: str) -> str:
        return expand(text, self.scope)

    @property
    def as_root(self) -> bool:
        return is_root(self.user)


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


def mount_options(mount: str) -> dict[str, str]:
    """`type=cache,target=/x,from=base` -> {"type": "cache", "target": "/x", "from": "base"}."""
    return {key.strip().lower(): value for key, _, value in (part.partition("=") for part in mount.split(","))}


class StageGraph:
    """Stages of `dockerfile` with their relations, under the given build args."""

    def __init__(self, dockerfile: Dockerfile, build_args: Mapping[str, str] | None = None) -> None:
        self.dockerfile = dockerfile
        self.build_args = dict(build_args or {})
        self.global_args: dict[str, str | None] = {}
        for instruction in dockerfile.global_args:
            for name, default in arg_declarations(instruction):
                value = self.build_args.get(name, default)
                self.global_args[name] = expand(value, self._defined(self.global_args)) if value is not None else None
        self._parents: dict[int, Stage | None] = {}
        for stage in dockerfile.stages:
            ref = self.base_ref(stage)
            parent = dockerfile.stage(ref) if ref else None
            # A FROM can only name an earlier stage.
            self._parents[stage.index] = parent if parent is not None and parent.index < stage.index else None
        self._states: dict[int, list[InstructionState]] = {}
        self._edges: dict[int, list[CopyEdge]] = {}

    @staticmethod
    def _defined(values: Mapping[str, str | None]) -> dict[str, str]:
        return {k: v for k, v in values.items() if v is not None}

    # --- structure ---------------------------------------------------------------------------
    def base_ref(self, stage: Stage) -> str:
        """The FROM argument with global ARGs expanded."""
        return expand(stage.base, self._defined(self.global_args)).strip()

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
        """COPY/ADD --from and RUN --mount from= edges of `stage`'s own instructions, with their
        paths expanded in the stage's ARG/ENV scope."""
        if stage.index not in self._edges:
            edges = []
            for state in self.stage_states(stage):
                instruction = state.instruction
                if instruction.cmd in ("COPY", "ADD") and instruction.flag("from"):
                    ref = expand(instruction.flag("from") or "", self._defined(self.global_args))
                    values = [state.expand(v) for v in instruction.value]
                    paths = tuple(values[:-1]) if len(values) > 1 else ()
                    destination = resolve_dir(state.workdir, values[-1]) if values else None
                    if destination is not None and values[-1].endswith("/") and destination != "/":
                        destination += "/"
                    edges.append(self._edge(stage, instruction, ref, paths, destination))
                if instruction.cmd == "RUN":
                    for mount in instruction.flag_values("mount"):
                        options = mount_options(mount)
                        if options.get("from"):
                            ref = expand(options["from"], self._defined(self.global_args))
                            edges.append(self._edge(stage, instruction, ref, (), None))
            self._edges[stage.index] = edges
        return self._edges[stage.index]

    def _edge(
        self, stage: Stage, instruction: Instruction, ref: str, paths: tuple[str, ...], destination: str | None
    ) -> CopyEdge:
        source = self.dockerfile.stage(ref)
        return CopyEdge(stage, instruction, source, None if source else ref, paths, destination)

    def dependencies(self, stage: Stage) -> list[Stage]:
        """Stages `stage` needs built first: its FROM parent and every --from stage."""
        parent = self.parent(stage)
        deps = [parent] if parent is not None else []
        deps += [e.source_stage for e in self.copy_edges(stage) if e.source_stage is not None]
        return deps

    # --- state -------------------------------------------------------------------------------
    def stage_states(self, stage: Stage) -> list[InstructionState]:
        """`stage`'s own instructions with what each runs with, continuing from its FROM parent."""
        if stage.index in self._states:
            return self._states[stage.index]
        parent = self.parent(stage)
        if parent is not None and parent in self.lineage(stage)[:-1]:
            before = self.stage_states(parent)
            last = before[-1] if before else None
            if last is None:
                workdir, env, user, user_instruction = self._start_of(parent)
            else:
                workdir, env = last.workdir, dict(last.env)
                user, user_instruction = last.user, last.user_instruction
        else:
            workdir, env, user, user_instruction = "/", {}, None, None
        args: dict[str, str | None] = {}
        states = []
        for instruction in stage.instructions:
            scope = {**env, **self._defined(args)}
            if instruction.cmd == "ARG":
                for name, default in arg_declarations(instruction):
                    value = self.build_args.get(name, default)
                    if value is None and name in self.global_args:  # `ARG NAME` takes the global default
                        value = self.global_args[name]
                    args[name] = expand(value, scope) if value is not None else None
                    scope = {**env, **self._defined(args)}
            elif instruction.cmd == "ENV":
                for name, value in env_pairs(instruction):
                    env[name] = expand(value, scope)
            elif instruction.cmd == "WORKDIR" and instruction.value:
                workdir = resolve_dir(workdir, expand(instruction.value[0], scope))
            elif instruction.cmd == "USER" and instruction.value:
                user, user_instruction = expand(instruction.value[0], scope), instruction
            scope = {**env, **self._defined(args)}
            states.append(InstructionState(stage, instruction, workdir, dict(env), scope, user, user_instruction))
        self._states[stage.index] = states
        return states

    def _start_of(self, stage: Stage) -> tuple[str, dict[str, str], str | None, Instruction | None]:
        """WORKDIR, ENV and USER at the end of `stage` when it has no instructions of its own."""
        for member in reversed(self.lineage(stage)):
            states = self.stage_states(member)
            if states:
                last = states[-1]
                return last.workdir, dict(last.env), last.user, last.user_instruction
        return "/", {}, None, None

    def steps(self, stage: Stage) -> Iterator[InstructionState]:
        """Every instruction of `stage`'s FROM chain, root first, with what it runs with."""
        for member in self.lineage(stage):
            yield from self.stage_states(member)

    def final_state(self, stage: Stage) -> InstructionState | None:
        """The state after the last instruction of `stage`'s chain (None: nothing after FROM)."""
        for member in reversed(self.lineage(stage)):
            states = self.stage_states(member)
            if states:
                return states[-1]
        return None

    def image_config(self, stage: Stage) -> ImageConfig:
        config = ImageConfig()
        for member in self.lineage(stage):
            cmd_set_here = False
            for instruction in member.instructions:
                if instruction.cmd == "HEALTHCHECK":
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
        final = self.final_state(stage)
        if final is not None:
            config.workdir, config.env = final.workdir, dict(final.env)
            config.user, config.user_instruction = final.user, final.user_instruction
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


def closure(graph: StageGraph, start: Stage) -> list[Stage]:
    """`start` and every stage it is built from (FROM chain, COPY --from, RUN --mount from=),
    in file order; safe on a file whose stages form a cycle."""
    seen: dict[int, Stage] = {}
    todo = [start]
    while todo:
        stage = todo.pop()
        if stage.index in seen:
            continue
        seen[stage.index] = stage
        todo.extend(graph.dependencies(stage))
    return [seen[i] for i in sorted(seen)]


def stage_closure(graph: StageGraph, target: str) -> set[str]:
    """`target` and every stage it is built from (FROM chain, COPY --from, RUN --mount from=)."""
    start = graph.dockerfile.stage(target)
    if start is None:
        return set()
    return {stage.label for stage in closure(graph, start)}


@dataclass(frozen=True)
class StageCycleInfo:
    """Stages that need each other, and the `--from` that closes the circle."""

    stages: list[str]  # ["compile", "release", "compile"]
    edge: CopyEdge  # the reference to a stage that is not built yet (BuildKit has to recurse)


def find_cycle_edge(graph: StageGraph) -> StageCycleInfo | None:
    """The first stage cycle, with the `COPY --from`/`RUN --mount=from=` that closes it."""
    dockerfile = graph.dockerfile
    state: dict[int, str] = {}  # "open" while on the path, "done" after

    def visit(stage: Stage, path: list[tuple[Stage, CopyEdge | None]]) -> StageCycleInfo | None:
        state[stage.index] = "open"
        parent = graph.parent(stage)
        links: list[tuple[Stage, CopyEdge | None]] = [(parent, None)] if parent is not None else []
        links += [(e.source_stage, e) for e in graph.copy_edges(stage) if e.source_stage is not None]
        for dep, edge in links:
            if state.get(dep.index) == "open":
                start = next(i for i, (s, _) in enumerate(path) if s.index == dep.index)
                cycle = [*path[start:], (dep, edge)]
                # path entries carry the edge that led from the previous stage to them
                edges = [e for _, e in cycle[1:] if e is not None]
                closing = next((e for e in edges if e.forward), edges[-1] if edges else None)
                if closing is None:  # only FROM links: impossible (FROM names earlier stages)
                    continue
                return StageCycleInfo([s.label for s, _ in cycle], closing)
            if dep.index not in state:
                found = visit(dep, [*path, (dep, edge)])
                if found:
                    return found
        state[stage.index] = "done"
        return None

    for stage in dockerfile.stages:
        if stage.index not in state:
            found = visit(stage, [(stage, None)])
            if found:
                return found
    return None


def find_cycle(graph: StageGraph) -> list[str] | None:
    """A cycle of stages, e.g. ["a", "b", "a"], or None.

    BuildKit resolves `COPY --from=NAME` and `RUN --mount=from=NAME` against every stage of the
    file, later ones included (a FROM only against earlier ones), so stages can depend on each
    other in a circle; BuildKit 0.13 overflows its stack on such a file and takes dockerd down.
    """
    found = find_cycle_edge(graph)
    return found.stages if found else None


class StageCycle(ConfigError):
    """A Dockerfile whose stages form a cycle: it must never reach the engine."""

    def __init__(self, path: Path, info: StageCycleInfo) -> None:
        line = info.edge.instruction.line
        super().__init__(
            f"{path}:{line}: stages form a cycle ({' -> '.join(info.stages)}); BuildKit 0.13 crashes "
            f"dockerd on such a file, so it is not built"
        )
        self.path = path
        self.line = line
        self.stages = info.stages


def refuse_cycles(dockerfile: Dockerfile, build_args: Mapping[str, str] | None = None) -> None:
    """Raise StageCycle when `dockerfile`'s stages form a cycle (call before any build)."""
    info = find_cycle_edge(StageGraph(dockerfile, build_args))
    if info is not None:
        raise StageCycle(dockerfile.path, info)
