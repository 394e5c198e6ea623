"""The site's contract, resolved against the project's own files.

`[tool.dockyard]` says what it says (core.settings); what it leaves out is read from the project:
each service's role from the compose file (its command, its image: gunicorn/uvicorn -> web,
`celery worker --beat` -> worker+beat, postgres -> database ...), else from the command of the
image it runs or of the Dockerfile stage its bake target builds; the Celery app from the
`--app` of a worker's command; the postgres and redis images from the compose file's database and
broker services. Every task that needs to know the site asks this module, never the reference
site's names.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from dockyard.build.base_images import (
    DEFAULT_POSTGRES,
    DEFAULT_REDIS,
    LocalImage,
    choose_image,
    project_base_image,
    stand_in_for,
    uses_base_arg,
)
from dockyard.build.runner import target_dockerfile
from dockyard.core.commands import argv_of, celery_command, role_of_command, role_of_image
from dockyard.core.errors import ConfigError
from dockyard.core.project import Project
from dockyard.core.settings import CELERY_ROLES, ServiceSettings
from dockyard.docker.images import ImageError, image_attrs
from dockyard.dockerfile.bake import load_bake
from dockyard.dockerfile.compose import ComposeFile, load_compose
from dockyard.dockerfile.graph import StageGraph
from dockyard.dockerfile.parser import Instruction, parse_dockerfile


@dataclass(frozen=True)
class SiteService:
    name: str
    role: str
    role_from: str  # where the role was read: "[tool.dockyard.services]", "compose command", ...
    settings: ServiceSettings  # its [tool.dockyard.services.NAME] (a bare one when it has none)
    image: str | None = None  # the image it runs (tag latest, or the compose file's)
    compose: bool = False  # a service of the compose test stack
    command: tuple[str, ...] = ()  # what it runs, when known

    @property
    def target(self) -> str | None:
        return self.settings.target


@dataclass
class Site:
    project: Project
    compose: ComposeFile | None
    services: dict[str, SiteService] = field(default_factory=dict)

    # ----------------------------------------------------------------- by role

    def with_role(self, *roles: str, compose_only: bool = False) -> SiteService | None:
        """The first service with one of `roles` (in their order of preference)."""
        for role in roles:
            for service in self.services.values():
                if service.role == role and (service.compose or not compose_only):
                    return service
        return None

    @property
    def web(self) -> SiteService | None:
        return self.with_role("web", compose_only=True) or self.with_role("web")

    @property
    def worker(self) -> SiteService | None:
        """The worker with an embedded beat (the card's celery-unified), else a plain worker."""
        for roles in (("worker+beat",), ("worker",), ("beat",)):
            found = self.with_role(*roles, compose_only=True) or self.with_role(*roles)
            if found:
                return found
        return None

    def require(self, role: str) -> SiteService:
        found = self.web if role == "web" else self.worker if role in CELERY_ROLES else self.with_role(role)
        if found is None:
            raise ConfigError(
                f"no service with role {role!r}: give one `role = \"{role}\"` in [tool.dockyard.services.NAME] "
                f"(services: {', '.join(f'{s.name} ({s.role})' for s in self.services.values()) or 'none'})"
            )
        return found

    def target_roles(self) -> dict[str, str]:
        """bake target -> role, for the services that have a target."""
        return {s.target: s.role for s in self.services.values() if s.target}

    def service_for_target(self, target: str) -> SiteService | None:
        return next((s for s in self.services.values() if s.target == target), None)

    # ----------------------------------------------------------------- what it needs

    def environment(self, service: str | None) -> dict[str, str]:
        """The environment template of a service's containers ({placeholders} unfilled)."""
        return self.project.settings.service_environment(service)

    @cached_property
    def celery_app(self) -> str | None:
        """[tool.dockyard.celery] app, else the --app of a Celery service's command."""
        configured = self.project.settings.celery.app
        if configured:
            return configured
        for role in (*CELERY_ROLES, "flower"):
            for service in self.services.values():
                if service.role == role:
                    celery = celery_command(list(service.command))
                    if celery is not None and celery.app:
                        return celery.app
        return None

    def helper_upstream(self, kind: str) -> tuple[str, str]:
        """(upstream image, configured stand-in or "") of the postgres or redis dockyard runs itself:
        [tool.dockyard.test], else the compose file's database/broker service's image, else the card's."""
        test = self.project.settings.test
        configured, local = (
            (test.postgres_image, test.local_postgres_image)
            if kind == "postgres"
            else (test.redis_image, test.local_redis_image)
        )
        upstream = configured or self.compose_image("database" if kind == "postgres" else "broker")
        return upstream or (DEFAULT_POSTGRES if kind == "postgres" else DEFAULT_REDIS), local

    def helper_image(self, kind: str, log: Callable[[str], None] = lambda m: None) -> str:
        """The postgres or redis image to run: upstream when it can be had, else its stand-in."""
        upstream, local = self.helper_upstream(kind)
        return choose_image(upstream, local, log=log)

    def base_upstream(self) -> str | None:
        """The upstream base image of the site's builds (None: its Dockerfile takes no BASE_IMAGE)."""
        path = self.project.path("dockerfile")
        dockerfile = parse_dockerfile(path) if path.is_file() else None
        if dockerfile is not None and not uses_base_arg(dockerfile) and not self.project.settings.base_image:
            return None
        return project_base_image(self.project.settings.base_image, dockerfile)

    def stand_ins(self) -> list[tuple[str, LocalImage | None]]:
        """(upstream image, its stand-in) for every image the site's tasks may need made locally:
        the base image of its builds, the postgres and the redis."""
        wanted = [self.base_upstream(), self.helper_upstream("postgres")[0], self.helper_upstream("redis")[0]]
        return [(upstream, stand_in_for(upstream)) for upstream in wanted if upstream]

    def compose_image(self, role: str) -> str | None:
        """The image the compose file gives its service with `role` (variables at their defaults)."""
        for service in self.services.values():
            if service.compose and service.role == role and service.image:
                return service.image
        return None


def load_site(project: Project, image_command: Callable[[str], list[str]] | None = None) -> Site:
    """The site's services with their roles resolved (see the module's docstring). `image_command`
    gives an image's ENTRYPOINT + CMD ([] when it is not here); by default the engine's record."""
    image_command = image_command or _image_command
    compose_path = project.path("compose_file")
    compose = load_compose(compose_path) if compose_path.is_file() else None
    site = Site(project=project, compose=compose)
    configured = project.settings.services
    names = list(configured) + [n for n in (compose.services if compose else {}) if n not in configured]
    stage_commands = _StageCommands(project)
    for name in names:
        settings = configured.get(name) or ServiceSettings(name=name)
        composed = compose.services.get(name) if compose else None
        image = settings.image_ref("latest") if settings.image else (composed.image if composed else None)
        command: list[str] = []
        role, source = settings.role, "[tool.dockyard.services]"
        if composed is not None and (composed.command or composed.entrypoint):
            command = argv_of(composed.entrypoint) + argv_of(composed.command)
        if role is None and command:
            role, source = role_of_command(command), "the compose file's command"
        if role is None and composed is not None:
            role, source = role_of_image(composed.image), "the compose file's image"
        if not command and image:
            command = image_command(image)
            if role is None and command:
                role, source = role_of_command(command), f"the command of {image}"
        if not command and settings.target:
            command = stage_commands.get(settings.target)
            if role is None and command:
                role, source = role_of_command(command), f"the Dockerfile's CMD for target {settings.target}"
        if role is None:
            role, source = "service", "nothing says otherwise"
        site.services[name] = SiteService(
            name=name,
            role=role,
            role_from=source,
            settings=settings,
            image=image,
            compose=composed is not None,
            command=tuple(command),
        )
    return site


def _image_command(image: str) -> list[str]:
    """ENTRYPOINT + CMD of a local image ([] when it is not here)."""
    try:
        config = image_attrs(image).get("Config") or {}
    except ImageError:
        return []
    return list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])


class _StageCommands:
    """ENTRYPOINT + CMD of the stage each bake target builds, read once (bake --print) when asked."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._commands: dict[str, list[str]] | None = None

    def get(self, target: str) -> list[str]:
        if self._commands is None:
            self._commands = self._read()
        return self._commands.get(target, [])

    def _read(self) -> dict[str, list[str]]:
        bake_file = self.project.path("bake_file")
        if not bake_file.is_file():
            return {}
        try:
            definition = load_bake(bake_file, parser="buildx", cwd=self.project.root, env=dict(os.environ))
        except ConfigError:
            return {}
        out: dict[str, list[str]] = {}
        for name, target in definition.targets.items():
            path = target_dockerfile(self.project.root, target)
            if not target.local or not path.is_file():
                continue
            dockerfile = parse_dockerfile(path)
            stage = dockerfile.stage(target.stage) if target.stage else dockerfile.stages[-1]
            if stage is None:
                continue
            config = StageGraph(dockerfile, dict(target.args)).image_config(stage)
            out[name] = _words(config.entrypoint) + _words(config.cmd)
        return out


def _words(instruction: Instruction | None) -> list[str]:
    if instruction is None:
        return []
    return list(instruction.value) if instruction.json else argv_of(" ".join(instruction.value))
