"""Run `docker buildx bake` for some targets and report what it built.

BuildKit's progress comes as JSON (`--progress=rawjson`, read by dockyard.build.progress), the
images bake wrote from its `--metadata-file`; the Dockerfile model says which stages each target
is built from and where a failing step is. The progress is also written, in BuildKit's plain
format, to a log under .dockyard/logs/.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from dockyard.build.base_images import BASE_ARG, check_pullable, choose_image, project_base_image, uses_base_arg
from dockyard.build.failure import BuildFailed, failed_step
from dockyard.build.preflight import refuse_unbuildable, target_dockerfile
from dockyard.build.progress import BuildProgress, RawJsonReader, Update, step_counts
from dockyard.build.revision import label_overrides
from dockyard.core import run_record
from dockyard.core.errors import ConfigError
from dockyard.core.project import Project
from dockyard.core.run import run_labels
from dockyard.core.tempdirs import run_tempdir
from dockyard.docker import buildx, cli
from dockyard.docker.client import client
from dockyard.docker.images import image_size
from dockyard.docker.lock import exclusive_build
from dockyard.dockerfile.bake import BakeFile, BakeTarget, load_bake
from dockyard.dockerfile.graph import StageGraph, refuse_cycles, stage_closure
from dockyard.dockerfile.parser import Dockerfile, parse_dockerfile

SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass
class TargetResult:
    target: str
    tag: str  # the first tag bake wrote (all of them in `tags`)
    size_bytes: int | None
    seconds: float | None  # from the start of the bake until this target's image was written
    cached_steps: int
    total_steps: int
    tags: list[str] = field(default_factory=list)


@dataclass
class BuildResult:
    targets: list[TargetResult]
    wall_seconds: float
    cached_steps: int
    total_steps: int
    base_image: str
    log_path: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BuildRequest:
    names: list[str]
    no_cache: bool = False
    context_root: Path | None = None  # defaults to the project root
    variables: dict[str, str] = field(default_factory=dict)  # bake variables (REGISTRY, TAG, ...)
    labels: dict[str, str] = field(default_factory=dict)  # put on every image built (the commit, ...)
    # target -> registry image to take cache from ("": none yet, only write the cache inline)
    cache_from: dict[str, str] = field(default_factory=dict)
    # The tags are the run's own (e.g. `images-<run id>`): the images get the run's labels, and the
    # tags go into the run's record before the build, so a killed run's images are reaped.
    owned: bool = False


def cache_overrides(cache_from: dict[str, str]) -> list[str]:
    """bake `--set` values for a registry cache (environment.md's recipe for the `docker` driver):
    the image carries its cache inline (`cache-to=type=inline`, the only exporter that driver has),
    and the build imports the cache of the image pushed earlier (`cache-from=type=registry`)."""
    overrides = []
    for target, ref in cache_from.items():
        overrides.append(f"{target}.cache-to=type=inline")
        if ref:
            overrides.append(f"{target}.cache-from=type=registry,ref={ref}")
    return overrides


def ca_bundle(project: Project) -> str:
    """The CA bundle handed to builds as the `ca-certs` secret ('' for none)."""
    configured = os.environ.get("DOCKYARD_CA_CERTS", project.settings.ca_certs)
    if configured == "auto":
        return str(SYSTEM_CA_BUNDLE) if SYSTEM_CA_BUNDLE.is_file() else ""
    return configured


def bake_environment(
    project: Project, variables: dict[str, str], log: Callable[[str], None], root: Path | None = None
) -> dict[str, str]:
    """The environment bake evaluates its file in: ours, the request's variables, BASE_IMAGE and
    CA_CERTS. BASE_IMAGE set in the environment is used as it is; otherwise, when the project's
    Dockerfile takes it as an argument, the upstream image or its local stand-in."""
    env = dict(os.environ)
    env.update(variables)
    if not env.get(BASE_ARG, "").strip():  # the caller's or the environment's BASE_IMAGE wins
        env.pop(BASE_ARG, None)
        dockerfile_path = (root or project.root) / project.settings.dockerfile
        dockerfile = parse_dockerfile(dockerfile_path) if dockerfile_path.is_file() else None
        if dockerfile is not None and uses_base_arg(dockerfile):
            settings = project.settings
            upstream = project_base_image(settings.base_image, dockerfile)
            env[BASE_ARG] = choose_image(upstream, settings.local_base_image, log=log)
    env.setdefault("CA_CERTS", ca_bundle(project))
    return env


def run_build(
    project: Project,
    request: BuildRequest,
    on_update: Callable[[Update], None] = lambda update: None,
    log: Callable[[str], None] = lambda message: None,
) -> BuildResult:
    """Bake `request.names`; raises BuildFailed (with the failing step) when bake fails."""
    root = request.context_root or project.root
    bake_file = root / project.settings.bake_file
    if not bake_file.is_file():
        raise ConfigError(f"bake file not found: {bake_file}")
    # before any Engine contact: the names exist, each Dockerfile reads and parses, no stage cycle
    refuse_unbuildable(root, bake_file, request.names, request.variables)
    client()  # fail early, with one line, when the daemon is down
    env = bake_environment(project, request.variables, log, root)
    definition = load_bake(bake_file, parser="buildx", cwd=root, env=env)
    targets = definition.resolve(request.names)
    dockerfiles = _dockerfiles(root, definition, targets)
    for name in targets:  # one line naming what to change, before BuildKit fails on a pull
        check_pullable(dockerfiles[name], dict(definition.targets[name].args))
    for name in targets:  # again with the variables the build really gets: never a cycle to BuildKit
        refuse_cycles(dockerfiles[name], definition.targets[name].args)

    log_dir = project.root / ".dockyard" / "logs"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # e.g. .dockyard is a file
        raise ConfigError(f"cannot create the build log directory {log_dir}: {exc.strerror or exc}") from None
    log_path = log_dir / f"bake-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    progress = BuildProgress()
    overrides = label_overrides(request.labels) + cache_overrides(request.cache_from)
    if request.owned:
        run_record.note_tags([tag for name in targets for tag in definition.targets[name].tags])
        overrides += [f"*.labels.{key}={value}" for key, value in run_labels().items()]
    with run_tempdir("bake") as tmp:
        metadata_file = tmp / "metadata.json"
        argv = buildx.bake_argv(bake_file, targets, metadata_file, no_cache=request.no_cache, overrides=overrides)
        with exclusive_build(log), open(log_path, "w", encoding="utf-8") as sink:
            start = time.monotonic()
            returncode = _stream(argv, root, env, progress, sink, on_update)
        wall = time.monotonic() - start
        metadata = buildx.read_metadata(metadata_file)

    if returncode != 0:
        raise BuildFailed(targets, str(log_path), failed_step(progress, dockerfiles), progress.failure)

    began = progress.started_at()
    results = []
    for name in targets:
        target = definition.targets[name]
        tags = buildx.image_names(metadata.get(name, {})) or list(target.tags)
        tag = tags[0] if tags else ""
        cached, total = step_counts(progress, target_stages(dockerfiles[name], target))
        written = progress.export_completed(name, only_target=len(targets) == 1)
        results.append(
            TargetResult(
                target=name,
                tag=tag,
                size_bytes=image_size(tag) if tag else None,
                seconds=round((written - began).total_seconds(), 1) if written and began else None,
                cached_steps=cached,
                total_steps=total,
                tags=tags,
            )
        )
    if request.owned:  # what bake wrote, should it differ from what the definition said
        run_record.note_tags([tag for result in results for tag in result.tags])
    cached, total = step_counts(progress)
    return BuildResult(
        targets=results,
        wall_seconds=round(wall, 1),
        cached_steps=cached,
        total_steps=total,
        base_image=env.get(BASE_ARG) or _first_base(dockerfiles, definition, targets),
        log_path=str(log_path),
    )


def target_stages(dockerfile: Dockerfile, target: BakeTarget) -> set[str]:
    """The stages a target's build runs: its stage and what it is built from, with `--from` values
    expanded under the target's bake args, as BuildKit expands them."""
    stage = target.stage or dockerfile.stages[-1].label
    return stage_closure(StageGraph(dockerfile, target.args), stage)


def _dockerfiles(root: Path, definition: BakeFile, targets: list[str]) -> dict[str, Dockerfile]:
    parsed: dict[Path, Dockerfile] = {}
    out = {}
    for name in targets:
        path = target_dockerfile(root, definition.targets[name])
        if path not in parsed:  # named relative to the build's root in messages: Dockerfile:7
            parsed[path] = replace(parse_dockerfile(path), path=_relative(path, root))
        out[name] = parsed[path]
    return out


def _first_base(dockerfiles: dict[str, Dockerfile], definition: BakeFile, targets: list[str]) -> str:
    """The external image the first target's stages start from (for the report)."""
    if not targets:
        return ""
    graph = StageGraph(dockerfiles[targets[0]], dict(definition.targets[targets[0]].args))
    return graph.base_image(graph.dockerfile.stages[0]) or "scratch"


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.resolve().relative_to(root.resolve())
    except ValueError:
        return path


def _stream(argv, root, env, progress: BuildProgress, sink, on_update) -> int:  # noqa: ANN001
    """Run bake, feeding its progress to `progress`, the log and `on_update`; its exit code."""
    proc = buildx.start_bake(argv, cwd=root, env=env)
    reader = RawJsonReader()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            for item in reader.feed(line):
                for update in progress.apply(item):
                    for text in update.lines:
                        sink.write(text + "\n")
                    on_update(update)
        for item in reader.close():
            for update in progress.apply(item):
                on_update(update)
        return proc.wait()
    except BaseException:  # interrupted: bake must not go on writing images after the cleanup
        cli.stop(proc, grace=30)
        raise
