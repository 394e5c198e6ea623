"""Development dependencies that end up in a shipped image."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from dockyard.dockerfile.graph import InstructionState, StageGraph
from dockyard.dockerfile.shell import SimpleCommand, instruction_commands, path_covers, resolve_dir
from dockyard.lint.deployment import Shipped
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule

PRODUCTION_FLAGS = {"--omit=dev", "--production", "--only=prod", "--only=production", "--prod"}
INSTALL_WORDS = {"ci", "install", "i", "add", "isntall", "in"}


@dataclass(frozen=True)
class DevInstall:
    step: InstructionState  # the install
    node_modules: str  # where its node_modules are now (an `mv` may have moved them)
    tool: str  # "npm ci", "yarn install", ...


def _action(command: SimpleCommand, env: Mapping[str, str]) -> str | None:
    """'dev' (installs devDependencies), 'prod' (production install or prune), 'rm', or None."""
    program = command.program
    words = command.words[1:]
    if program in ("rm", "mv", "cp"):
        return program
    if program not in ("npm", "yarn", "pnpm"):
        return None
    sub = next((w for w in words if not w.startswith("-")), "install" if program == "yarn" else None)
    production_env = {**env, **command.env}.get("NODE_ENV") == "production"
    flags = set(words)
    omit = bool(flags & PRODUCTION_FLAGS) or ("--omit" in words and words[words.index("--omit") + 1 :][:1] == ["dev"])
    omit = omit or (program == "pnpm" and "-P" in flags)
    include_dev = "--include=dev" in flags or "--production=false" in flags
    if "-g" in flags or "--global" in flags or "global" in words[:1]:
        return None
    if sub == "prune":
        return "prod" if (omit or production_env) and not include_dev else None
    if sub == "workspaces" and "focus" in words:
        return "prod" if omit else "dev"
    if sub in INSTALL_WORDS:
        if (omit or production_env) and not include_dev:
            return "prod"
        return "dev"
    return None


def _prefix(command: SimpleCommand) -> str | None:
    return command.option("--prefix", "-C", "--cwd", "--dir")


class NodeModulesTracker:
    """Follows npm/yarn/pnpm installs, production re-installs and prunes, and `rm`, `mv`, `cp -r`
    of node_modules directories. `dev` maps each node_modules path holding devDependencies to the
    install that put them there."""

    def __init__(self) -> None:
        self.dev: dict[str, DevInstall] = {}

    def run(self, steps: Iterable[InstructionState]) -> None:
        for step in steps:
            if step.instruction.cmd == "RUN":
                self.run_step(step)

    def run_step(self, step: InstructionState) -> None:
        cwd = step.workdir
        for command in instruction_commands(step.instruction):
            if command.program == "cd":
                cwd = resolve_dir(cwd, command.words[1] if len(command.words) > 1 else "/root")
                continue
            action = _action(command, step.env)
            if action is None:
                continue
            if action in ("rm", "mv", "cp"):
                self._file_command(action, command, cwd)
                continue
            node_modules = resolve_dir(resolve_dir(cwd, _prefix(command) or "."), "node_modules")
            if action == "dev":
                verb = next((w for w in command.words[1:] if not w.startswith("-")), "install")
                tool = f"{command.program} {verb}"
                self.dev[node_modules] = DevInstall(step, node_modules, tool)
            else:
                self.dev.pop(node_modules, None)

    def _file_command(self, action: str, command: SimpleCommand, cwd: str) -> None:
        paths = [resolve_dir(cwd, w) for w in command.words[1:] if not w.startswith("-")]
        if action == "rm":
            sources, destination = paths, None
        elif len(paths) >= 2:
            sources, destination = paths[:-1], paths[-1]
        else:
            return
        if action == "cp" and not command.has("-r", "-R", "-a", "--recursive", "--archive"):
            return
        for moved_from, install in list(self.dev.items()):
            source = next((p for p in sources if path_covers(p, moved_from)), None)
            if source is None:
                continue
            if action != "cp":
                del self.dev[moved_from]
            if destination is not None:  # `mv SRC DST` renames SRC to DST (DST/.. of a new name)
                relative = posixpath.relpath(moved_from, source)
                landed = destination if relative == "." else resolve_dir(destination, relative)
                self.dev[landed] = DevInstall(install.step, landed, install.tool)


def _dev_left(graph: StageGraph, stage) -> list[DevInstall]:
    tracker = NodeModulesTracker()
    tracker.run(graph.steps(stage))
    return list(tracker.dev.values())


@rule(
    "DY004",
    "npm-dev-dependencies",
    "warning",
    summary="`npm ci`/`npm install` without --omit=dev in a stage whose node_modules ship",
    why=(
        "devDependencies (bundlers, linters, test runners) are only needed to build assets. When "
        "the stage is shipped, or its node_modules are COPY --from'd into a shipped stage, they "
        "add hundreds of MB and a larger attack surface to the runtime image (the card budgets ~5 "
        "MB for node_modules)."
    ),
    fix=(
        "Build assets with the full install, then `RUN rm -rf node_modules && npm ci --omit=dev` "
        "(or `npm prune --omit=dev`) before the runtime stage copies them; or copy only the built "
        "assets."
    ),
)
def npm_dev_dependencies(ctx: LintContext) -> Iterator[LintFinding]:
    dep = ctx.deployment
    reported: set[tuple[str, int]] = set()

    def report(install: DevInstall, path, message: str) -> Iterator[LintFinding]:
        key = (str(path), install.step.instruction.line)
        if key not in reported:
            reported.add(key)
            yield ctx.finding("DY004", path, install.step.instruction.line, message)

    for shipped in dep.shipped:
        for install in _dev_left(shipped.graph, shipped.stage):
            yield from report(
                install,
                shipped.dockerfile.path,
                f"{install.tool} without --omit=dev: devDependencies in {install.node_modules} "
                f"ship "
                f"in stage '{shipped.stage.label}' ({shipped.via})",
            )
    for dockerfile in dep.dockerfiles.values():
        for stage in dockerfile.stages:
            edges = dep.copies_into_shipped(dockerfile, stage)
            if not edges:
                continue
            left = _dev_left(edges[0][0].graph, stage)
            for install in left:
                for shipped, edge in edges:
                    covering = [p for p in edge.paths if path_covers(resolve_dir("/", p), install.node_modules)]
                    if not covering or _removed_after_copy(shipped, edge, covering[0], install):
                        continue
                    yield from report(
                        install,
                        dockerfile.path,
                        f"{install.tool} without --omit=dev in stage '{stage.label}': COPY "
                        f"--from={stage.label} "
                        f"(line {edge.instruction.line}) puts its devDependencies into stage "
                        f"'{edge.stage.label}' ({shipped.via})",
                    )


def _removed_after_copy(shipped: Shipped, edge, source: str, install: DevInstall) -> bool:
    """Whether the receiving stage prunes the copied node_modules itself after the COPY."""
    steps = list(shipped.graph.steps(shipped.stage))
    index = next((i for i, s in enumerate(steps) if s.instruction is edge.instruction), None)
    if index is None:
        return False
    copy_step = steps[index]
    destination = resolve_dir(copy_step.workdir, edge.instruction.value[-1])
    source = resolve_dir("/", source)
    relative = posixpath.relpath(install.node_modules, source) if install.node_modules != source else "."
    landed = resolve_dir(destination, relative)
    tracker = NodeModulesTracker()
    tracker.dev[landed] = DevInstall(copy_step, landed, install.tool)
    tracker.run(steps[index + 1 :])
    return landed not in tracker.dev
