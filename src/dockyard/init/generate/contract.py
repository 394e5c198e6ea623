"""`[tool.dockyard]` from what init detected: the one place that knows the contract's keys.

The site's contract (docs/configuration.md) is written as live TOML: the services of the compose
file init writes with their roles, the web's port, health path and healthy answer, the
environment under the project's own variable names (`{placeholders}` dockyard fills with the
postgres and redis it starts), and the Celery app, round trip and heartbeat. What init cannot
know (a task of the site's own with a known result, the model a periodic task writes) is left to
Celery's own: the built-in `celery.accumulate` comes back through the broker and the result
backend, and the heartbeat is the periodic task's `succeeded` line in the worker's log.
"""

from __future__ import annotations

import posixpath

from dockyard.core.settings import toml_repr
from dockyard.init.detect.deps import local_stand_in
from dockyard.init.facts import SiteFacts
from dockyard.init.generate.dockerfile import base_image
from dockyard.init.generate.files import DEFAULT_POSTGRES, DEFAULT_REDIS

# The keys this renderer writes.
EMITTED_KEYS = (
    "base_image",
    "local_base_image",
    "services.<name>.target",
    "services.<name>.image",
    "services.<name>.role",
    "services.<web>.port",
    "services.<web>.health_path",
    "services.<web>.healthy_status",
    "environment.<VARIABLE>",
    "celery.app",
    "celery.round_trip",
    "celery.heartbeat",
    "test.postgres_image",
    "test.redis_image",
    "checks.node_modules_path",
    "checks.skip",
    "troubleshoot.code_dir",
    "troubleshoot.writable_paths",
)

# The placeholder each kind of variable init found gets (core.settings.PLACEHOLDERS).
PLACEHOLDER_OF_ROLE = {
    "database": "{database_url}",
    "database-host": "{postgres_host}",
    "database-port": "{postgres_port}",
    "database-name": "{postgres_db}",
    "database-user": "{postgres_user}",
    "database-password": "{postgres_password}",
    "broker": "{broker_url}",
    "result-backend": "{broker_url}",
    "secret": "{secret_key}",
    "allowed-hosts": "*",
}

# Celery's built-in task that returns its arguments: a round trip any Celery app can make.
ROUND_TRIP_TASK = "celery.accumulate"
ROUND_TRIP_ARGS = [19, 23]


def _kv(key: str, value: object, comment: str = "") -> str:
    line = f"{key} = {toml_repr(value)}"
    return f"{line}  # {comment}" if comment else line


def services(facts: SiteFacts) -> list[tuple[str, dict[str, str]]]:
    """The services of the compose file and the bake targets init writes, with their roles."""
    prefix = f"dockyard.local/{facts.name}"
    return [
        ("web", {"target": "web", "image": f"{prefix}-web", "role": "web"}),
        ("celery-unified", {"target": "celery-unified", "image": f"{prefix}-celery", "role": "worker+beat"}),
        ("flower", {"target": "flower", "image": f"{prefix}-flower", "role": "flower"}),
        ("celery-worker", {"target": "celery-worker", "image": f"{prefix}-celery-worker", "role": "worker"}),
        ("celery-beat", {"target": "celery-beat", "image": f"{prefix}-celery-beat", "role": "beat"}),
        ("test", {"target": "test", "role": "test"}),
        ("postgres", {"role": "database"}),
        ("redis", {"role": "broker"}),
    ]


def web_keys(facts: SiteFacts) -> list[str]:
    """The web service's port and healthy answer."""
    out = [_kv("port", facts.web_port)]
    if facts.health_path:
        where = "init's view" if facts.health_added else "found by init"
        out.append(_kv("health_path", facts.health_path, where))
    else:
        out.append('# health_path = "/..."  # no health endpoint found: name one (default "/health/")')
    out.append(_kv("healthy_status", 200))
    return out


def environment(facts: SiteFacts) -> list[str]:
    """The site's own variables, each with the placeholder of what it names."""
    return [_kv(_toml_key(v.name), PLACEHOLDER_OF_ROLE[v.role]) for v in facts.env if v.role in PLACEHOLDER_OF_ROLE]


