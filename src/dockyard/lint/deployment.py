"""The deployment as one model: parsed files, which stage each bake target or compose service
builds or runs, which stages end up in images that are deployed ("shipped"), and every way each
image runs (a "runner": a bake target's image as built, a compose service with its own command,
user, healthcheck and replicas, a plain `docker build`)."""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from dockyard.core.imageref import parse_ref
from dockyard.core.settings import LintSettings
from dockyard.dockerfile.bake import BakeError, BakeFile, BakeTarget, PendingBake, start_bake
from dockyard.dockerfile.compose import ComposeError, ComposeFile, Service, load_compose, same_image
from dockyard.dockerfile.files import ImageFiles, context_copies
from dockyard.dockerfile.graph import ImageConfig, StageGraph, closure, is_root
from dockyard.dockerfile.parser import (
    Dockerfile,
    DockerfileSyntaxError,
    Instruction,
    Stage,
    parse_dockerfile,
)
from dockyard.lint.discover import DeploymentFiles
from dockyard.lint.dockerignore import DockerIgnore, find_dockerignore
from dockyard.lint.model import LintFinding


@dataclass(frozen=True)
class ShipReason:
    kind: str  # "bake", "compose", "default", "config", "captain"
    name: str  # bake target / compose service / ""

    def __str__(self) -> str:
        return {
            "bake": f"bake target '{self.name}'",
            "compose": f"compose service '{self.name}'",
            "default": "the last stage, which a plain docker build makes",
            "config": "[tool.dockyard.lint] runtime_stages",
            "captain": f"CapRover's {self.name}",
        }[self.kind]


@dataclass
class Shipped:
    """A stage whose image is deployed, and why we think so."""

    dockerfile: Dockerfile
    stage: Stage
    graph: StageGraph
    context: Path
    reasons: list[ShipReason] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)  # compose services that run it
    runners: list[Runner] = field(default_factory=list)

    @property
    def via(self) -> str:
        return ", ".join(str(r) for r in self.reasons)


@dataclass(eq=False)
class Runner:
    """One way a stage's image runs: as built (a bake target, a plain build, CapRover), or as a
    compose service, whose `command:`, `entrypoint:`, `user:`, `healthcheck:` and replicas
    override the image's."""

    kind: str  # "bake", "compose", "default", "config", "captain"
    name: str  # the bake target / compose service name ("" for a plain build)
    dockerfile: Dockerfile | None  # None: a compose service running an image nothing here builds
    stage: Stage | None
    graph: StageGraph | None
    context: Path | None
    service: Service | None = None
    compose: ComposeFile | None = None
    target: BakeTarget | None = None
    bake: BakeFile | None = None
    deployed: bool = True  # False: a development or test compose stack
    linked_by: str = ""  # how a compose service's `image:` was tied to this stage

    @property
    def label(self) -> str:
        return str(ShipReason(self.kind, self.name)) if self.kind != "captain" else f"CapRover ({self.name})"

    @cached_property
    def config(self) -> ImageConfig:
        if self.graph is None or self.stage is None:
            return ImageConfig()
        return self.graph.image_config(self.stage)

    @property
    def entrypoint(self) -> Instruction | str | list[str] | None:
        if self.service is not None and self.service.entrypoint is not None:
            return self.service.entrypoint
        return self.config.entrypoint

    @property
    def cmd(self) -> Instruction | str | list[str] | None:
        if self.service is not None:
            if self.service.command is not None:
                return self.service.command
            if self.service.entrypoint is not None:  # compose: a new entrypoint drops the image's CMD
                return None
        return self.config.cmd

    @property
    def user(self) -> str | None:
        if self.service is not None and self.service.user:
            return self.service.user
        return self.config.user

    @property
    def runs_as_root(self) -> bool:
        return is_root(self.user)

    @property
    def healthcheck(self) -> Instruction | dict | None:
        """The probe the container gets: the service's healthcheck, else the image's (None: none)."""
        if self.service is not None and self.service.healthcheck is not None:
            return None if self.service.healthcheck_disabled else self.service.healthcheck
        config = self.config
        return config.healthcheck if config.has_healthcheck else None

    @property
    def replicas(self) -> int:
        return self.service.replicas if self.service is not None else 1


