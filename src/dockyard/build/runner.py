"""Run `docker buildx bake` for some targets and report what it built."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dockyard.build import bake_print as bake
from dockyard.build import base_images
from dockyard.build.progress import BuildLog, Vertex, step_counts
from dockyard.core.errors import BuildFailed, ConfigError
from dockyard.core.project import Project
from dockyard.docker import client as engine
from dockyard.docker.lock import exclusive_build
from dockyard.dockerfile import stages

SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass
class TargetResult:
    target: str
    tag: str
    size_bytes: int | None
    seconds: float | None  # from the start of the bake until this target's image was written
    cached_steps: int
    total_steps: int


@dataclass
class BuildResult:
    targets: list[TargetResult]
    wall_seconds: float
    cached_steps: int
    total_steps: int
    base_image: str
    log_path: str
    failed_step: dict | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BuildRequest:
    names: list[str]
    no_cache: bool = False
    context_root: Path | None = None  # defaults to the project root
    variables: dict[str, str] = field(default_factory=dict)  # bake variables (REGISTRY, TAG, ...)


def ca_bundle(project: Project) -> str:
    """The CA bundle handed to builds as the `ca-certs` secret ('' for none)."""
    configured = os.environ.get("DOCKYARD_CA_CERTS", project.get("ca_certs", "auto"))
    if configured == "auto":
        return str(SYSTEM_CA_BUNDLE) if SYSTEM_CA_BUNDLE.is_file() else ""
    return configured


def bake_environment(project: Project, variables: dict[str, str], log: Callable[[str], None]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(variables)
    if "BASE_IMAGE" not in variables:
        env["BASE_IMAGE"] = base_images.choose_base_image(
            project.get("base_image"), project.get("local_base_image"), log=log
        )
    env.setdefault("CA_CERTS", ca_bundle(project))
    return env


def run_build(
    project: Project,
    request: BuildRequest,
    on_line: Callable[[str, Vertex | None, BuildLog], None] = lambda line, vertex, log: None,
    log: Callable[[str], None] = print,
) -> BuildResult:
    root = request.context_root or project.root
    bake_file = root / project.get("bake_file")
    if not bake_file.is_file():
        raise ConfigError(f"bake file not found: {bake_file}")
    engine.client()  # fail early, with one line, when the daemon is down
    env = bake_environment(project, request.variables, log)
    definition = bake.load_definition(bake_file, cwd=root, env=env)
    targets = definition.resolve(request.names)
    dockerfile_text = (root / project.get("dockerfile")).read_text(encoding="utf-8")
    graph = stages.parse_stages(dockerfile_text, root / project.get("dockerfile"))

    log_dir = project.root / ".dockyard" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"bake-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    argv = bake.bake_argv(bake_file, targets, no_cache=request.no_cache)

    build_log = BuildLog()
    tag_times: dict[str, float] = {}
    with exclusive_build(log), open(log_path, "w", encoding="utf-8") as sink:
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                sink.write(line)
                vertex = build_log.feed(line)
                for tag in build_log.named_tags:
                    tag_times.setdefault(tag, time.monotonic() - start)
                on_line(line.rstrip("\n"), vertex, build_log)
            returncode = proc.wait()
        except BaseException:
            proc.terminate()
            proc.wait(timeout=30)
            raise
    wall = time.monotonic() - start

    if returncode != 0:
        failed = build_log.failed_steps()
        where = f" at [{failed[0].label}] {failed[0].command}" if failed else ""
        reason = build_log.failure or (failed[0].error if failed else "see the log")
        raise BuildFailed(f"bake of {', '.join(targets)} failed{where}: {reason} (log: {log_path}; "
                          f"details: invoke troubleshoot.build {targets[0]})")

    results = []
    for name in targets:
        target = definition.targets[name]
        tag = target.tags[0] if target.tags else ""
        cached, total = step_counts(build_log, stages.stage_closure(graph, target.stage))
        results.append(TargetResult(
            target=name, tag=tag, size_bytes=_image_size(tag), seconds=_round(tag_times.get(tag)),
            cached_steps=cached, total_steps=total,
        ))
    cached, total = step_counts(build_log)
    return BuildResult(targets=results, wall_seconds=round(wall, 1), cached_steps=cached, total_steps=total,
                       base_image=env["BASE_IMAGE"], log_path=str(log_path))


def _image_size(tag: str) -> int | None:
    if not tag:
        return None
    import docker.errors

    try:
        return int(engine.client().images.get(tag).attrs["Size"])
    except docker.errors.ImageNotFound:
        return None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
