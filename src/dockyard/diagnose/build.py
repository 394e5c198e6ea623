"""`troubleshoot.build TARGET`: rebuild with plain progress, then say which step failed and why,
and what the cache did (steps cached or rebuilt, the first cache miss, the build cache's size).

The BuildKit output is read by dockyard.build.progress (the same parser `invoke build.*` uses).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from dockyard.build import progress as bl
from dockyard.build.runner import BuildRequest, run_build
from dockyard.core.errors import BuildFailed
from dockyard.core.project import Project
from dockyard.docker.client import client
from dockyard.docker.containers import redact

_DOCKERFILE_LINE = re.compile(r"^(?P<file>\S*Dockerfile\S*):(?P<line>\d+)\s*$")
_LOG_PATH = re.compile(r"\(log: (?P<path>[^;)]+)")


@dataclass
class StepInfo:
    label: str
    command: str
    seconds: float | None = None


@dataclass
class FailedStep:
    label: str
    stage: str | None
    command: str
    error: str
    output_tail: list[str]
    dockerfile_line: str | None  # e.g. "deployment/Dockerfile.multistage:42"


@dataclass
class CacheState:
    cached_steps: int
    total_steps: int
    first_miss: StepInfo | None  # the first step (in build order) that did not come from the cache
    rebuilt: list[StepInfo]  # steps that ran, slowest first
    cache_entries: int | None  # the engine's build cache (docker system df)
    cache_bytes: int | None
    reclaimable_bytes: int | None


@dataclass
class BuildDiagnosis:
    target: str
    ok: bool
    seconds: float | None
    failure: str | None
    failed_step: FailedStep | None
    cache: CacheState
    log_path: str | None
    tags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def failed_step(log: bl.BuildLog, log_lines: list[str], tail: int = 15) -> FailedStep | None:
    failed = log.failed_steps()
    if not failed:
        return None
    step = failed[0]
    where = None
    for line in log_lines:
        if m := _DOCKERFILE_LINE.match(line.strip()):
            where = f"{m.group('file')}:{m.group('line')}"
            break
    return FailedStep(
        label=step.label,
        stage=step.stage,
        command=redact(step.command),
        error=redact(step.error or log.failure or ""),
        output_tail=[redact(line) for line in step.output[-tail:]],
        dockerfile_line=where,
    )


def short_error(error: str) -> str:
    """BuildKit's `process "..." did not complete successfully: exit code: 3` -> `exit code 3`."""
    m = re.search(r"did not complete successfully: (.*)$", error)
    return m.group(1).replace("exit code: ", "exit code ") if m else error


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def cache_state(log: bl.BuildLog, rebuilt_limit: int = 8) -> CacheState:
    cached, total = bl.step_counts(log)
    steps = [v for v in log.steps if not v.command.startswith("FROM ")]
    miss = next((v for v in steps if not v.cached), None)
    ran = sorted(
        (v for v in steps if not v.cached and v.done), key=lambda v: v.seconds or 0.0, reverse=True
    )[:rebuilt_limit]
    entries = size = reclaimable = None
    try:
        records = client().df().get("BuildCache") or []
        entries = len(records)
        size = sum(int(r.get("Size") or 0) for r in records)
        reclaimable = sum(
            int(r.get("Size") or 0) for r in records if not r.get("InUse") and not r.get("Shared")
        )
    except Exception:  # the cache figure is a bonus; the build result stands without it
        pass
    return CacheState(
        cached_steps=cached,
        total_steps=total,
        first_miss=StepInfo(miss.label, redact(miss.command), miss.seconds) if miss else None,
        rebuilt=[StepInfo(v.label, redact(v.command), v.seconds) for v in ran],
        cache_entries=entries,
        cache_bytes=size,
        reclaimable_bytes=reclaimable,
    )


def diagnose_build(
    project: Project,
    target: str,
    *,
    no_cache: bool = False,
    variables: dict[str, str] | None = None,
    on_line: Callable[[str], None] = lambda line: None,
    log: Callable[[str], None] = print,
) -> BuildDiagnosis:
    """Rebuild `target` (plain progress) and diagnose it; a failed build is a result, not an exception."""
    captured: dict[str, bl.BuildLog] = {}
    lines: list[str] = []

    def collect(line: str, vertex: bl.Vertex | None, build_log: bl.BuildLog) -> None:
        captured["log"] = build_log
        lines.append(line)
        on_line(line)

    request = BuildRequest(names=[target], no_cache=no_cache, variables=dict(variables or {}))
    try:
        result = run_build(project, request, on_line=collect, log=log)
    except BuildFailed as exc:
        build_log = captured.get("log", bl.BuildLog())
        m = _LOG_PATH.search(str(exc))
        step = failed_step(build_log, lines)
        failure = (
            f"[{step.label}] {_short(step.command, 100)} failed: {short_error(step.error)}"
            if step
            else (build_log.failure or str(exc))
        )
        return BuildDiagnosis(
            target=target,
            ok=False,
            seconds=None,
            failure=failure,
            failed_step=step,
            cache=cache_state(build_log),
            log_path=m.group("path").strip() if m else None,
        )
    build_log = captured.get("log", bl.BuildLog())
    return BuildDiagnosis(
        target=target,
        ok=True,
        seconds=result.wall_seconds,
        failure=None,
        failed_step=None,
        cache=cache_state(build_log),
        log_path=result.log_path,
        tags=[t.tag for t in result.targets],
    )
