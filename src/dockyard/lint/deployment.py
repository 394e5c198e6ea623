"""The deployment as one model: parsed files, which stage each bake target or compose service
builds, and which stages end up in images that run ("shipped")."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.settings import LintSettings
from dockyard.dockerfile.bake import BakeError, BakeFile, BakeTarget, PendingBake, start_bake
from dockyard.dockerfile.compose import ComposeError, ComposeFile, Service, load_compose
from dockyard.dockerfile.graph import CopyEdge, StageGraph
from dockyard.dockerfile.parser import (
    Dockerfile,
    DockerfileSyntaxError,
    Stage,
    parse_dockerfile,
)
from dockyard.lint.discover import DeploymentFiles
from dockyard.lint.model import LintFinding


@dataclass(frozen=True)
class ShipReason:
    kind: str  # "bake", "compose", "default", "config"
    name: str  # bake target / compose service / ""

    def __str__(self) -> str:
        return {
            "bake": f"bake target '{self.name}'",
            "compose": f"compose service '{self.name}'",
            "default": "the last stage, which a plain docker build makes",
            "config": "[tool.dockyard.lint] runtime_stages",
        }[self.kind]


@dataclass
class Shipped:
    """A stage whose image runs somewhere, and why we think so."""

    dockerfile: Dockerfile
    stage: Stage
    graph: StageGraph
    context: Path
    reasons: list[ShipReason] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)  # compose services that run it

    @property
    def via(self) -> str:
        return ", ".join(str(r) for r in self.reasons)

    @property
    def needs_own_healthcheck(self) -> bool:
        """Shipped through bake or a plain build: the image's own HEALTHCHECK is all there is."""
        return any(r.kind != "compose" for r in self.reasons) or any(not s.healthcheck for s in self.services)


@dataclass
class Deployment:
    files: DeploymentFiles
    root: Path  # where relative bake contexts start (the project root)
    dockerfiles: dict[Path, Dockerfile] = field(default_factory=dict)
    contexts: dict[Path, Path] = field(default_factory=dict)  # Dockerfile -> build context
    bakes: list[BakeFile] = field(default_factory=list)
    composes: list[ComposeFile] = field(default_factory=list)
    shipped: list[Shipped] = field(default_factory=list)
    # bake targets / compose services resolved to (Dockerfile, stage name or None)
    target_builds: dict[tuple[Path, str], tuple[Path, str | None]] = field(default_factory=dict)
    service_builds: dict[tuple[Path, str], tuple[Path, str | None]] = field(default_factory=dict)
    problems: list[LintFinding] = field(default_factory=list)  # files that could not be read at all
    missing_dockerfiles: list[tuple[Path, int, str, str]] = field(default_factory=list)  # file, line, who, path
    notes: list[str] = field(default_factory=list)
    bake_parser: str | None = None
    _graphs: dict[tuple[Path, tuple[tuple[str, str], ...]], StageGraph] = field(default_factory=dict)

    def graph(self, dockerfile: Dockerfile, args: dict[str, str] | None = None) -> StageGraph:
        key = (dockerfile.path, tuple(sorted((args or {}).items())))
        if key not in self._graphs:
            self._graphs[key] = StageGraph(dockerfile, args)
        return self._graphs[key]

    def shipped_in(self, dockerfile: Dockerfile) -> list[Shipped]:
        return [s for s in self.shipped if s.dockerfile is dockerfile]

    def shipping_lineages(self, dockerfile: Dockerfile, stage: Stage) -> list[Shipped]:
        """Shipped stages whose image contains `stage`'s layers (it is in their FROM chain)."""
        return [s for s in self.shipped_in(dockerfile) if stage in s.graph.lineage(s.stage)]

    def copies_into_shipped(self, dockerfile: Dockerfile, stage: Stage) -> list[tuple[Shipped, CopyEdge]]:
        """COPY --from=`stage` edges inside the FROM chain of a shipped stage."""
        out = []
        for shipped in self.shipped_in(dockerfile):
            for member in shipped.graph.lineage(shipped.stage):
                for edge in shipped.graph.copy_edges(member):
                    if edge.source_stage is stage and edge.instruction.cmd in ("COPY", "ADD"):
                        out.append((shipped, edge))
        return out

    def service_stage(self, compose: ComposeFile, service: Service) -> tuple[Dockerfile, Stage] | None:
        """The stage a compose service runs: its build, or the bake target of its image."""
        build = self.service_builds.get((compose.path, service.name))
        if build is None and service.image:
            for bake in self.bakes:
                for target in bake.targets.values():
                    if service.image in target.tags and (bake.path, target.name) in self.target_builds:
                        build = self.target_builds[(bake.path, target.name)]
                        break
        if build is None or build[0] not in self.dockerfiles:
            return None
        dockerfile = self.dockerfiles[build[0]]
        stage = dockerfile.stage(build[1]) if build[1] else dockerfile.stages[-1]
        return (dockerfile, stage) if stage is not None else None


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
                    "DY015",
                    exc.path,
                    exc.line,
                    f"bake file cannot be evaluated: {exc.detail}",
                    severity="error",
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
            dep.service_builds[(compose.path, service.name)] = (
                dockerfile_path,
                service.build.target,
            )
    _resolve_shipped(dep, options)
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
                "DY000",
                path,
                exc.line,
                f"BuildKit cannot parse this Dockerfile: {exc.detail}",
                severity="error",
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


