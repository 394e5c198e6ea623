"""The compose test stack (deployment/docker-compose.test.yml): argv, up, wait, state, down.

Every stack gets a project name unique to the run, so two runs (or a developer's own
`docker compose up`) never share containers, networks or volumes.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import docker.errors
from docker.models.containers import Container

from dockyard.build import base_images
from dockyard.core.errors import DockyardError
from dockyard.core.project import Project
from dockyard.docker.client import client, image_exists, require_cli
from dockyard.docker.containers import HealthOutcome, current_run_id, redact, wait_healthy

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"

# What each service of the test stack is, in the words an error message should use.
SERVICE_ROLES = {
    "postgres": "database",
    "redis": "broker",
    "web": "web server",
    "celery-unified": "worker",
}

DEFAULTS = {
    "web_image": "dockyard.local/refsite-web:latest",
    "celery_image": "dockyard.local/refsite-celery:latest",
    "postgres_image": "postgres:15",
    "local_postgres_image": "dockyard-local/postgres:15",
    "redis_image": "redis:7",
    "local_redis_image": "dockyard-local/redis:7",
    "timeout": 240,  # seconds for the stack to come up healthy
}


class StackError(DockyardError):
    """The compose stack could not be brought up, or failed a test."""


@dataclass(frozen=True)
class Stack:
    name: str
    compose_file: Path
    variables: dict[str, str] = field(default_factory=dict)

    def argv(self, *args: str) -> list[str]:
        """`docker compose -p NAME -f FILE ARGS...`"""
        return ["docker", "compose", "-p", self.name, "-f", str(self.compose_file), *args]

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.variables}

    def down_hint(self) -> str:
        return " ".join(self.argv("down", "-v", "--remove-orphans"))


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


def stack_settings(project: Project) -> dict:
    return project.section("test", DEFAULTS)


def new_stack(
    project: Project,
    *,
    web_image: str | None = None,
    celery_image: str | None = None,
    name: str | None = None,
    log: Callable[[str], None] = print,
) -> Stack:
    """A stack with a unique project name and every image chosen (local stand-ins where needed)."""
    settings = stack_settings(project)
    compose_file = project.path("compose_file")
    if not compose_file.is_file():
        raise StackError(f"compose file not found: {compose_file}")
    variables = {
        "WEB_IMAGE": web_image or settings["web_image"],
        "CELERY_IMAGE": celery_image or settings["celery_image"],
        "POSTGRES_IMAGE": base_images.choose_base_image(
            settings["postgres_image"], settings["local_postgres_image"], log=log
        ),
        "REDIS_IMAGE": base_images.choose_base_image(
            settings["redis_image"], settings["local_redis_image"], log=log
        ),
    }
    for key in ("WEB_IMAGE", "CELERY_IMAGE"):
        if not image_exists(variables[key]):
            raise StackError(
                f"image {variables[key]} is not present locally: run invoke build.essential "
                f"(or pass --{key.split('_')[0].lower()}-image)"
            )
    return Stack(
        name=name or f"dockyard-test-{current_run_id()}-{uuid.uuid4().hex[:4]}",
        compose_file=compose_file,
        variables=variables,
    )


def up(stack: Stack, on_line: Callable[[str], None] = lambda line: None) -> None:
    """`docker compose up -d` (never pulls); compose itself waits for the health-based depends_on."""
    require_cli("compose")
    proc = subprocess.Popen(
        stack.argv("up", "--detach", "--pull", "never", "--no-build"),
        env=stack.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = redact(raw.rstrip())
        if line:
            lines.append(line)
            on_line(line)
    if proc.wait() != 0:
        problems = [s.describe() for s in service_states(stack) if not s.ok]
        last = lines[-1] if lines else "no output"
        raise StackError(
            f"docker compose up failed: {last}" + (f" ({'; '.join(problems)})" if problems else "")
        )


def down(stack: Stack) -> bool:
    """Remove the stack's containers, networks and volumes; True when compose reported success."""
    proc = subprocess.run(
        stack.argv("down", "--volumes", "--remove-orphans", "--timeout", "5"),
        env=stack.env(),
        capture_output=True,
        text=True,
    )
    return proc.returncode == 0


def containers(stack: Stack) -> dict[str, Container]:
    """Service name -> its container (stopped ones too)."""
    found = client().containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={stack.name}"})
    return {c.labels.get(SERVICE_LABEL, c.name): c for c in found}


def service_states(stack: Stack, services: list[str] | None = None) -> list[ServiceState]:
    by_service = containers(stack)
    states = []
    for service in services or list(SERVICE_ROLES):
        container = by_service.get(service)
        role = SERVICE_ROLES.get(service, "service")
        if container is None:
            states.append(ServiceState(service, role, "-", "missing", None, None, 0, ""))
            continue
        try:
            container.reload()
        except docker.errors.NotFound:
            states.append(ServiceState(service, role, container.name, "missing", None, None, 0, ""))
            continue
        state = container.attrs.get("State") or {}
        health = (state.get("Health") or {}).get("Status")
        running = state.get("Status") == "running"
        states.append(
            ServiceState(
                service=service,
                role=role,
                container=container.name,
                status=state.get("Status", "unknown"),
                health=health,
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
    by_service = containers(stack)
    for service in SERVICE_ROLES:
        container = by_service.get(service)
        if container is None:
            outcomes[service] = HealthOutcome(
                "exited", None, [], reason=f"service {service} has no container"
            )
            break
        outcome = wait_healthy(container, max(1.0, deadline - time.monotonic()))
        outcomes[service] = outcome
        if outcome.status not in ("healthy", "none"):
            break
    return outcomes


def problems(stack: Stack) -> str:
    """ "; "-joined descriptions of every service that is not running and healthy ('' when none)."""
    return "; ".join(s.describe() for s in service_states(stack) if not s.ok)
