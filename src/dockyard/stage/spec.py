"""What the stage runs, decided without the Engine: one Swarm service per service of the site, the proxy.

The services and their roles come from `[tool.dockyard.services]`: the `web` service, every
`worker`, the `database` and the `broker`. Each one's environment and command come from the
project's compose test file (the same service names; `test.compose` runs the same file), so the
stage needs no knowledge of the site's variables. Inside the stage's overlay network every
service answers to its own name (a network alias), as in compose: `postgres`, `redis`, `web`.

How each kind is updated is CapRover's way, with the flags measured in docs/stage.md:

* web: `start-first`, health-gated (a new task enters DNS only once healthy), the first failed
  task rolls the update back (`failure_action rollback`, `max_failure_ratio 0`), the rollback
  also start-first; the image's health test is kept, its timings come from `[tool.dockyard.stage]`;
* worker (Celery worker with embedded beat): one replica, `stop-first` both ways: with
  start-first two beats overlap for a moment and a periodic task runs twice;
* database and broker: one replica each, never updated by a deploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dockyard.core.errors import ConfigError
from dockyard.core.project import Project
from dockyard.core.run import kept_labels
from dockyard.core.settings import DEFAULT_WEB_PORT, StageSettings
from dockyard.docker.swarm import ServiceSpec, UpdatePolicy
from dockyard.dockerfile.compose import ComposeFile, load_compose, service_environment

STAGE_LABEL = "dockyard.stage"  # every service, network and container of a stage: its name
ROLE_LABEL = "dockyard.stage.role"
STAGE_ROLES = ("database", "broker", "web", "worker")  # also the order they start in
SERVER_PREFIX = "swarm:"  # what the deploy history records as the server of a stage deploy


def stage_labels(name: str) -> dict[str, str]:
    """The labels of everything a stage creates: the stage's name and the run that made it, as
    what a run keeps on purpose (a stage outlives `stage.up`; `stage.down` removes it, and the
    reaper of killed runs never takes it for a dead run's leftovers)."""
    return {STAGE_LABEL: name, **kept_labels()}


def server_name(settings: StageSettings) -> str:
    return SERVER_PREFIX + settings.name


@dataclass(frozen=True)
class StageService:
    service: str  # the name in [tool.dockyard.services], the compose file and the network's DNS
    role: str
    spec: ServiceSpec
    final_replicas: int  # web starts with one task (it migrates alone), then scales to this


@dataclass(frozen=True)
class ProxySpec:
    name: str  # the container's name
    image: str
    port: int  # on 127.0.0.1; 0: a free one
    upstream: str  # service:port it routes to
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StagePlan:
    name: str
    network: str
    labels: dict[str, str]
    services: tuple[StageService, ...]  # in start order
    proxy: ProxySpec

    def by_role(self, role: str) -> list[StageService]:
        return [s for s in self.services if s.role == role]

    @property
    def web(self) -> StageService:
        return self.by_role("web")[0]

    def swarm_name(self, service: str) -> str:
        for s in self.services:
            if s.service == service:
                return s.spec.name
        known = ", ".join(s.service for s in self.services)
        raise ConfigError(f"service {service!r} is not on the stage (it runs: {known})")


def stage_services(project: Project) -> dict[str, str]:
    """service -> role, for the services the stage runs, in start order; ConfigError when it cannot run."""
    services = project.settings.services
    # The Celery service is the unified one (worker+beat, the card's deployment); the legacy pair
    # (celery-worker + celery-beat) is the alternative the stage runs only when there is none.
    unified = any(s.role == "worker+beat" for s in services.values())
    chosen = {
        name: "worker" if s.role == "worker+beat" else s.role
        for name, s in services.items()
        if s.role in STAGE_ROLES and not (unified and s.role == "worker") or s.role == "worker+beat"
    }
    webs = [n for n, r in chosen.items() if r == "web"]
    if len(webs) != 1:
        raise ConfigError(
            f"the stage needs exactly one service with role web in [tool.dockyard.services], found {len(webs)}"
        )
    for role in STAGE_ROLES:
        if role in ("web", "worker"):
            for name in (n for n, r in chosen.items() if r == role):
                if not services[name].image:
                    raise ConfigError(f"service {name} (role {role}) has no image in [tool.dockyard.services.{name}]")
    return {n: chosen[n] for role in STAGE_ROLES for n in chosen if chosen[n] == role}


def swarm_name(settings: StageSettings, service: str) -> str:
    return f"{settings.name}-{service}"


def plan_stage(
    project: Project,
    images: dict[str, str],
    compose: ComposeFile | None = None,
    port: int | None = None,
    env: dict[str, str] | None = None,
) -> StagePlan:
    """The stage for `images` (service -> image reference, every stage service included)."""
    settings = project.settings.stage
    roles = stage_services(project)
    if compose is None:
        path = project.path("compose_file")
        if not path.is_file():
            raise ConfigError(f"compose file not found: {path} (the stage takes each service's environment from it)")
        compose = load_compose(path)
    labels = stage_labels(settings.name)
    network = f"{settings.name}-net"
    services = []
    for service, role in roles.items():
        if service not in compose.services:
            raise ConfigError(
                f"service {service} is not in {compose.path}: the stage takes each service's environment from it"
            )
        if service not in images:
            raise ConfigError(f"no image chosen for stage service {service}")
        composed = compose.services[service]
        command = composed.command if isinstance(composed.command, list) else None
        if isinstance(composed.command, str):
            command = ["sh", "-c", composed.command]
        spec = ServiceSpec(
            name=swarm_name(settings, service),
            image=images[service],
            network=network,
            aliases=(service,),
            env=service_environment(composed, env),
            command=command,
            replicas=1,
            labels={**labels, ROLE_LABEL: role},
            **_update_settings(settings, role),
        )
        final = settings.web_replicas if role == "web" else 1
        services.append(StageService(service, role, spec, final))
    web = next(s for s in services if s.role == "web")
    proxy = ProxySpec(
        name=f"{settings.name}-proxy",
        image=settings.proxy_image,
        port=settings.port if port is None else port,
        upstream=f"{web.service}:{_web_port(project, web.service)}",
        labels={**labels, ROLE_LABEL: "proxy"},
    )
    return StagePlan(settings.name, network, labels, tuple(services), proxy)


def _web_port(project: Project, service: str) -> int:
    if project.settings.stage.web_port:
        return project.settings.stage.web_port
    known = project.settings.services.get(service)
    return known.web_port if known else DEFAULT_WEB_PORT


def _update_settings(settings: StageSettings, role: str) -> dict:
    if role == "web":
        return {
            "update": UpdatePolicy(order="start-first", failure_action="rollback", monitor=settings.update_monitor),
            "rollback_failure_action": "pause",
            "health_interval": settings.health_interval,
            "health_timeout": settings.health_timeout,
            "health_start_period": settings.health_start_period,
            "health_start_interval": 1.0,
            "health_retries": settings.health_retries,
            "stop_grace_period": settings.stop_grace_period,
        }
    if role == "worker":
        return {
            "update": UpdatePolicy(order="stop-first", failure_action="rollback", monitor=settings.update_monitor),
            "rollback_failure_action": "pause",
            "stop_grace_period": settings.worker_stop_grace_period,
        }
    return {"update": UpdatePolicy(order="stop-first", failure_action="pause", monitor=5.0)}
