"""`troubleshoot.build TARGET`: rebuild, then say which step failed and why, and what the cache
did (steps cached or rebuilt, the first cache miss, the build cache's size).

The build is dockyard.build's (`invoke build.*` uses the same): its progress comes from
BuildKit as JSON, its failure as a BuildFailed that carries the failing step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from dockyard.build.cache import cache_usage
from dockyard.build.failure import BuildFailed, FailedStep, short_error
from dockyard.build.progress import BuildProgress, Update, step_counts
from dockyard.build.runner import BuildRequest, run_build
from dockyard.core.errors import DockyardError
from dockyard.core.project import Project
from dockyard.core.redact import redact
from dockyard.docker.client import ENGINE_ERRORS


@dataclass
class StepInfo:
    label: str
    command: str
    seconds: float | None = None


@dataclass
class CacheState:
    cached_steps: int
    total_steps: int
    first_miss: StepInfo | None  # the first step (in build order) that did not come from the cache
    rebuilt: list[StepInfo]  # steps that ran, slowest first
    cache_entries: int | None  # the engine's build cache (its build-cache records)
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
        data = asdict(self)
        if self.failed_step is not None:
            data["failed_step"] = self.failed_step.to_dict()
        return data


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def cache_state(progress: BuildProgress, rebuilt_limit: int = 8) -> CacheState:
    cached, total = step_counts(progress)
    steps = [v for v in progress.steps if not v.command.startswith("FROM ")]
    miss = next((v for v in steps if not v.cached), None)
    ran = sorted((v for v in steps if not v.cached and v.done), key=lambda v: v.seconds or 0.0, reverse=True)
    entries = size = reclaimable = None
    try:
        usage = cache_usage()
        entries, size, reclaimable = usage.records, usage.total, usage.reclaimable
    except (DockyardError, *ENGINE_ERRORS):  # the cache figure is a bonus; the build result stands without it
        pass
    return CacheState(
        cached_steps=cached,
        total_steps=total,
        first_miss=StepInfo(miss.label, redact(miss.command), miss.seconds) if miss else None,
        rebuilt=[StepInfo(v.label, redact(v.command), v.seconds) for v in ran[:rebuilt_limit]],
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
    on_update: Callable[[Update], None] = lambda update: None,
    log: Callable[[str], None] = lambda message: None,
) -> BuildDiagnosis:
    """Rebuild `target` and diagnose it; a failed build is a result, not an exception."""
    seen: list[BuildProgress] = []

    def collect(update: Update) -> None:
        if not seen:
            seen.append(update.progress)
        on_update(update)

    request = BuildRequest(names=[target], no_cache=no_cache, variables=dict(variables or {}))
    try:
        result = run_build(project, request, on_update=collect, log=log)
    except BuildFailed as exc:
        progress = seen[0] if seen else BuildProgress()
        step = exc.step
        failure = (
            f"[{step.label}] {_short(step.command, 100)} failed: {short_error(step.error)}"
            if step
            else exc.cause
        )
        return BuildDiagnosis(
            target=target,
            ok=False,
            seconds=None,
            failure=failure,
            failed_step=step,
            cache=cache_state(progress),
            log_path=exc.log_path,
        )
    progress = seen[0] if seen else BuildProgress()
    return BuildDiagnosis(
        target=target,
        ok=True,
        seconds=result.wall_seconds,
        failure=None,
        failed_step=None,
        cache=cache_state(progress),
        log_path=result.log_path,
        tags=[t.tag for t in result.targets],
    )