@dataclass
class Deployment:
    files: DeploymentFiles
    root: Path  # where relative bake contexts start (the project root)
    dockerfiles: dict[Path, Dockerfile] = field(default_factory=dict)
    contexts: dict[Path, Path] = field(default_factory=dict)  # Dockerfile -> build context
    bakes: list[BakeFile] = field(default_factory=list)
    composes: list[ComposeFile] = field(default_factory=list)
    shipped: list[Shipped] = field(default_factory=list)
    runners: list[Runner] = field(default_factory=list)  # deployed and development ones
    built: dict[Path, set[int]] = field(default_factory=dict)  # Dockerfile -> indexes of stages something builds
    # bake targets / compose services resolved to (Dockerfile, stage name or None)
    target_builds: dict[tuple[Path, str], tuple[Path, str | None]] = field(default_factory=dict)
    service_builds: dict[tuple[Path, str], tuple[Path, str | None]] = field(default_factory=dict)
    problems: list[LintFinding] = field(default_factory=list)  # files that could not be read at all
    missing_dockerfiles: list[tuple[Path, int, str, str]] = field(default_factory=list)  # file, line, who, path
    notes: list[str] = field(default_factory=list)
    bake_parser: str | None = None
    _graphs: dict[tuple[Path, tuple[tuple[str, str], ...]], StageGraph] = field(default_factory=dict)
    _files: dict[tuple[Path, int, Path], ImageFiles] = field(default_factory=dict)
    _ignores: dict[tuple[Path, Path], DockerIgnore] = field(default_factory=dict)

    def graph(self, dockerfile: Dockerfile, args: dict[str, str] | None = None) -> StageGraph:
        key = (dockerfile.path, tuple(sorted((args or {}).items())))
        if key not in self._graphs:
            self._graphs[key] = StageGraph(dockerfile, args)
        return self._graphs[key]

    def context_of(self, dockerfile: Dockerfile) -> Path:
        return self.contexts.get(dockerfile.path, dockerfile.path.parent)

    def dockerignore(self, dockerfile: Dockerfile, context: Path | None = None) -> DockerIgnore:
        context = context or self.context_of(dockerfile)
        key = (dockerfile.path, context)
        if key not in self._ignores:
            self._ignores[key] = find_dockerignore(context, dockerfile.path)
        return self._ignores[key]

    def image_files(self, graph: StageGraph, stage: Stage, context: Path) -> ImageFiles:
        """The files `stage`'s image gets from the build context."""
        key = (graph.dockerfile.path, stage.index, context)
        if key not in self._files:
            ignore = self.dockerignore(graph.dockerfile, context)
            self._files[key] = ImageFiles(graph, stage, context, ignore.excludes)
        return self._files[key]

    def shipped_in(self, dockerfile: Dockerfile) -> list[Shipped]:
        return [s for s in self.shipped if s.dockerfile is dockerfile]

    @property
    def deployed_runners(self) -> list[Runner]:
        """Every container that runs in production once: an image that deployed compose services
        run counts through those services (not again as the bake target or plain build)."""
        runners = [r for r in self.runners if r.deployed]
        run_by_compose = {_image_key(r) for r in runners if r.kind == "compose" and r.dockerfile is not None}
        return [r for r in runners if r.kind == "compose" or _image_key(r) not in run_by_compose]

    def deployed_runners_of(self, shipped: Shipped) -> list[Runner]:
        """How `shipped`'s image really runs: its compose services when deployed compose files run it,
        else its bake target or plain build."""
        deployed = {id(r) for r in self.deployed_runners}
        return [r for r in shipped.runners if id(r) in deployed]

    def service_stage(self, compose: ComposeFile, service: Service) -> tuple[Dockerfile, Stage] | None:
        """The stage a compose service runs (its build, or the image another target builds)."""
        for runner in self.runners:
            if runner.service is service and runner.dockerfile is not None and runner.stage is not None:
                return runner.dockerfile, runner.stage
        return None


