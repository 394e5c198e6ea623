"""Runtime measurements: time from `docker run` to healthy, and idle memory.

Containers are started as the card's Testing Commands start them: web on its own (sqlite in
/data), celery-unified with redis and postgres. Each celery-unified start gets a new, empty
database on the shared postgres, so every start does the same work (its entrypoint migrates).

Each service is started `startup_rounds` times, one start after another, and the figure is the
median: the first start on a postgres that has just started is slower than the rest (its caches
are cold), which a deployed worker, starting against a database that has been up, does not see.

Time to healthy is taken on the client, from just before the container is created and started
(what `docker run -d` does) until the engine reports `healthy` (polled every 0.1 s); the engine's
own figure (StartedAt to the end of the first passing probe) is kept beside it.

Idle memory is what `docker stats` shows: the cgroup's memory usage less its inactive page cache,
`usage - total_inactive_file` on cgroup v1 and `usage - inactive_file` on cgroup v2 (docker/cli,
`calculateMemUsageUnixNoCache` in cli/command/container/stats_helpers.go; docs.docker.com,
"docker container stats"). `dockyard.images.checks.memory.memory_used` computes it from one stats sample.
"""

from __future__ import annotations

import contextlib
import secrets
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from dockyard.core.errors import DockyardError
from dockyard.core.settings import fill
from dockyard.docker import containers
from dockyard.docker.client import Container
from dockyard.docker.containers import ContainerError
from dockyard.images.checks.memory import memory_used
from dockyard.runtime.health import wait_healthy

MB = 1_000_000
SERVICE_READY_SECONDS = 90


class BenchRuntimeError(DockyardError):
    """A container of the runtime measurements did not start or did not turn healthy."""


@dataclass
class Startup:
    image: str
    status: str  # healthy | unhealthy | exited | timeout | none
    seconds: float | None  # client: create+start -> healthy seen
    engine_seconds: float | None  # engine: StartedAt -> end of the passing probe
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def memory_formula(stats: dict[str, Any]) -> str:
    """Which `docker stats` formula a sample allows (cgroup v1 or v2 page-cache names)."""
    details = (stats.get("memory_stats") or {}).get("stats") or {}
    if "total_inactive_file" in details:
        return "usage - total_inactive_file (cgroup v1)"
    if "inactive_file" in details:
        return "usage - inactive_file (cgroup v2)"
    return "usage (no page-cache figure in the stats)"


@dataclass
class MemorySamples:
    """Simultaneous samples of several containers: name -> bytes, one dict per round."""

    rounds: list[dict[str, int]] = field(default_factory=list)
    formula: str = ""

    def median(self, name: str) -> float | None:
        values = [r[name] for r in self.rounds if name in r]
        return statistics.median(values) if values else None

    def median_total(self, names: list[str]) -> float | None:
        """Median over rounds of the sum of the named containers (rounds where all were sampled)."""
        sums = [sum(r[n] for n in names) for r in self.rounds if all(n in r for n in names)]
        return statistics.median(sums) if sums else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "formula": self.formula,
            "rounds_mb": [{k: round(v / MB, 1) for k, v in r.items()} for r in self.rounds],
        }


def seconds_to_healthy(
    image: str, stack: contextlib.ExitStack, timeout: float, **run: Any
) -> tuple[Container | None, Startup]:
    """Start a container (kept running until `stack` closes) and time it to healthy."""
    started = time.monotonic()
    try:
        container = containers.run_container(image, **run)
    except ContainerError as exc:
        return None, Startup(image, "exited", None, None, str(exc))
    stack.callback(_remove, container)
    outcome = wait_healthy(container, timeout, poll=0.1)
    elapsed = time.monotonic() - started
    return container, Startup(
        image=image,
        status=outcome.status,
        seconds=round(elapsed, 2) if outcome.ok else None,
        engine_seconds=outcome.seconds,
        reason=outcome.reason,
    )


