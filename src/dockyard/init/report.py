"""The facts as rows for a person (and for JSON): what init found, the value, and where."""

from __future__ import annotations

from dockyard.init.facts import SiteFacts


def fact_rows(facts: SiteFacts) -> list[tuple[str, str, str]]:
    """(what, value, evidence) rows in reading order."""
    ev = facts.evidence

    def where(key: str) -> str:
        found = ev.get(key)
        return str(found) if found and found.path else (found.text if found else "")

    deps = facts.dependencies
    dep_value = {
        "requirements": f"pip -r {deps.production}",
        "uv": "uv sync (pyproject.toml + uv.lock)",
        "poetry": "poetry install (pyproject.toml + poetry.lock)",
        "pyproject": "pip, from pyproject.toml",
    }[deps.kind]
    if deps.kind == "requirements" and len(deps.files) > 1:
        dep_value += f" (-r chain: {', '.join(deps.files)})"
    rows = [
        ("Django project", f"{facts.manage_py} (code in {facts.project_dir}/)", where("manage_py")),
        ("settings", facts.settings_module, where("settings_module")),
        ("WSGI", facts.wsgi, where("wsgi")),
        ("Celery app", f"{facts.celery_app} (instance {facts.celery_instance})", where("celery_app")),
        ("dependencies", dep_value, where("dependencies")),
    ]
    if deps.dev:
        rows.append(("dev dependencies", deps.dev, deps.dev))
    rows += [
        ("Python", f"{facts.python_version} (Debian {facts.debian_suite})", where("python")),
        ("web server", " ".join(facts.web_command), where("web_command") or "default"),
        ("web port", str(facts.web_port), where("web_port")),
        ("health path", facts.health_path or "NONE FOUND", where("health_path") or "-"),
        ("Celery worker", " ".join(facts.worker_args), where("worker") or "default"),
        ("Celery beat", f"{' '.join(facts.beat_args)} ({facts.beat_scheduler} scheduler)", where("beat") or "default"),
    ]
    if facts.npm is not None:
        build = facts.npm.build_script or "none"
        production = ", ".join(facts.npm.production_dependencies) or "none"
        rows.append(("npm", f"build: {build}; production: {production}", where("npm")))
    else:
        rows.append(("npm", "none (no package.json)", "-"))
    rows += [
        (
            "system packages",
            f"runtime: {' '.join(facts.apt_runtime) or 'none'}; build: {' '.join(facts.apt_build) or 'none'}",
            where("apt") or "-",
        ),
        ("code in the image", f"{facts.code_dir} (workdir {facts.workdir})", where("code_dir") or "the card's /code"),
        ("static files", facts.static_root or "no collectstatic", where("static_root") or "-"),
        (
            "migrations at start",
            "yes (DJANGO_MIGRATE)" if facts.migrate_on_start else "no",
            where("migrate_on_start") or "-",
        ),
    ]
    for var in facts.env:
        if var.role in ("other", "debug"):
            continue
        rows.append((f"env {var.role}", var.name + (" (required)" if var.required else ""), str(var.evidence)))
    if facts.heartbeat_task:
        rows.append(("periodic task", facts.heartbeat_task, where("heartbeat_task")))
    if facts.legacy_files:
        rows.append(("old files read", ", ".join(facts.legacy_files), "-"))
    return rows