def _resolve_shipped(dep: Deployment, options: LintSettings) -> None:
    ephemeral = {n.lower() for n in options.ephemeral}
    configured = [n.lower() for n in options.runtime_stages]
    records: dict[tuple[Path, int], Shipped] = {}

    def ship(
        path: Path,
        stage_name: str | None,
        reason: ShipReason,
        args: dict[str, str],
        service: Service | None = None,
    ) -> None:
        dockerfile = dep.dockerfiles.get(path)
        if dockerfile is None:
            return
        stage = dockerfile.stage(stage_name) if stage_name else dockerfile.stages[-1]
        if stage is None:  # an unknown stage: the bake/compose rule reports it
            return
        key = (path, stage.index)
        if key not in records:
            context = dep.contexts.get(path, path.parent)
            records[key] = Shipped(dockerfile, stage, dep.graph(dockerfile, args), context)
        record = records[key]
        if reason not in record.reasons:
            record.reasons.append(reason)
        if service is not None and service not in record.services:
            record.services.append(service)

    if configured:
        for path, dockerfile in dep.dockerfiles.items():
            for name in configured:
                if dockerfile.stage(name) is not None:
                    ship(path, name, ShipReason("config", ""), {})
    else:
        for bake in dep.bakes:
            for target in bake.targets.values():
                build = dep.target_builds.get((bake.path, target.name))
                if build is None or target.name.lower() in ephemeral or (build[1] or "") in ephemeral:
                    continue
                ship(build[0], build[1], ShipReason("bake", target.name), target.args)
        for compose in dep.composes:
            for service in compose.services.values():
                if service.name.lower() in ephemeral:
                    continue
                build = dep.service_builds.get((compose.path, service.name))
                if build is not None:
                    if (build[1] or "") in ephemeral:
                        continue
                    ship(
                        build[0],
                        build[1],
                        ShipReason("compose", service.name),
                        service.build.args if service.build else {},
                        service,
                    )
        referenced = {b[0] for b in dep.target_builds.values()} | {b[0] for b in dep.service_builds.values()}
        for path in dep.dockerfiles:
            if path not in referenced:
                ship(path, None, ShipReason("default", ""), {})
    # compose services that run a bake-built image by its tag
    for compose in dep.composes:
        for service in compose.services.values():
            if service.build is not None or service.name.lower() in ephemeral:
                continue
            found = dep.service_stage(compose, service)
            if found is not None:
                record = records.get((found[0].path, found[1].index))
                if record is not None and service not in record.services:
                    record.services.append(service)
    dep.shipped = sorted(records.values(), key=lambda s: (str(s.dockerfile.path), s.stage.index))
