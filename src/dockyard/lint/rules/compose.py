"""Compose files: start-up order that cannot work, and secrets with a default."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockyard.core.imageref import parse_ref
from dockyard.dockerfile.compose import ComposeFile, Service
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.args import looks_secret
from dockyard.lint.rules.base import LintContext, rule

READY_CONDITIONS = {"service_healthy", "service_completed_successfully"}


@rule(
    "DY009",
    "depends-on-without-health",
    "warning",
    summary="a compose service depends on another without `condition: service_healthy` (opt-in)",
    why=(
        "`depends_on: [postgres]` (or `condition: service_started`) only waits until the postgres container has "
        "started, not until it accepts connections. Off by default: most services wait for their database "
        "themselves (wait-for-it, a loop in the entrypoint) and brokers are retried, so on real projects this was "
        'noise every time; enable it (`enable = ["DY009"]`) when your services do not wait.'
    ),
    fix=(
        "Use the long form `depends_on: {postgres: {condition: service_healthy}}` and give the dependency a "
        "healthcheck (`pg_isready`, `redis-cli ping`, the web /health/ probe)."
    ),
    default=False,
)
def depends_on_without_health(ctx: LintContext) -> Iterator[LintFinding]:
    for compose in ctx.deployment.composes:
        if compose.development is not None:
            continue
        reported: set[int] = set()
        for service in compose.services.values():
            for dependency in service.depends_on:
                if dependency.service not in compose.services or dependency.condition in READY_CONDITIONS:
                    continue
                if dependency.line in reported:  # a merge key repeats one line for every service
                    continue
                reported.add(dependency.line)
                how = "the short form" if dependency.condition is None else f"condition: {dependency.condition}"
                yield ctx.finding(
                    "DY009",
                    compose.path,
                    dependency.line,
                    f"service '{service.name}' depends on '{dependency.service}' without condition: "
                    f"service_healthy ({how} only waits for the container to start)",
                )


@rule(
    "DY022",
    "depends-on-unsatisfiable",
    "error",
    summary="a compose service waits for a service that does not exist or can never be healthy",
    why=(
        '`compose up` refuses a `depends_on` naming a service the file does not define, and fails with "container '
        '... has no healthcheck configured" when `condition: service_healthy` waits for a service without a '
        "healthcheck (official postgres and redis images define none)."
    ),
    fix=(
        "Name a service the file defines; give the dependency a `healthcheck:` (`pg_isready`, `redis-cli ping`) "
        "or wait for `service_started` instead."
    ),
)
def depends_on_unsatisfiable(ctx: LintContext) -> Iterator[LintFinding]:
    for compose in ctx.deployment.composes:
        reported: set[int] = set()
        for service in compose.services.values():
            for dependency in service.depends_on:
                target = compose.services.get(dependency.service)
                if dependency.line in reported:
                    continue
                if target is None:
                    reported.add(dependency.line)
                    yield ctx.finding(
                        "DY022",
                        compose.path,
                        dependency.line,
                        f"service '{service.name}' depends on '{dependency.service}', which this file does not define",
                    )
                elif dependency.condition == "service_healthy" and not _may_be_healthy(ctx, compose, target):
                    reported.add(dependency.line)
                    yield ctx.finding(
                        "DY022",
                        compose.path,
                        dependency.line,
                        f"service '{service.name}' waits for '{dependency.service}' to be healthy, but "
                        f"'{dependency.service}' has no healthcheck: compose up fails",
                    )


def _may_be_healthy(ctx: LintContext, compose: ComposeFile, service: Service) -> bool:
    """False only when we know there is no healthcheck (disabled, or a stage we parsed has none)."""
    if service.healthcheck is not None:
        return not service.healthcheck_disabled
    found = ctx.deployment.service_stage(compose, service)
    if found is None:
        # an image we cannot see into: only the official images are known to define no HEALTHCHECK
        return not (service.build is None and service.image and known_without_healthcheck(service.image))
    dockerfile, stage = found
    graph = ctx.deployment.graph(dockerfile)
    config = graph.image_config(stage)
    if config.healthcheck is not None:
        return config.has_healthcheck
    return not known_without_healthcheck(graph.base_image(stage))


# Images that define no HEALTHCHECK of their own: Docker's official images leave health checks
# to the user (docker-library policy), and so do dockyard's debian/python stand-ins. (The
# dockyard-local postgres and redis stand-ins do have one, so they are not listed.)
PLAIN_BASES = {
    "python",
    "debian",
    "ubuntu",
    "alpine",
    "node",
    "busybox",
    "postgres",
    "redis",
    "mysql",
    "mariadb",
    "rabbitmq",
    "memcached",
    "nginx",
    "httpd",
    "mongo",
    "dockyard-local/python",
    "dockyard-local/debian",
}


def known_without_healthcheck(image: str | None) -> bool:
    if image is None:  # scratch
        return True
    return parse_ref(image).short_name in PLAIN_BASES


# ${NAME:-default} / ${NAME-default} (compose interpolation with a fallback)
_DEFAULTED = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?-)(?P<default>[^}]*)\}")
_URL_PASSWORD = re.compile(r"\b[a-zA-Z][\w+.-]*://[^:/@\s]+:(?P<password>[^@\s/]+)@")


@rule(
    "DY017",
    "compose-secret-default",
    "error",
    summary="a deployed compose file gives a secret a built-in value (`${DJANGO_SECRET_KEY:-...}`, a literal password)",
    why=(
        "`${DJANGO_SECRET_KEY:-insecure}` starts production with a key everyone who can read the repository knows "
        "whenever the variable is missing, instead of refusing to start; a literal password in a deployed compose "
        "file is that password. Development and test compose files (a bind-mounted source, runserver, DEBUG on, "
        "`local`/`dev`/`test` in the name) are not reported; nor are empty defaults (`${EMAIL_PASSWORD:-}`)."
    ),
    fix=(
        "Require the variable: `${DJANGO_SECRET_KEY:?set DJANGO_SECRET_KEY}` (compose refuses to start without it), "
        "or read it from an `env_file:` or a compose secret kept out of the repository."
    ),
)
def compose_secret_default(ctx: LintContext) -> Iterator[LintFinding]:
    for compose in ctx.deployment.composes:
        if compose.development is not None:
            continue
        reported: set[int] = set()
        for service in compose.services.values():
            if service.profiles:
                continue
            for entry in service.environment:
                if entry.line in reported or not entry.raw:
                    continue
                message = _secret_default(entry.name, entry.raw)
                if message:
                    reported.add(entry.line)
                    yield ctx.finding("DY017", compose.path, entry.line, f"service '{service.name}': {message}")


def _secret_default(name: str, raw: str) -> str | None:
    for match in _DEFAULTED.finditer(raw):
        if looks_secret(match.group("name")) and match.group("default").strip():
            return (
                f"{name} falls back to a built-in {match.group('name')} "
                f"(`${{{match.group('name')}{match.group('op')}...}}`) when the variable is unset"
            )
    if "$" in raw:
        return None
    if looks_secret(name) and raw.strip():
        return f"{name} is set to a literal value in the compose file"
    url = _URL_PASSWORD.search(raw)
    if url:
        return f"{name} holds a URL with a literal password"
    return None