def _image_key(runner: Runner) -> tuple[Path | None, int | None]:
    return (runner.dockerfile.path if runner.dockerfile else None, runner.stage.index if runner.stage else None)


def load_deployment(
    files: DeploymentFiles, root: Path, options: LintSettings, pending: list[PendingBake] | None = None
) -> Deployment:
    """Parse everything in `files` and work out what ships. Unreadable files become findings.
    `pending`: the bake files already started (buildx runs in the background)."""
    dep = Deployment(files=files, root=root)
    if pending is None:
        parser = options.bake_parser
        pending = [start_bake(path, parser=parser, cwd=root) for path in files.bake_files]
    for path in files.dockerfiles:  # parsed while buildx evaluates the bake files
        _add_dockerfile(dep, path)
    for started in pending:
        try:
            bake = started.result()
        except BakeError as exc:
            dep.problems.append(
                LintFinding(
                    "DY015", exc.path, exc.line, f"bake file cannot be evaluated: {exc.detail}", severity="error"
                )
            )
            continue
        dep.bakes.append(bake)
        dep.bake_parser = bake.parser
        for target in bake.targets.values():
            if bake.is_template(target.name) or not target.local:
                continue
            dockerfile_path, context = _resolve_bake_dockerfile(dep, bake, target)
            if dockerfile_path is None:
                dep.missing_dockerfiles.append(
                    (
                        bake.path,
                        target.line_of("dockerfile"),
                        f"bake target '{target.name}'",
                        target.dockerfile or "Dockerfile",
                    )
                )
                continue
            _add_dockerfile(dep, dockerfile_path)
            dep.contexts.setdefault(dockerfile_path, context)
            dep.target_builds[(bake.path, target.name)] = (
                dockerfile_path,
                target.stage.lower() if target.stage else None,
            )
    for path in files.compose_files:
        try:
            compose = load_compose(path)
        except ComposeError as exc:
            dep.problems.append(LintFinding("DY000", exc.path, exc.line, exc.detail, severity="error"))
            continue
        dep.composes.append(compose)
        for service in compose.services.values():
            if service.build is None:
                continue
            dockerfile_path = service.build.dockerfile
            if not dockerfile_path.is_file():
                dep.missing_dockerfiles.append(
                    (
                        compose.path,
                        service.build.dockerfile_line,
                        f"compose service '{service.name}'",
                        os.path.relpath(dockerfile_path, compose.path.parent),
                    )
                )
                continue
            dockerfile_path = dockerfile_path.resolve()
            _add_dockerfile(dep, dockerfile_path)
            dep.contexts.setdefault(dockerfile_path, service.build.context.resolve())
            dep.service_builds[(compose.path, service.name)] = (dockerfile_path, service.build.target)
    captains = _captain_definitions(dep, files.directory, root)
    for dockerfile in dep.dockerfiles.values():
        if dockerfile.path not in dep.contexts:
            dep.contexts[dockerfile.path] = _guess_context(dockerfile, root)
    _resolve_shipped(dep, options, captains)
    return dep


def _add_dockerfile(dep: Deployment, path: Path) -> None:
    path = path.resolve()
    if path in dep.dockerfiles or any(p.path == path for p in dep.problems):
        return
    try:
        dep.dockerfiles[path] = parse_dockerfile(path)
    except DockerfileSyntaxError as exc:
        dep.problems.append(
            LintFinding(
                "DY000", path, exc.line, f"BuildKit cannot parse this Dockerfile: {exc.detail}", severity="error"
            )
        )


