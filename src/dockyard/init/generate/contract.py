"""`[tool.dockyard]` from what init detected: the one place that knows the contract's keys.

The keys dockyard reads today (core/settings.py) are written as TOML. What a task must know about the
site beyond them (web service, port, health path, the environment under the project's own names,
roles, round trip, heartbeat) follows the sample projects' SITE CONTRACT comment block until
dockyard has keys for it (issue 11); when those keys land, only this function changes.
"""

from __future__ import annotations

import posixpath

from dockyard.core.settings import toml_repr
from dockyard.init.detect.deps import local_stand_in
from dockyard.init.facts import SiteFacts
from dockyard.init.generate.dockerfile import base_image
from dockyard.init.generate.files import DEFAULT_POSTGRES, DEFAULT_REDIS, test_environment

# The keys this renderer writes as live TOML (the rest is the commented SITE CONTRACT block).
EMITTED_KEYS = (
    "base_image",
    "local_base_image",
    "services.<name>.target",
    "services.<name>.image",
    "services.<name>.role",
    "test.postgres_image",
    "test.redis_image",
    "checks.celery_app",
    "checks.node_modules_path",
    "checks.skip",
    "troubleshoot.code_dir",
    "troubleshoot.writable_paths",
)


def _kv(key: str, value: object, comment: str = "") -> str:
    line = f"{key} = {toml_repr(value)}"
    return f"{line}  # {comment}" if comment else line


def services(facts: SiteFacts) -> list[tuple[str, dict[str, str]]]:
    prefix = f"dockyard.local/{facts.name}"
    return [
        ("web", {"target": "web", "image": f"{prefix}-web", "role": "web"}),
        ("celery-unified", {"target": "celery-unified", "image": f"{prefix}-celery", "role": "worker"}),
        ("flower", {"target": "flower", "image": f"{prefix}-flower", "role": "flower"}),
        ("test", {"target": "test", "role": "test"}),
        ("postgres", {"role": "database"}),
        ("redis", {"role": "broker"}),
    ]


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
        if keys.get("role") in ("web", "worker"):
            out.append(f'# app = "{facts.name}-{name}"  # the CapRover app it deploys to: yours to name')
    test = []
    if facts.postgres_image and facts.postgres_image != DEFAULT_POSTGRES:
        test.append(_kv("postgres_image", facts.postgres_image, "as the old compose file ran"))
    if facts.redis_image and facts.redis_image != DEFAULT_REDIS:
        test.append(_kv("redis_image", facts.redis_image, "as the old compose file ran"))
    if test:
        out += ["", "[tool.dockyard.test]", *test]
    out += ["", "[tool.dockyard.checks]", _kv("celery_app", facts.celery_app)]
    if facts.npm is not None and facts.npm.production_dependencies:
        package_dir = facts.in_image(posixpath.dirname(facts.npm.package_json) or ".")
        out.append(_kv("node_modules_path", f"{package_dir}/node_modules"))
    else:
        out.append(_kv("skip", ["node_modules"], "the images ship no node_modules"))
    out += [
        "",
        "[tool.dockyard.troubleshoot]",
        _kv("code_dir", facts.workdir),
        _kv("writable_paths", list(dict.fromkeys(["/data", "/tmp", *facts.writable_dirs]))),
    ]
    out += ["", *site_contract(facts)]
    return "\n".join(out) + "\n"


def site_contract(facts: SiteFacts) -> list[str]:
    """The SITE CONTRACT block: commented TOML in the sample projects' shape (issue 11's keys)."""
    env = test_environment(facts)
    database = {v.name: _shape(v.role) for v in facts.env if v.role.startswith("database")}
    broker = {v.name: "redis://HOST:6379/0" for v in facts.env if v.role in ("broker", "result-backend")}
    secret = [v.name for v in facts.env if v.role == "secret"]
    required = [v.name for v in facts.env if v.required]
    per_service = sorted(env)
    body = [
        "[tool.dockyard.site]",
        _kv("settings_module", facts.settings_module),
        _kv("wsgi", facts.wsgi),
        _kv("celery_app", facts.celery_app),
        "[tool.dockyard.site.web]",
        _kv("service", "web"),
        _kv("port", facts.web_port),
        _kv("health_path", facts.health_path or ""),
        "healthy = { status = 200 }",
        "[tool.dockyard.site.services]",
        'web = "web"',
        'celery-unified = "worker"',
        'postgres = "database"',
        'redis = "broker"',
        "[tool.dockyard.site.environment]",
    ]
    if database:
        body.append(_kv("database", database))
    if broker:
        body.append(_kv("broker", broker))
    if secret:
        body.append(_kv("secret", secret[0]))
    if required:
        body.append(_kv("required", required))
    body += [
        "[tool.dockyard.site.environment.per_service]",
        _kv("web", per_service),
        _kv("celery-unified", per_service),
        _kv("flower", per_service),
        "[tool.dockyard.site.round_trip]  # not detected: name a task, its arguments and its result",
        '# task = "app.tasks.add"',
        "# args = [2, 3]",
        "# expected = 5",
        "[tool.dockyard.site.heartbeat]",
    ]
    if facts.heartbeat_task:
        where = facts.evidence.get("heartbeat_task")
        body.append(_kv("task", facts.heartbeat_task, f"scheduled by beat ({where}); model or log line: yours"))
    else:
        body.append("# no periodic task found: name one (and the model it writes, or the log line it prints)")
    body.append(_kv("npm", facts.npm is not None and facts.npm.build_script is not None))
    lines = [
        "# " + "-" * 86,
        "# SITE CONTRACT (until dockyard has keys for it, issue 11; detected by `dockyard init`).",
        "# What a task must know about this site that the card's defaults may get wrong:",
        "#",
    ]
    lines += [f"# {line}" for line in body]
    lines.append("# " + "-" * 86)
    return lines


def _shape(role: str) -> str:
    return {
        "database": "postgres://USER:PASSWORD@HOST:5432/NAME",
        "database-host": "HOST",
        "database-port": "5432",
        "database-name": "NAME",
        "database-user": "USER",
        "database-password": "PASSWORD",
    }[role]
