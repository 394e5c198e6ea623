"""The compose test stack (deployment/docker-compose.test.yml): images chosen, up, wait, state, down.

Every stack gets a project name unique to the run, so two runs (or a developer's own
`docker compose up`) never share containers, networks or volumes, and an override file that
gives each of them the run's labels (dockyard.core.run), so a killed run's stack is reaped. The services and their order
come from the compose file (dependencies first); what each one is (its role, for messages)
from `[tool.dockyard.services]`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from dockyard.build.base_images import choose_base_image
from dockyard.core.errors import DockyardError
from dockyard.core.project import Project
from dockyard.core.run import kept_labels, run_id, run_labels
from dockyard.core.settings import ROLE_WORDS
from dockyard.docker.client import NotFound
from dockyard.docker.compose import ComposeProject
from dockyard.docker.images import image_exists
from dockyard.dockerfile.compose import ComposeFile, load_compose
from dockyard.runtime.health import HealthOutcome, wait_healthy


class StackError(DockyardError):
    """The compose stack could not be brought up, or failed a test."""


@dataclass(frozen=True)
class Stack:
    project: ComposeProject
    services: tuple[str, ...]  # the compose file's services, dependencies first
    roles: dict[str, str]  # service -> what it is, in the words a message uses ("broker")
    web_service: str = "web"  # the service that answers HTTP (role web)

    @property
    def name(self) -> str:
        return self.project.name

    def role(self, service: str) -> str:
        return self.roles.get(service, "service")


@dataclass
class ServiceState:
    service: str
    role: str
    container: str
    status: str  # running | exited | restarting | missing ...
    health: str | None  # healthy | unhealthy | starting | None (no HEALTHCHECK)
    exit_code: int | None
    restart_count: int
    image: str

    @property
    def ok(self) -> bool:
        return self.status == "running" and self.health in (None, "healthy")

    def describe(self) -> str:
        """e.g. "the broker (service redis) is exited (code 0)"."""
        what = f"the {self.role} (service {self.service})"
        if self.status == "missing":
            return f"{what} has no container"
        if self.status != "running":
            code = f" (code {self.exit_code})" if self.exit_code is not None else ""
            return f"{what} is {self.status}{code}"
        return f"{what} is {self.health}" if self.health else f"{what} is running"

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def start_order(compose: ComposeFile) -> tuple[str, ...]:
    """The compose file's services, each after the ones it depends on (file order otherwise)."""
    order: list[str] = []

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in order or name in trail or name not in compose.services:
            return
        for dependency in compose.services[name].depends_on:
            visit(dependency.service, (*trail, name))
        order.append(name)

    for name in compose.services:
        visit(name, ())
    return tuple(order)


def label_override(compose: ComposeFile, labels: dict[str, str]) -> dict:
    """A compose file that adds `labels` to every service, network and volume of `compose`
    (external ones are not the stack's to label; `default` is the network compose makes itself)."""
    networks = {name for name, external in compose.networks.items() if not external} | {"default"}
    volumes = [name for name, external in compose.volumes.items() if not external]
    return {
        "services": {name: {"labels": dict(labels)} for name in compose.services},
        "networks": {name: {"labels": dict(labels)} for name in sorted(networks)},
        **({"volumes": {name: {"labels": dict(labels)} for name in volumes}} if volumes else {}),
    }


def write_override(compose: ComposeFile, labels: dict[str, str], workdir: Path) -> Path:
    """The label override as a file in `workdir` (JSON is YAML, so compose reads it)."""
    path = workdir / "dockyard-labels.compose.json"
    path.write_text(json.dumps(label_override(compose, labels), indent=1), encoding="utf-8")
    return path