def median_startup(
    image: str,
    stack: contextlib.ExitStack,
    timeout: float,
    rounds: int,
    environment: Callable[[], dict[str, str]],
    name_prefix: str = "dockyard-bench",
    **run: Any,
) -> tuple[Container | None, Startup, list[Startup]]:
    """`rounds` starts one after another, each with a new `environment()`; every container but the
    last is removed once timed, the last is kept running until `stack` closes. The figure is the
    median start (so a first start on a database just made does not decide it alone); a start that
    does not turn healthy is the figure instead."""
    starts: list[Startup] = []
    container = None
    for i in range(rounds):
        last = i == rounds - 1
        with contextlib.ExitStack() as one:
            container, startup = seconds_to_healthy(
                image,
                stack if last else one,
                timeout,
                environment=environment(),
                name=containers.unique_name(name_prefix),
                **run,
            )
        starts.append(startup)
        if startup.seconds is None:
            return (container if last else None), startup, starts
    median = statistics.median(s.seconds for s in starts if s.seconds is not None)
    engine = [s.engine_seconds for s in starts if s.engine_seconds is not None]
    figure = Startup(
        image=image,
        status="healthy",
        seconds=round(median, 2),
        engine_seconds=round(statistics.median(engine), 2) if engine else None,
    )
    return container, figure, starts


def sample_memory(named: dict[str, Container], rounds: int, interval: float) -> MemorySamples:
    """`rounds` samples of each running container, `interval` seconds apart."""
    samples = MemorySamples()
    for i in range(rounds):
        row: dict[str, int] = {}
        for name, container in named.items():
            stats = containers.stats(container)
            if not samples.formula:
                samples.formula = memory_formula(stats)
            used = memory_used(stats)
            if used is not None and (stats.get("memory_stats") or {}).get("usage"):
                row[name] = used
        samples.rounds.append(row)
        if i < rounds - 1:
            time.sleep(interval)
    return samples


class Services:
    """redis and postgres on a network of the run for celery-unified, removed with `stack`."""

    def __init__(self, stack: contextlib.ExitStack, redis_image: str, postgres_image: str):
        self.network = stack.enter_context(
            containers.temporary_network(containers.unique_name("dockyard-bench-net"))
        ).name
        self._password = secrets.token_hex(12)
        self._user = "bench"
        self.redis = containers.run_container(
            redis_image, name=containers.unique_name("dockyard-bench-redis"), network=self.network
        )
        stack.callback(_remove, self.redis)
        self.postgres = containers.run_container(
            postgres_image,
            name=containers.unique_name("dockyard-bench-postgres"),
            network=self.network,
            environment={
                "POSTGRES_USER": self._user,
                "POSTGRES_PASSWORD": self._password,
                "POSTGRES_DB": "bench",
            },
        )
        stack.callback(_remove, self.postgres)
        for service in (self.redis, self.postgres):
            outcome = wait_healthy(service, SERVICE_READY_SECONDS)
            if not outcome.ok:
                raise BenchRuntimeError(
                    f"{service.name} ({service.image.tags[0] if service.image.tags else ''}) "
                    f"did not become healthy: {outcome.reason}"
                )
        self._databases = 0

    def environment(self, template: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for one container start (celery-unified; a sample's web too): the site's
        template ([tool.dockyard.environment] and the service's own) filled with a new database and
        redis db number."""
        self._databases += 1
        name = f"bench{self._databases}"
        code, output = containers.exec_text(self.postgres, ["createdb", "--username", self._user, name])
        if code != 0:
            raise BenchRuntimeError(f"could not create database {name}: {output.strip()[:200]}")
        url = f"redis://{self.redis.name}:6379/{self._databases % 16}"
        values = {
            "database_url": f"postgres://{self._user}:{self._password}@{self.postgres.name}:5432/{name}",
            "postgres_host": self.postgres.name,
            "postgres_port": "5432",
            "postgres_db": name,
            "postgres_user": self._user,
            "postgres_password": self._password,
            "broker_url": url,
            "redis_url": url,
            "redis_host": self.redis.name,
            "redis_port": "6379",
            "secret_key": secrets.token_urlsafe(40),
        }
        return {key: fill(value, values) for key, value in (template or REFERENCE_CELERY).items()}


# The reference site's worker, when no template is given.
REFERENCE_CELERY = {
    "DATABASE_URL": "{database_url}",
    "CELERY_BROKER_URL": "{broker_url}",
    "DJANGO_SECRET_KEY": "{secret_key}",
}


def web_environment(template: Mapping[str, str] | None = None) -> dict[str, str]:
    """The web service's template with its secret filled (the web runs alone: no database)."""
    values = {"secret_key": secrets.token_urlsafe(40)}
    return {key: fill(value, values) for key, value in (template or {"DJANGO_SECRET_KEY": "{secret_key}"}).items()}


def _remove(container: Container | None) -> None:
    if container is not None:
        containers.remove_quietly(container)