def celery(facts: SiteFacts) -> list[str]:
    out = ["[tool.dockyard.celery]", _kv("app", facts.celery_app), ""]
    if facts.result_backend:
        out += [
            "[tool.dockyard.celery.round_trip]  # Celery's own task: name one of yours with its result if you like",
            _kv("task", ROUND_TRIP_TASK),
            _kv("args", ROUND_TRIP_ARGS),
            _kv("expected", ROUND_TRIP_ARGS),
        ]
    else:
        out.append("# round_trip: no result backend found, so no result can come back; name a task once there is one")
        out.append("round_trip = false")
    out.append("")
    if facts.heartbeat_task:
        where = facts.evidence.get("heartbeat_task")
        out += [
            f"[tool.dockyard.celery.heartbeat]  # scheduled by beat ({where}): "
            "its `succeeded` line in the worker's log",
            _kv("task", facts.heartbeat_task),
            _kv("timeout", 60, "seconds: more than the schedule's interval"),
        ]
    else:
        out.append("# heartbeat: no periodic task found; name one (and the model it writes, or the log line it prints)")
        out.append("heartbeat = false")
    return out


def render_tool_dockyard(facts: SiteFacts) -> str:
    out = [
        "[tool.dockyard]",
        "# Written by `dockyard init` from what it found (docs/init.md); keys: docs/configuration.md.",
        _kv("base_image", base_image(facts)),
        _kv("local_base_image", local_stand_in(facts.python_version), "where no registry answers"),
    ]
    for name, keys in services(facts):
        out += ["", f"[tool.dockyard.services.{name}]"]
        out += [_kv(k, v) for k, v in keys.items()]
        if keys["role"] == "web":
            out += web_keys(facts)
        if keys["role"] in ("web", "worker+beat"):
            out.append(f'# app = "{facts.name}-{name}"  # the CapRover app it deploys to: yours to name')
    env = environment(facts)
    if env:
        out += ["", "# Every container dockyard starts of the site gets these (the stack's postgres and redis)."]
        out += ["[tool.dockyard.environment]", *env]
    out += ["", *celery(facts)]
    test = []
    if facts.postgres_image and facts.postgres_image != DEFAULT_POSTGRES:
        test.append(_kv("postgres_image", facts.postgres_image, "as the old compose file ran"))
    if facts.redis_image and facts.redis_image != DEFAULT_REDIS:
        test.append(_kv("redis_image", facts.redis_image, "as the old compose file ran"))
    if test:
        out += ["", "[tool.dockyard.test]", *test]
    out += ["", "[tool.dockyard.checks]"]
    skipped: list[str] = []
    if facts.npm is not None and facts.npm.production_dependencies:
        package_dir = facts.in_image(posixpath.dirname(facts.npm.package_json) or ".")
        out.append(_kv("node_modules_path", f"{package_dir}/node_modules"))
    else:
        skipped = ["node_modules"]
        out.append(_kv("skip", skipped, "the images ship no node_modules"))
    if facts.beat_scheduler == "database":
        out += [
            "",
            "# celery-beat has HEALTHCHECK NONE: the DatabaseScheduler gives nothing a probe could read",
            "# (see the Dockerfile); invoke troubleshoot.beat reads its log instead. Give it a probe and",
            "# drop this table to have it checked.",
            "[tool.dockyard.checks.celery-beat]",
            _kv("skip", [*skipped, "healthcheck", "healthy"]),
        ]
    out += [
        "",
        "[tool.dockyard.troubleshoot]",
        _kv("code_dir", facts.workdir),
        _kv("writable_paths", list(dict.fromkeys(["/data", "/tmp", *facts.writable_dirs]))),
    ]
    return "\n".join(out) + "\n"


def _toml_key(name: str) -> str:
    """A bare TOML key when it can be one, else quoted."""
    return name if name.replace("_", "").replace("-", "").isalnum() and name.isascii() else toml_repr(name)