def new_stack(
    project: Project,
    *,
    web_image: str | None = None,
    celery_image: str | None = None,
    name: str | None = None,
    workdir: Path | None = None,
    kept: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> Stack:
    """A stack with a unique project name and every image chosen (local stand-ins where needed).

    With `workdir` (a temp dir of the run, alive until the stack is down), every container,
    network and volume of the stack carries the run's labels (`kept`: the labels of what is left
    running on purpose), through an override file written there."""
    settings = project.settings
    compose_file = project.path("compose_file")
    if not compose_file.is_file():
        raise StackError(f"compose file not found: {compose_file}")
    test = settings.test
    variables = {
        "WEB_IMAGE": web_image or settings.test_web_image or "",
        "CELERY_IMAGE": celery_image or settings.test_celery_image or "",
        "POSTGRES_IMAGE": choose_base_image(test.postgres_image, test.local_postgres_image, log=log),
        "REDIS_IMAGE": choose_base_image(test.redis_image, test.local_redis_image, log=log),
    }
    for key in ("WEB_IMAGE", "CELERY_IMAGE"):
        if not variables[key] or not image_exists(variables[key]):
            raise StackError(
                f"image {variables[key] or '(none configured)'} is not present locally: run invoke build.essential "
                f"(or pass --{key.split('_')[0].lower()}-image)"
            )
    compose = load_compose(compose_file)
    labels = kept_labels() if kept else run_labels()
    return Stack(
        project=ComposeProject(
            name=name or f"dockyard-test-{run_id()}-{uuid.uuid4().hex[:4]}",
            compose_file=compose_file,
            variables=variables,
            override=write_override(compose, labels, workdir) if workdir is not None else None,
        ),
        services=start_order(compose),
        roles={service: ROLE_WORDS[settings.role_of(service)] for service in compose.services},
        web_service=next((s for s in compose.services if settings.role_of(s) == "web"), "web"),
    )


def up(stack: Stack, on_line: Callable[[str], None] = lambda line: None) -> None:
    """`docker compose up -d` (never pulls); compose itself waits for the health-based depends_on."""
    returncode, lines = stack.project.up(on_line)
    if returncode != 0:
        trouble = [s.describe() for s in service_states(stack) if not s.ok]
        last = lines[-1] if lines else "no output"
        raise StackError(f"docker compose up failed: {last}" + (f" ({'; '.join(trouble)})" if trouble else ""))


def down(stack: Stack) -> bool:
    """Remove the stack's containers, networks and volumes; True when compose reported success."""
    return stack.project.down()


def service_states(stack: Stack, services: list[str] | None = None) -> list[ServiceState]:
    by_service = stack.project.containers()
    states = []
    for service in services or list(stack.services):
        container = by_service.get(service)
        role = stack.role(service)
        if container is None:
            states.append(ServiceState(service, role, "-", "missing", None, None, 0, ""))
            continue
        try:
            container.reload()
        except NotFound:
            states.append(ServiceState(service, role, container.name, "missing", None, None, 0, ""))
            continue
        state = container.attrs.get("State") or {}
        running = state.get("Status") == "running"
        states.append(
            ServiceState(
                service=service,
                role=role,
                container=container.name,
                status=state.get("Status", "unknown"),
                health=(state.get("Health") or {}).get("Status"),
                exit_code=None if running else state.get("ExitCode"),
                restart_count=int(container.attrs.get("RestartCount") or 0),
                image=container.attrs.get("Config", {}).get("Image", ""),
            )
        )
    return states


def wait_services(stack: Stack, timeout: float) -> dict[str, HealthOutcome]:
    """Wait for every service to be healthy (or running, without a HEALTHCHECK); stops at the first failure."""
    deadline = time.monotonic() + timeout
    outcomes: dict[str, HealthOutcome] = {}
    by_service = stack.project.containers()
    for service in stack.services:
        container = by_service.get(service)
        if container is None:
            outcomes[service] = HealthOutcome("exited", None, [], reason=f"service {service} has no container")
            break
        outcome = wait_healthy(container, max(1.0, deadline - time.monotonic()))
        outcomes[service] = outcome
        if outcome.status not in ("healthy", "none"):
            break
    return outcomes


def problems(stack: Stack) -> str:
    """ "; "-joined descriptions of every service that is not running and healthy ('' when none)."""
    return "; ".join(s.describe() for s in service_states(stack) if not s.ok)
