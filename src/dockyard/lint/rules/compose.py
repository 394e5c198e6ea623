"""Compose start-up order."""

from __future__ import annotations

from collections.abc import Iterator

from dockyard.core.imageref import parse_ref
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule

READY_CONDITIONS = {"service_healthy", "service_completed_successfully"}


@rule(
    "DY009",
    "depends-on-without-health",
    "warning",
    summary="a compose service depends on another without `condition: service_healthy`",
    why=(
        "`depends_on: [postgres]` (or `condition: service_started`) only waits until the postgres "
        "container has started, not until it accepts connections: migrations and celery fail at "
        "start-up and the test run is flaky. `service_healthy` on a service without a healthcheck "
        "makes `compose up` fail instead."
    ),
    fix=(
        "Use the long form `depends_on: {postgres: {condition: service_healthy}}` and give the "
        "dependency a healthcheck (`pg_isready`, `redis-cli ping`, the web /health/ probe)."
    ),
)
def depends_on_without_health(ctx: LintContext) -> Iterator[LintFinding]:
    dep = ctx.deployment
    for compose in dep.composes:
        for service in compose.services.values():
            for dependency in service.depends_on:
                target = compose.services.get(dependency.service)
                if target is None:
                    yield ctx.finding(
                        "DY009",
                        compose.path,
                        dependency.line,
                        f"service '{service.name}' depends on '{dependency.service}', which this file does not define",
                    )
                    continue
                if dependency.condition not in READY_CONDITIONS:
                    how = "the short form" if dependency.condition is None else f"condition: {dependency.condition}"
                    yield ctx.finding(
                        "DY009",
                        compose.path,
                        dependency.line,
                        f"service '{service.name}' depends on '{dependency.service}' without "
                        f"condition: service_healthy ({how} only waits for the container to start)",
                    )
                    continue
                if dependency.condition == "service_healthy" and not _may_be_healthy(ctx, compose, target):
                    yield ctx.finding(
                        "DY009",
                        compose.path,
                        dependency.line,
                        f"service '{service.name}' waits for '{dependency.service}' to be healthy, "
                        f"but '{dependency.service}' has no healthcheck: compose up fails",
                    )


def _may_be_healthy(ctx: LintContext, compose, service) -> bool:
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
