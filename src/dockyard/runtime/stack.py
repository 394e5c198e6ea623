"""The compose test stack (the project's compose file): images chosen, up, wait, state, down.

Every stack gets a project name unique to the run, so two runs (or a developer's own
`docker compose up`) never share containers, networks or volumes, and an override file that
gives each of them the run's labels (dockyard.core.run), so a killed run's stack is reaped. The
services and their order
come from the compose file (dependencies first); what each one is from the site's contract
(runtime.site: `[tool.dockyard.services]`, else the compose file's commands and images).

The images are the compose file's own, except where dockyard must choose: the web and worker
images a task was given (or `[tool.dockyard.test]` names), and for the database and broker
services the local stand-in when the upstream image cannot be pulled. Those choices go in the
same override file (`-f FILE -f OVERRIDE`), so they work whatever the compose file's variables
are called, and for images written without a variable too.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dockyard.build.base_images import choose_image
from dockyard.core.errors import DockyardError
from dockyard.core.run import kept_labels, run_id, run_labels
from dockyard.core.settings import ROLE_WORDS
from dockyard.docker.client import NotFound
from dockyard.docker.compose import ComposeProject
from dockyard.docker.images import image_exists
from dockyard.dockerfile.compose import ComposeFile
from dockyard.runtime.health import HealthOutcome, wait_healthy
from dockyard.runtime.site import Site


class StackError(DockyardError):
    """The compose stack could not be brought up, or failed a test."""


@dataclass(frozen=True)
class Stack:
    project: ComposeProject
    services: tuple[str, ...]  # the compose file's services, dependencies first
    roles: dict[str, str]  # service -> what it is, in the words a message uses ("broker")
    web_service: str | None = None  # the service that answers HTTP (role web)
    images: dict[str, str] = field(default_factory=dict)  # service -> the image it runs

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


def choose_images(
    site: Site,
    web_image: str | None = None,
    celery_image: str | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> tuple[dict[str, str], dict[str, str]]:
    """(service -> image it runs, service -> image that differs from the compose file's).

    The web service runs `web_image` (else [tool.dockyard.test] web_image, else its own);
    the Celery services (worker+beat, worker) `celery_image` likewise; database and broker
    services their upstream image, or its stand-in where it cannot be pulled. Every image that
    dockyard does not pull must be present (one error line naming the service, otherwise)."""
    test = site.project.settings.test
    images: dict[str, str] = {}
    overrides: dict[str, str] = {}
    celery_done = False
    for service in site.services.values():
        if not service.compose:
            continue
        image = service.image or ""
        chosen = None
        if service.role == "web":
            chosen = web_image or test.web_image
        elif service.role in ("worker+beat", "worker") and not celery_done:
            chosen, celery_done = celery_image or test.celery_image, True
        elif service.role == "database" and image:
            chosen = choose_image(image, test.local_postgres_image, log=log)
        elif service.role == "broker" and image:
            chosen = choose_image(image, test.local_redis_image, log=log)
        if chosen and chosen != image:
            overrides[service.name] = chosen
            image = chosen
        if not image:
            raise StackError(f"service {service.name} of the compose file has no image: give it `image:`")
        if service.role not in ("database", "broker") and not image_exists(image):
            option = {"web": " (or pass --web-image)", "worker+beat": " (or pass --celery-image)"}
            raise StackError(
                f"image {image} of service {service.name} is not present locally: run invoke build.essential"
                + option.get(service.role, "")
            )
        images[service.name] = image
    return images, overrides


def override(compose: ComposeFile, labels: dict[str, str], images: dict[str, str] | None = None) -> dict:
    """A compose file that adds `labels` to every service, network and volume of `compose`
    (external ones are not the stack's to label; `default` is the network compose makes itself)
    and gives the services in `images` that image."""
    images = images or {}
    networks = {name for name, external in compose.networks.items() if not external} | {"default"}
    volumes = [name for name, external in compose.volumes.items() if not external]
    services = {
        name: {"labels": dict(labels), **({"image": images[name]} if name in images else {})}
        for name in compose.services
    }
    return {
        "services": services,
        "networks": {name: {"labels": dict(labels)} for name in sorted(networks)},
        **({"volumes": {name: {"labels": dict(labels)} for name in volumes}} if volumes else {}),
    }


def write_override(
    compose: ComposeFile, labels: dict[str, str], workdir: Path, images: dict[str, str] | None = None
) -> Path:
    """The override as a file in `workdir` (JSON is YAML, so compose reads it)."""
    path = workdir / "dockyard.override.compose.json"
    path.write_text(json.dumps(override(compose, labels, images), indent=1), encoding="utf-8")
    return path


def new_stack(
    site: Site,
    *,
    web_image: str | None = None,
    celery_image: str | None = None,
    name: str | None = None,
    workdir: Path,
    kept: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> Stack:
    """A stack with a unique project name and every image chosen (local stand-ins where needed).

    `workdir` is a temp dir of the run, alive until the stack is down: the override file there
    gives every container, network and volume of the stack the run's labels (`kept`: the labels
    of what is left running on purpose) and the services the images dockyard chose."""
    compose_file = site.project.path("compose_file")
    if site.compose is None:
        raise StackError(f"compose file not found: {compose_file}")
    images, overrides = choose_images(site, web_image, celery_image, log)
    labels = kept_labels() if kept else run_labels()
    web = site.web
    return Stack(
        project=ComposeProject(
            name=name or f"dockyard-test-{run_id()}-{uuid.uuid4().hex[:4]}",
            compose_file=compose_file,
            override=write_override(site.compose, labels, workdir, overrides),
        ),
        services=start_order(site.compose),
        roles={s.name: ROLE_WORDS[s.role] for s in site.services.values() if s.compose},
        web_service=web.name if web is not None and web.compose else None,
        images=images,
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
