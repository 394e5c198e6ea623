"""The other files init writes: bake file, compose test stack, entrypoint, tasks.py, noxfile.py,
the optional health view, and the .dockerignore entries the build needs."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from dockyard.init.detect.deps import local_stand_in
from dockyard.init.facts import SiteFacts
from dockyard.init.generate.dockerfile import base_image
from dockyard.init.generate.templates import render

DEFAULT_POSTGRES = "postgres:15"
DEFAULT_REDIS = "redis:7"


def bake_file(facts: SiteFacts) -> str:
    return render(
        "docker-bake.multistage.hcl.tmpl",
        name=facts.name,
        base_image=base_image(facts),
        local_base_image=local_stand_in(facts.python_version),
    )


def db_name(facts: SiteFacts) -> str:
    return re.sub(r"[^a-z0-9_]", "_", facts.name.lower()) or "site"


def test_environment(facts: SiteFacts) -> dict[str, str]:
    """The site's own variables, with values that point at the stack's postgres and redis."""
    db = db_name(facts)
    password = f"${{POSTGRES_PASSWORD:-{db}-test-only}}"
    values = {
        "database": f"postgres://{db}:{password}@postgres:5432/{db}",
        "database-host": "postgres",
        "database-port": "5432",
        "database-name": db,
        "database-user": db,
        "database-password": password,
        "broker": "redis://redis:6379/0",
        "result-backend": "redis://redis:6379/0",
        "allowed-hosts": "*",
    }
    out: dict[str, str] = {}
    for var in facts.env:
        if var.role == "secret":
            out[var.name] = f"${{{var.name}:-{facts.name}-test-only-not-a-secret}}"
        elif var.role in values:
            out[var.name] = values[var.role]
    return out


def compose_file(facts: SiteFacts) -> str:
    env = test_environment(facts)
    lines = [f"  {name}: {_yaml_string(value)}" for name, value in env.items()]
    return render(
        "docker-compose.test.yml.tmpl",
        name=facts.name,
        port=facts.web_port,
        site_env="\n".join(lines) if lines else "  {}",
        postgres_image=facts.postgres_image or DEFAULT_POSTGRES,
        redis_image=facts.redis_image or DEFAULT_REDIS,
        db_name=db_name(facts),
    )


def _yaml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def entrypoint(facts: SiteFacts) -> str:
    database_beat = facts.beat_scheduler == "database"
    return render(
        "docker-entrypoint.sh.tmpl",
        name=facts.name,
        migrate_default="1" if facts.migrate_on_start else "0",
        celery_default="1" if database_beat else "0",
        celery_why="beat's DatabaseScheduler cannot start without its tables"
        if database_beat
        else "a worker needs no tables to start; the web service migrates",
    )


def tasks_py() -> str:
    return render("tasks.py.tmpl")


@dataclass(frozen=True)
class InstallSpec:
    """How dockyard is installed into a nox session: pip arguments, and how that was found."""

    args: tuple[str, ...]
    how: str


def noxfile(spec: InstallSpec) -> str:
    args = "[" + ", ".join(repr(a) for a in spec.args) + "]"
    return render("noxfile.py.tmpl", install_args=args, install_how=spec.how)


def health_view(path: str, view: str) -> str:
    return render("health.py.tmpl", path=path, view=view)


# --------------------------------------------------------------------------- .dockerignore


def needed_paths(facts: SiteFacts) -> list[str]:
    """Repository paths the Dockerfile copies from the context (each must stay in it)."""
    paths = list(dict.fromkeys([*facts.dependencies.files, *facts.dependencies.dev_files]))
    if facts.npm is not None:
        paths += [facts.npm.package_json] + ([facts.npm.lockfile] if facts.npm.lockfile else [])
        paths += list(facts.npm.inputs)
    paths.append(facts.manage_py)
    for module in (facts.settings_module, facts.celery_app):  # the project's own top-level packages
        top = module.split(".")[0]
        paths.append(posixpath.normpath(posixpath.join(facts.project_dir, top)))
    paths.append("deployment/entrypoints/docker-entrypoint.sh")
    return list(dict.fromkeys(paths))


def static_root_in_context(facts: SiteFacts) -> str | None:
    """The repository path collectstatic writes to, when it is inside the build context."""
    if facts.static_root is None:
        return None
    relative = posixpath.relpath(facts.static_root, facts.code_dir)
    if relative.startswith(".."):
        return None
    return posixpath.normpath(posixpath.join(facts.source_root, relative))


def probe_paths(facts: SiteFacts) -> dict[str, str]:
    """Pattern -> a path it must exclude (checked against the existing file with BuildKit's matcher)."""
    probes = {
        ".git": ".git",
        "**/.env": posixpath.join(facts.project_dir, ".env") if facts.project_dir != "." else ".env",
        "**/.env.*": posixpath.join(facts.project_dir, ".env.local") if facts.project_dir != "." else ".env.local",
        "**/__pycache__": posixpath.join(facts.project_dir, "__pycache__"),
        "**/*.py[co]": posixpath.join(facts.project_dir, "x.pyc"),
        "**/node_modules": posixpath.join(
            posixpath.dirname(facts.npm.package_json) if facts.npm else ".", "node_modules"
        ),
        ".venv": ".venv",
        ".dockyard": ".dockyard",
        "deployment/archive": "deployment/archive",
    }
    static = static_root_in_context(facts)
    if static:
        probes[static] = static
    return {pattern: posixpath.normpath(path) for pattern, path in probes.items()}
