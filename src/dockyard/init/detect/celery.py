"""The Celery app: the module that creates `Celery(...)` (found with `ast`, not by file name)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from dockyard.core.errors import ConfigError
from dockyard.init.facts import Evidence
from dockyard.init.pysource import PythonRoot, Source, dotted, keyword, string


@dataclass(frozen=True)
class CeleryApp:
    module: str
    instance: str
    evidence: Evidence
    source: Source


def _celery_names(source: Source) -> tuple[set[str], set[str]]:
    """(names bound to the Celery class, names bound to the celery module) in `source`."""
    classes, modules = set(), set()
    for node in ast.walk(source.tree):
        if isinstance(node, ast.ImportFrom) and node.module == "celery":
            classes |= {alias.asname or alias.name for alias in node.names if alias.name == "Celery"}
        elif isinstance(node, ast.Import):
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "celery"}
    return classes, modules


def apps_in(source: Source) -> list[CeleryApp]:
    classes, modules = _celery_names(source)
    if not classes and not modules:
        return []
    found = []
    for node in source.tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or not isinstance(node.value, ast.Call):
            continue
        callee = dotted(node.value.func)
        if callee in classes or any(callee == f"{m}.Celery" for m in modules):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    where = Evidence(source.path, node.lineno, source.line(node.lineno))
                    found.append(CeleryApp(source.module, target.id, where, source))
    return found


def find_celery_apps(root: PythonRoot) -> list[CeleryApp]:
    apps = []
    for source in root.sources():
        if "/tests/" in f"/{source.path}" or source.path.rsplit("/", 1)[-1].startswith("test"):
            continue
        apps.extend(apps_in(source))
    return apps


def choose_celery_app(
    root: PythonRoot, explicit: str | None, legacy_apps: list[tuple[str, Evidence]], settings_package: str
) -> CeleryApp:
    """`--celery-app`, else the app the old commands name (`celery -A X`), else the only one found."""
    if explicit:
        module = explicit.partition(":")[0]
        source = root.module(module)
        if source is None:
            raise ConfigError(f"--celery-app {explicit}: no module {module} under {root.root}/")
        apps = apps_in(source)
        if explicit.partition(":")[2]:
            instance = explicit.partition(":")[2]
        else:
            instance = apps[0].instance if apps else "app"
        where = apps[0].evidence if apps else Evidence(source.path, 0, "--celery-app")
        return CeleryApp(module, instance, where, source)
    apps = find_celery_apps(root)
    if not apps:
        raise ConfigError(
            f"no Celery app found: no module under {root.root}/ creates Celery(...); "
            "pass --celery-app MODULE (e.g. --celery-app proj.celery)"
        )
    for named, _ in legacy_apps:
        module = named.partition(":")[0]
        for app in apps:
            if app.module in (module, f"{module}.celery", f"{module}.celery_app"):
                return app
    if len(apps) == 1:
        return apps[0]
    near = [a for a in apps if a.module.startswith(settings_package + ".") or a.module == settings_package]
    if len(near) == 1:
        return near[0]
    listing = ", ".join(f"{a.module} ({a.evidence})" for a in apps)
    raise ConfigError(f"several Celery apps ({listing}): pass --celery-app MODULE")


def beat_schedule_tasks(source: Source) -> list[tuple[str, Evidence]]:
    """Tasks of a literal beat schedule (`CELERY_BEAT_SCHEDULE = {...}` or `beat_schedule={...}`)."""
    out = []
    for node in ast.walk(source.tree):
        value = None
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("CELERY_BEAT_SCHEDULE", "BEAT_SCHEDULE", "beat_schedule")
            for t in node.targets
        ):
            value = node.value
        elif isinstance(node, ast.Call):
            value = keyword(node, "beat_schedule")
        if isinstance(value, ast.Dict):
            for entry in value.values:
                if isinstance(entry, ast.Dict):
                    for key, task in zip(entry.keys, entry.values, strict=False):
                        if string(key) == "task" and string(task):
                            out.append(
                                (string(task) or "", Evidence(source.path, task.lineno, source.line(task.lineno)))
                            )
    return out
