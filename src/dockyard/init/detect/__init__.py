"""detect(snapshot) -> SiteFacts: pure functions over the repository's files, each fact with evidence.

One module per question: project (manage.py, settings, WSGI, tests), legacy (the old Dockerfiles,
compose files, scripts), commands (web server and Celery options), celery (the app), deps
(dependencies, Python), npm, layout (where the code goes in the image), settings (assignments and
path evaluation), envvars, urls (the health endpoint), beat, system (Debian packages).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from dockyard.init.detect import celery as celery_detect
from dockyard.init.detect import commands, project
from dockyard.init.detect.beat import beat
from dockyard.init.detect.deps import detect_dependencies, detect_python, load_pyproject
from dockyard.init.detect.envvars import read_env_vars, role_of
from dockyard.init.detect.found import Found
from dockyard.init.detect.layout import layout
from dockyard.init.detect.legacy import LegacyFacts, Services, classify_commands, read_legacy
from dockyard.init.detect.npm import detect_npm
from dockyard.init.detect.settings import PathEvaluator, SettingsView, static_root
from dockyard.init.detect.system import system_packages
from dockyard.init.detect.urls import settle_health
from dockyard.init.facts import EnvVar, Evidence, SiteFacts
from dockyard.init.pysource import PythonRoot, string
from dockyard.init.snapshot import Snapshot


@dataclass(frozen=True)
class DetectOptions:
    celery_app: str | None = None  # --celery-app
    health_path: str | None = None  # --health-path
    add_health_view: bool = False  # --add-health-view
    manage_py: str | None = None  # --manage-py


def detect(snapshot: Snapshot, options: DetectOptions = DetectOptions()) -> SiteFacts:
    found = Found()
    manage_path = project.find_manage_py(snapshot, options.manage_py)
    project_dir = posixpath.dirname(manage_path) or "."
    found.cite("manage_py", _evidence(manage_path))
    root = PythonRoot(snapshot, project_dir)
    manage = root.source(manage_path, required=True)
    legacy = read_legacy(snapshot)
    services = classify_commands(legacy.commands)

    settings_source = project.settings_module(root, manage, legacy, found)  # type: ignore[arg-type]
    settings = settings_source.module
    view = SettingsView(root, settings_source)
    roots = list(dict.fromkeys([".", project_dir]))
    dependencies, notes = detect_dependencies(snapshot, roots, legacy)
    found.note(*notes)
    found.cite("dependencies", dependencies.evidence)
    asgi = project.asgi_application(view)
    wsgi, where = project.wsgi_application(view, root, services.web.argv if services.web else None)
    found.cite("wsgi", where if where.path or services.web is None else services.web.evidence)

    app = celery_detect.choose_celery_app(
        root, options.celery_app, commands.legacy_apps(services), settings.rpartition(".")[0] or settings
    )
    found.cite("celery_app", app.evidence)
    celery_global, worker_args, beat_args, beat_words = commands.celery_options(services, found)

    pyproject = load_pyproject(snapshot, "pyproject.toml") if snapshot.text("pyproject.toml") else None
    python, suite, where, notes = detect_python(snapshot, roots, legacy, pyproject, "pyproject.toml")
    found.cite("python", where)
    found.note(*notes)
    npm = detect_npm(snapshot, roots)
    if npm is not None:
        found.cite("npm", npm.evidence)
        if npm.build_script and not npm.inputs:
            found.note(f"the build script in {npm.package_json} names no input files: the builder copies them all")
    place = layout(legacy, project_dir, dependencies, npm)
    found.cite("code_dir", place.evidence)
    workdir = place.image_path(project_dir)

    web_command, port = commands.web_command(services, legacy, wsgi, asgi, dependencies.packages, found)
    urlconf_setting = view.find("ROOT_URLCONF")
    urlconf = string(urlconf_setting.value) if urlconf_setting else None
    health_path, health_added = settle_health(root, urlconf, options.health_path, options.add_health_view, found)

    env = tuple(read_env_vars({s.path: s for s in [*view.modules, *root.closure(app.source)]}.values()))
    _unread_legacy_names(legacy, env, found)
    static = static_root(view, PathEvaluator(view, place.image_path), found)
    beat_facts = beat(root, view, app, beat_words, legacy, place, workdir, found)
    test_settings, test_runner = project.tests(snapshot, root, settings, dependencies, pyproject)
    apt_runtime, apt_build = system_packages(snapshot, legacy, dependencies, npm, found)
    migrate = _migrates(services, found)
    found.cite("tini", legacy.tini)
    found.cite("postgres_image", legacy.postgres_image[1] if legacy.postgres_image else None)
    skipped = [f"{p} does not parse with this Python: skipped" for p in root.skipped]

    return SiteFacts(
        name=project.site_name(snapshot, settings),
        project_dir=project_dir,
        manage_py=manage_path,
        settings_module=settings,
        wsgi=wsgi,
        celery_app=app.module,
        celery_instance=app.instance,
        python_version=python,
        debian_suite=suite,
        dependencies=dependencies,
        web_port=port,
        web_command=tuple(web_command),
        worker_args=tuple(worker_args),
        worker_global=tuple(celery_global),
        beat_args=tuple(beat_args),
        health_path=health_path,
        source_root=place.source_root,
        code_dir=place.code_dir,
        test_settings_module=test_settings,
        asgi=asgi,
        npm=npm,
        apt_runtime=apt_runtime,
        apt_build=apt_build,
        env=env,
        static_root=static,
        writable_dirs=beat_facts.writable_dirs,
        uses_tini=legacy.tini is not None,
        migrate_on_start=migrate,
        beat_scheduler=beat_facts.scheduler,
        beat_schedule_file=beat_facts.schedule_file,
        test_runner=test_runner,
        heartbeat_task=beat_facts.heartbeat_task,
        result_backend=_has_result_backend(view, app),
        postgres_image=legacy.postgres_image[0] if legacy.postgres_image else None,
        redis_image=legacy.redis_image[0] if legacy.redis_image else None,
        health_added=health_added,
        urlconf_path=root.path_of(urlconf) if urlconf else None,
        legacy_files=tuple(legacy.files),
        evidence=found.evidence,
        notes=tuple(dict.fromkeys(found.notes + skipped)),
    )


def _evidence(path: str) -> Evidence:
    return Evidence(path, 0, posixpath.basename(path))


def _unread_legacy_names(legacy: LegacyFacts, env: tuple[EnvVar, ...], found: Found) -> None:
    read = {v.name for v in env}
    for name, where in sorted(legacy.env_names.items()):
        if name not in read and role_of(name).split("-")[0] in ("database", "broker", "secret"):
            found.note(f"{name} is set for the old containers ({where}) but the settings do not read it")


def _migrates(services: Services, found: Found) -> bool:
    if services.migrates is not None:
        found.cite("migrate_on_start", services.migrates.evidence)
        return True
    if services.web is not None:
        found.note(
            "the old start commands run no migrations: the images do not migrate at start "
            "(DJANGO_MIGRATE=1 turns it on)"
        )
        return False
    return True


def _has_result_backend(view: SettingsView, app: celery_detect.CeleryApp) -> bool:
    """Does the Celery app keep results: a CELERY_RESULT_BACKEND setting, `result_backend` or
    `backend=` in the app's own module."""
    if view.find("CELERY_RESULT_BACKEND") is not None:
        return True
    text = app.source.text
    return "result_backend" in text or "backend=" in text.replace(" ", "")
