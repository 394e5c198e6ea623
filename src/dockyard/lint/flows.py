"""What reaches a shipped image, and over which `COPY --from` hops.

Items are followed through the stages the way BuildKit builds them: a `COPY` from the build
context brings files that must stay out (`.env`, `.git`), an `npm ci` brings node_modules with
devDependencies, a `package.json` marks where an install reads one; RUN steps install, prune,
move and remove them; `COPY --from=STAGE SRC DEST` takes what STAGE holds under SRC to DEST (paths
ARG/ENV expanded: `${APP_HOME}`), however many stages it travels through. What a stage's FROM
chain ever wrote stays in its layers even if a later RUN deletes it; what another stage copies is
what is there at its end.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from dockyard.dockerfile.files import context_copy
from dockyard.dockerfile.graph import CopyEdge, InstructionState, StageGraph
from dockyard.dockerfile.parser import Stage
from dockyard.dockerfile.shell import SUBSTITUTION, SimpleCommand, instruction_commands, path_covers, resolve_dir
from dockyard.lint.dockerignore import DockerIgnore

PRODUCTION_FLAGS = {"--omit=dev", "--production", "--only=prod", "--only=production", "--prod"}
INSTALL_WORDS = {"ci", "install", "i", "add", "isntall", "in"}
_ENV_EXAMPLES = (".example", ".sample", ".template", ".dist", ".defaults")

LEAK = "leak"  # a context file that must stay out of images (.env, .git)
DEV_MODULES = "dev-node-modules"  # node_modules holding devDependencies
MANIFEST = "package.json"


@dataclass(frozen=True)
class Item:
    path: str  # where it is now
    kind: str  # LEAK, DEV_MODULES, MANIFEST
    origin: InstructionState  # the instruction that brought it in (in the stage where that ran)
    what: str  # ".env", "npm ci"
    hops: tuple[int, ...] = ()  # lines of the COPY --from it travelled through

    def moved(self, path: str, hop: int | None = None) -> Item:
        return replace(self, path=path, hops=self.hops + ((hop,) if hop is not None else ()))


Items = dict[tuple[str, int], Item]  # (path, line of the origin) -> item


@dataclass
class _StageItems:
    final: Items  # present at the end of the stage (what COPY --from sees)
    layered: Items  # leaks written by any layer of the FROM chain


class Flows:
    """Items in each stage of one Dockerfile, built from `context` with `ignore`."""

    def __init__(self, graph: StageGraph, context: Path, ignore: DockerIgnore) -> None:
        self.graph, self.context, self.ignore = graph, context, ignore
        self._done: dict[int, _StageItems] = {}
        self._busy: set[int] = set()

    def final(self, stage: Stage) -> list[Item]:
        return list(self._items(stage).final.values())

    def shipped(self, stage: Stage) -> list[Item]:
        """What an image of `stage` holds: leaks of every layer, dev node_modules at the end."""
        items = self._items(stage)
        return list(items.layered.values()) + [i for i in items.final.values() if i.kind == DEV_MODULES]

    def _items(self, stage: Stage) -> _StageItems:
        if stage.index in self._done:
            return self._done[stage.index]
        if stage.index in self._busy:  # a stage cycle: DY021 reports it; nothing flows round it
            return _StageItems({}, {})
        self._busy.add(stage.index)
        parent = self.graph.parent(stage)
        if parent is not None:
            before = self._items(parent)
            final, layered = dict(before.final), dict(before.layered)
        else:
            final, layered = {}, {}
        edges = {edge.instruction.line: edge for edge in self.graph.copy_edges(stage) if edge.destination}
        for state in self.graph.stage_states(stage):
            instruction = state.instruction
            if instruction.cmd in ("COPY", "ADD"):
                edge = edges.get(instruction.line)
                if edge is not None:
                    if edge.source_stage is not None:
                        for item in self._items(edge.source_stage).final.values():
                            landed = _through(edge, item)
                            if landed is not None:
                                self._add(final, layered, item.moved(landed, instruction.line))
                    continue
                for item in self._from_context(state):
                    self._add(final, layered, item)
            elif instruction.cmd == "RUN":
                _run(state, final)
        self._busy.discard(stage.index)
        self._done[stage.index] = _StageItems(final, layered)
        return self._done[stage.index]

    @staticmethod
    def _add(final: Items, layered: Items, item: Item) -> None:
        key = (item.path, item.origin.instruction.line)
        final[key] = item
        if item.kind == LEAK:
            layered.setdefault(key, item)

    def _from_context(self, state: InstructionState) -> list[Item]:
        copy = context_copy(state)
        if copy is None:
            return []
        out = []
        for source in copy.sources:
            if any(ch in source for ch in "*?["):
                continue
            on_disk = self.context / source if source != "." else self.context
            if source == ".":
                # a developer's .env and the repository are usually there, committed or not
                names = [n for n in (".env", ".git") if not self.ignore.excludes(n)]
                out += [Item(copy.landed(source, n), LEAK, state, n) for n in names]
                if (on_disk / "package.json").is_file() and not self.ignore.excludes("package.json"):
                    out.append(Item(copy.landed(source, "package.json"), MANIFEST, state, "package.json"))
            elif on_disk.is_dir():
                for name in _secret_files(on_disk):
                    relpath = posixpath.join(source, name)
                    if not self.ignore.excludes(relpath):
                        out.append(Item(copy.landed(source, name), LEAK, state, relpath))
                if (on_disk / "package.json").is_file():
                    out.append(Item(copy.landed(source, "package.json"), MANIFEST, state, "package.json"))
            elif posixpath.basename(source) == "package.json":
                out.append(Item(copy.landed(source), MANIFEST, state, "package.json"))
            elif _is_secret_name(posixpath.basename(source)) and not self.ignore.excludes(source):
                out.append(Item(copy.landed(source), LEAK, state, source))
        return out


def _is_secret_name(name: str) -> bool:
    return name == ".git" or ((name == ".env" or name.startswith(".env.")) and not name.endswith(_ENV_EXAMPLES))


def _secret_files(directory: Path) -> list[str]:
    try:
        return sorted(p.name for p in directory.iterdir() if _is_secret_name(p.name))
    except OSError:
        return []


def _through(edge: CopyEdge, item: Item) -> str | None:
    """Where `COPY --from` puts `item` (None: its sources do not take it along)."""
    destination = edge.destination or "/"
    into_directory = destination.endswith("/") or len(edge.paths) > 1
    base = destination.rstrip("/") or "/"
    for raw in edge.paths:
        source = resolve_dir("/", raw)
        if SUBSTITUTION in source:
            continue
        if any(ch in source for ch in "*?["):
            if fnmatch.fnmatchcase(item.path, source):
                return resolve_dir(base, posixpath.basename(item.path))
            for parent in _ancestors(item.path):
                if fnmatch.fnmatchcase(parent, source):
                    return resolve_dir(base, posixpath.relpath(item.path, parent))
            continue
        if item.path == source:
            if item.kind != DEV_MODULES and into_directory:
                return resolve_dir(base, posixpath.basename(item.path))
            return base
        if path_covers(source, item.path):
            return resolve_dir(base, posixpath.relpath(item.path, source))
    return None


def _ancestors(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts))]


# --- RUN: installs, prunes, rm / mv / cp ----------------------------------------------------------
def _run(state: InstructionState, items: Items) -> None:
    cwd = state.workdir
    for command in instruction_commands(state.instruction):
        if command.program == "cd":
            target = command.words[1] if len(command.words) > 1 else "/root"
            cwd = resolve_dir(cwd, state.expand(target))
            continue
        if command.program in ("rm", "mv", "cp"):
            _file_command(command, cwd, state, items)
            continue
        action = _npm_action(command, {**state.env, **command.env})
        if action is None or SUBSTITUTION in cwd:
            continue
        prefix = _prefix(command)
        directory = resolve_dir(cwd, state.expand(prefix)) if prefix else cwd
        if SUBSTITUTION in directory:
            continue
        node_modules = resolve_dir(directory, "node_modules")
        for key in [k for k, item in items.items() if item.path == node_modules and item.kind == DEV_MODULES]:
            del items[key]  # a new install replaces what was there
        if action == "dev":
            named = _named_packages(command)
            manifest = resolve_dir(directory, "package.json")
            if named and not any(i.path == manifest and i.kind == MANIFEST for i in items.values()):
                continue  # `npm install --prefix /opt/x PKG`: no package.json, no devDependencies
            verb = next((w for w in command.words[1:] if not w.startswith("-")), "install")
            item = Item(node_modules, DEV_MODULES, state, f"{command.program} {verb}")
            items[(node_modules, state.instruction.line)] = item


def _npm_action(command: SimpleCommand, env: Mapping[str, str]) -> str | None:
    """'dev' (installs devDependencies), 'prod' (production install or prune), or None."""
    program = command.program
    words = command.words[1:]
    if program not in ("npm", "yarn", "pnpm"):
        return None
    sub = next((w for w in words if not w.startswith("-")), "install" if program == "yarn" else None)
    production_env = (
        env.get("NODE_ENV") == "production"
        or env.get("NPM_CONFIG_OMIT", env.get("npm_config_omit", "")) == "dev"
        or env.get("NPM_CONFIG_PRODUCTION", env.get("npm_config_production", "")).lower() == "true"
        or env.get("YARN_PRODUCTION", "").lower() == "true"
    )
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
        return "prod" if (omit or production_env) and not include_dev else "dev"
    return None


_VALUE_OPTIONS = {
    "--prefix",
    "-C",
    "--cwd",
    "--dir",
    "--registry",
    "--cache",
    "--omit",
    "--include",
    "-w",
    "--workspace",
}


def _named_packages(command: SimpleCommand) -> list[str]:
    """`npm install sass@1.77 ip` -> the packages named (after the sub-command)."""
    words = command.words[1:]
    out, skip, seen_sub = [], False, False
    for word in words:
        if skip:
            skip = False
            continue
        if word in _VALUE_OPTIONS:
            skip = True
            continue
        if word.startswith("-"):
            continue
        if not seen_sub:
            seen_sub = True
            continue
        out.append(word)
    return out


def _prefix(command: SimpleCommand) -> str | None:
    return command.option("--prefix", "-C", "--cwd", "--dir")


def _file_command(command: SimpleCommand, cwd: str, state: InstructionState, items: Items) -> None:
    action = command.program
    paths = [resolve_dir(cwd, state.expand(w)) for w in command.words[1:] if not w.startswith("-")]
    paths = [p for p in paths if SUBSTITUTION not in p]
    if action == "rm":
        sources, destination = paths, None
    elif len(paths) >= 2:
        sources, destination = paths[:-1], paths[-1]
    else:
        return
    if action == "cp" and not command.has("-r", "-R", "-a", "--recursive", "--archive"):
        return
    for key, item in list(items.items()):
        source = next((p for p in sources if path_covers(p, item.path)), None)
        if source is None:
            continue
        if action != "cp":
            del items[key]
        if destination is not None:  # `mv SRC DST` renames SRC to DST
            relative = posixpath.relpath(item.path, source)
            landed = destination if relative == "." else resolve_dir(destination, relative)
            items[(landed, key[1])] = item.moved(landed)