def _resolve_bake_dockerfile(dep: Deployment, bake: BakeFile, target: BakeTarget) -> tuple[Path | None, Path]:
    """bake resolves `context` against the directory it runs in (the project root) and `dockerfile`
    against the context; try that first, then the bake file's own directory and its parent."""
    context_rel = target.context or "."
    dockerfile_rel = target.dockerfile or "Dockerfile"
    bases = [dep.root, bake.path.parent, bake.path.parent.parent]
    first_context = (bases[0] / context_rel).resolve()
    for base in dict.fromkeys(bases):
        context = (base / context_rel).resolve()
        candidate = Path(dockerfile_rel) if Path(dockerfile_rel).is_absolute() else context / dockerfile_rel
        if candidate.is_file():
            return candidate.resolve(), context
    return None, first_context


def _captain_definitions(dep: Deployment, directory: Path, root: Path) -> dict[Path, str]:
    """Dockerfiles CapRover builds (`captain-definition`'s dockerfilePath), with the file's name."""
    found: dict[Path, str] = {}
    for folder in dict.fromkeys([directory.resolve(), root.resolve()]):
        definition = folder / "captain-definition"
        if not definition.is_file():
            continue
        try:
            data = json.loads(definition.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            dep.notes.append(f"{definition} is not valid JSON; CapRover's Dockerfile is not known")
            continue
        relative = data.get("dockerfilePath") if isinstance(data, dict) else None
        if not isinstance(relative, str):
            continue
        path = (folder / relative).resolve()
        if path.is_file():
            _add_dockerfile(dep, path)
            dep.contexts.setdefault(path, folder)
            found[path] = definition.name
    return found


def _guess_context(dockerfile: Dockerfile, root: Path) -> Path:
    """The build context of a Dockerfile nothing names one for: of its directory and the ones
    above it up to the project root, the one where its COPY sources exist (`docker build -f
    docker/Dockerfile .` is the usual way to build a Dockerfile kept in a sub-directory)."""
    start = dockerfile.path.parent.resolve()
    root = root.resolve()
    candidates = [start]
    if root in start.parents:
        candidates += [p for p in start.parents if p == root or root in p.parents]
    if len(candidates) == 1:
        return start
    sources: list[str] = []
    graph = StageGraph(dockerfile)
    for stage in dockerfile.stages:
        for copy in context_copies(graph, stage):
            if copy.step.stage is stage:
                sources += [s for s in copy.sources if s != "."]
    if not sources:
        return start

    def score(candidate: Path) -> int:
        return sum(1 for s in sources if any(candidate.glob(s)) if not s.startswith(".."))

    best = max(candidates, key=lambda c: (score(c), c == start))
    return best


_DEV_PATH_WORDS = {"local", "dev", "develop", "development", "debug", "devcontainer"}


def development_dockerfile(path: Path, root: Path) -> bool:
    """A Dockerfile that by its place or name is for development: compose/local/..., Dockerfile.dev."""
    try:
        parts = path.resolve().relative_to(root.resolve()).parts
    except ValueError:
        parts = path.parts[-3:]
    words = {w for part in parts for w in re.split(r"[^a-z0-9]+", part.lower())}
    return bool(words & _DEV_PATH_WORDS)


def _project_names(root: Path) -> set[str]:
    names = {root.resolve().name.lower()}
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return names
    name = data.get("project", {}).get("name") if isinstance(data.get("project"), dict) else None
    if isinstance(name, str):
        names.add(name.lower())
    return {re.sub(r"[-_.]+", "-", n) for n in names}


def _resolve_shipped(dep: Deployment, options: LintSettings, captains: dict[Path, str]) -> None:
    ephemeral = {n.lower() for n in options.ephemeral}
    configured = [n.lower() for n in options.runtime_stages]
    records: dict[tuple[Path, int], Shipped] = {}
    graphs: dict[tuple[Path, int], StageGraph] = {}

    def stage_of(path: Path, stage_name: str | None) -> Stage | None:
        dockerfile = dep.dockerfiles.get(path)
        if dockerfile is None:
            return None
        return dockerfile.stage(stage_name) if stage_name else dockerfile.stages[-1]

    def built(path: Path, stage: Stage, args: dict[str, str]) -> StageGraph:
        graph = dep.graph(dep.dockerfiles[path], args)
        indexes = dep.built.setdefault(path, set())
        indexes.update(s.index for s in closure(graph, stage))
        graphs.setdefault((path, stage.index), graph)
        return graph

    def ship(
        path: Path, stage: Stage, reason: ShipReason, graph: StageGraph, service: Service | None = None
    ) -> Shipped:
        key = (path, stage.index)
        if key not in records:
            records[key] = Shipped(dep.dockerfiles[path], stage, graph, dep.context_of(dep.dockerfiles[path]))
        record = records[key]
        if reason not in record.reasons:
            record.reasons.append(reason)
        if service is not None and service not in record.services:
            record.services.append(service)
        return record

    def add_runner(runner: Runner, record: Shipped | None) -> None:
        dep.runners.append(runner)
        if record is not None and runner.deployed:
            record.runners.append(runner)

    # everything something builds (for the rules about builds that fail)
    for bake in dep.bakes:
        for target in bake.targets.values():
            build = dep.target_builds.get((bake.path, target.name))
            if build is not None and (stage := stage_of(*build)) is not None:
                built(build[0], stage, target.args)
    for compose in dep.composes:
        for service in compose.services.values():
            build = dep.service_builds.get((compose.path, service.name))
            if build is not None and (stage := stage_of(*build)) is not None:
                built(build[0], stage, service.build.args if service.build else {})

    production_refs: set[Path] = set()
    if configured:
        for path, dockerfile in dep.dockerfiles.items():
            for name in configured:
                stage = dockerfile.stage(name)
                if stage is not None:
                    graph = built(path, stage, {})
                    record = ship(path, stage, ShipReason("config", ""), graph)
                    add_runner(Runner("config", "", dockerfile, stage, graph, record.context), record)
    else:
        for bake in dep.bakes:
            for target in bake.targets.values():
                build = dep.target_builds.get((bake.path, target.name))
                if build is None or bake.is_template(target.name):
                    continue
                production_refs.add(build[0])
                stage = stage_of(*build)
                if stage is None or target.name.lower() in ephemeral or stage.label in ephemeral:
                    continue
                graph = built(build[0], stage, target.args)
                record = ship(build[0], stage, ShipReason("bake", target.name), graph)
                add_runner(
                    Runner(
                        "bake", target.name, record.dockerfile, stage, graph, record.context, target=target, bake=bake
                    ),
                    record,
                )
        for compose in dep.composes:
            deployed = compose.development is None
            for service in compose.services.values():
                build = dep.service_builds.get((compose.path, service.name))
                if build is None:
                    continue
                if deployed:
                    production_refs.add(build[0])
                stage = stage_of(*build)
                if stage is None:
                    continue
                graph = built(build[0], stage, service.build.args if service.build else {})
                dockerfile = dep.dockerfiles[build[0]]
                runs_in_production = (
                    deployed
                    and not service.profiles
                    and service.name.lower() not in ephemeral
                    and stage.label not in ephemeral
                )
                record = (
                    ship(build[0], stage, ShipReason("compose", service.name), graph, service)
                    if runs_in_production
                    else None
                )
                runner = Runner(
                    "compose",
                    service.name,
                    dockerfile,
                    stage,
                    graph,
                    dep.context_of(dockerfile),
                    service=service,
                    compose=compose,
                    deployed=runs_in_production,
                )
                add_runner(runner, record)
        for path, name in captains.items():
            production_refs.add(path)
            stage = dep.dockerfiles[path].stages[-1]
            graph = built(path, stage, {})
            record = ship(path, stage, ShipReason("captain", name), graph)
            add_runner(Runner("captain", name, record.dockerfile, stage, graph, record.context), record)
        referenced_by_dev = {
            b[0]: b[1] for (compose_path, _), b in dep.service_builds.items() if b[0] not in production_refs
        }
        for path, dockerfile in dep.dockerfiles.items():
            if path in production_refs or development_dockerfile(path, dep.root):
                continue
            stage = dockerfile.stages[-1]
            if path in referenced_by_dev and referenced_by_dev[path] == stage.label:
                continue  # the last stage is the one a development stack builds
            graph = built(path, stage, {})
            record = ship(path, stage, ShipReason("default", ""), graph)
            add_runner(Runner("default", "", dockerfile, stage, graph, record.context), record)
    _link_image_services(dep, records, ephemeral, add_runner, ship, built)
    dep.shipped = sorted(records.values(), key=lambda s: (str(s.dockerfile.path), s.stage.index))


def _link_image_services(dep, records, ephemeral, add_runner, ship, built) -> None:  # noqa: ANN001
    """Compose services that run an image (no `build:`) built by a bake target, by another
    service of the same file, or named after the project whose one Dockerfile builds it."""
    project = _project_names(dep.root)
    defaults = [s for s in records.values() if any(r.kind in ("default", "captain") for r in s.reasons)]
    for compose in dep.composes:
        deployed = compose.development is None
        for service in compose.services.values():
            if service.build is not None or not service.image:
                continue
            found = _image_source(dep, compose, service, project, defaults)
            if found is None:  # an image built elsewhere: only its command, user, replicas are known
                runs_in_production = deployed and not service.profiles and service.name.lower() not in ephemeral
                runner = Runner(
                    "compose",
                    service.name,
                    None,
                    None,
                    None,
                    None,
                    service=service,
                    compose=compose,
                    deployed=runs_in_production,
                )
                add_runner(runner, None)
                continue
            path, stage, args, how = found
            runs_in_production = (
                deployed
                and not service.profiles
                and service.name.lower() not in ephemeral
                and stage.label not in ephemeral
            )
            graph = built(path, stage, args)
            record = records.get((path, stage.index))
            if runs_in_production:
                record = ship(
                    path, stage, ShipReason("compose", service.name), record.graph if record else graph, service
                )
            dockerfile = dep.dockerfiles[path]
            runner = Runner(
                "compose",
                service.name,
                dockerfile,
                stage,
                record.graph if record else graph,
                dep.context_of(dockerfile),
                service=service,
                compose=compose,
                deployed=runs_in_production,
                linked_by=how,
            )
            add_runner(runner, record if runs_in_production else None)


def _image_source(dep, compose, service, project, defaults):  # noqa: ANN001, ANN202
    image = service.image
    raw = str(service.data.get("image", image))
    # `image: registry/app:${VERSION}` with VERSION unset here: any tag of that repository is it
    variable_tag = "$" in raw.rsplit("/", 1)[-1].partition(":")[2]

    def matches(tag: str) -> bool:
        if variable_tag:
            return parse_ref(tag).repository == parse_ref(image).repository
        return same_image(tag, image)

    for bake in dep.bakes:
        for target in bake.targets.values():
            build = dep.target_builds.get((bake.path, target.name))
            if build is None or not any(matches(tag) for tag in target.tags):
                continue
            dockerfile = dep.dockerfiles.get(build[0])
            stage = (dockerfile.stage(build[1]) if build[1] else dockerfile.stages[-1]) if dockerfile else None
            if stage is not None:
                return build[0], stage, target.args, f"bake target '{target.name}'"
    for builder in compose.builders_of(image):
        build = dep.service_builds.get((compose.path, builder.name))
        if build is None:
            continue
        dockerfile = dep.dockerfiles.get(build[0])
        stage = (dockerfile.stage(build[1]) if build[1] else dockerfile.stages[-1]) if dockerfile else None
        if stage is not None:
            return build[0], stage, builder.build.args if builder.build else {}, f"service '{builder.name}'"
    repository = parse_ref(image).repository.rsplit("/", 1)[-1].lower()
    if repository in project and len(defaults) == 1:
        shipped = defaults[0]
        return shipped.dockerfile.path, shipped.stage, {}, f"the project's name ({repository})"
    return None
