"""detect(snapshot) -> SiteFacts: pure functions over the repository's files, each fact with evidence."""

from __future__ import annotations

import ast
import posixpath
import re
from collections import Counter
from dataclasses import dataclass

from dockyard.core.errors import ConfigError
from dockyard.dockerfile.shell import SimpleCommand
from dockyard.init.detect import celery as celery_detect
from dockyard.init.detect import deps as deps_detect
from dockyard.init.detect.envvars import read_env_vars, role_of
from dockyard.init.detect.legacy import LegacyFacts, classify_commands, read_legacy
from dockyard.init.detect.npm import detect_npm
from dockyard.init.detect.settings import PathEvaluator, SettingsView
from dockyard.init.detect.system import system_packages
from dockyard.init.detect.urls import health_route
from dockyard.init.facts import Dependencies, Evidence, Npm, SiteFacts
from dockyard.init.pysource import PythonRoot, Source, dotted, string
from dockyard.init.snapshot import Snapshot
from dockyard.lint.commands import celery_args, celery_subcommand

MANAGE_DEPTH = 2  # manage.py at the root, in src/, or one more level down
SKIPPED_DIRS = ("tests", "test", "docs", "examples", "example", "node_modules")
DEFAULT_PORT = 8000
DEFAULT_CODE_DIR = "/code"
ADDED_HEALTH_PATH = "/healthz/"


@dataclass(frozen=True)
class DetectOptions:
    celery_app: str | None = None  # --celery-app
    health_path: str | None = None  # --health-path
    add_health_view: bool = False  # --add-health-view
    manage_py: str | None = None  # --manage-py


# --------------------------------------------------------------------------- manage.py, settings


def find_manage_py(snapshot: Snapshot, explicit: str | None = None) -> str:
    if explicit:
        path = posixpath.normpath(explicit)
        snapshot.require(path)
        return path
    candidates = [
        p
        for p in snapshot.named("manage.py")
        if p.count("/") <= MANAGE_DEPTH and not set(p.split("/")[:-1]) & set(SKIPPED_DIRS)
    ]
    candidates = [
        p for p in candidates if "execute_from_command_line" in snapshot.require(p) or "django" in snapshot.require(p)
    ]
    if not candidates:
        raise ConfigError(
            "not a Django project: no manage.py here or up to two directories below (run dockyard init in the "
            "repository root, or pass --manage-py PATH)"
        )
    shallowest = min(p.count("/") for p in candidates)
    top = [p for p in candidates if p.count("/") == shallowest]
    if len(top) > 1:
        raise ConfigError(f"several manage.py ({', '.join(top)}): pass --manage-py PATH")
    return top[0]


def _setdefault_settings(source: Source) -> tuple[str, int] | None:
    for node in ast.walk(source.tree):
        if (
            isinstance(node, ast.Call)
            and dotted(node.func) in ("os.environ.setdefault", "environ.setdefault")
            and len(node.args) == 2
            and string(node.args[0]) == "DJANGO_SETTINGS_MODULE"
            and string(node.args[1])
        ):
            return string(node.args[1]) or "", node.lineno
    return None


def settings_module(root: PythonRoot, manage: Source, legacy: LegacyFacts) -> tuple[str, Evidence, list[str]]:
    """The production settings: what wsgi.py (the production server's entry) defaults to, then the old
    images' ENV, asgi.py, manage.py."""
    found: list[tuple[str, Evidence]] = []
    for name in ("wsgi.py", "asgi.py"):
        for path in root.snapshot.named(name):
            if not path.startswith("" if root.root == "." else root.root + "/"):
                continue
            source = root.source(path)
            hit = _setdefault_settings(source) if source else None
            if hit:
                found.append((hit[0], Evidence(path, hit[1], source.line(hit[1]) if source else "")))
        if name == "wsgi.py":
            values = Counter(v for v, _ in legacy.settings_module)
            for value, _count in values.most_common():
                found.append((value, next(w for v, w in legacy.settings_module if v == value)))
    hit = _setdefault_settings(manage)
    if hit:
        found.append((hit[0], Evidence(manage.path, hit[1], manage.line(hit[1]))))
    if not found:
        raise ConfigError(
            f"{manage.path}: no os.environ.setdefault('DJANGO_SETTINGS_MODULE', ...): is this a Django project?"
        )
    chosen, where = found[0]
    notes = []
    others = sorted({v for v, _ in found} - {chosen})
    if others:
        notes.append(f"settings {chosen} ({where}) chosen for the images; also seen: {', '.join(others)}")
    return chosen, where, notes


def _wsgi(view: SettingsView, root: PythonRoot, web_argv: tuple[str, ...] | None) -> tuple[str, Evidence]:
    found = view.find("WSGI_APPLICATION")
    value = string(found.value) if found else None
    if value and "." in value:
        module, _, attribute = value.rpartition(".")
        return f"{module}:{attribute}", Evidence(found.source.path, found.line, found.source.line(found.line))
    if web_argv:
        for word in web_argv[1:]:
            if ":" in word and not word.startswith("-") and re.fullmatch(r"[\w.]+:[\w.()]+", word):
                return word, Evidence("", 0, " ".join(web_argv))
    for path in root.snapshot.named("wsgi.py"):
        source = root.source(path)
        if source and "get_wsgi_application" in source.text:
            return f"{source.module}:application", Evidence(path, 0, "get_wsgi_application()")
    raise ConfigError("no WSGI application found (WSGI_APPLICATION in the settings, or a wsgi.py)")


# --------------------------------------------------------------------------- commands


def _strip_program(argv: tuple[str, ...]) -> list[str]:
    """`../.venv/bin/gunicorn x` -> ["gunicorn", "x"]: the image puts the venv on PATH."""
    words = list(argv)
    if words:
        words[0] = posixpath.basename(words[0])
    return words


def _web_command(
    legacy_web, wsgi: str, packages: frozenset[str], asgi: str | None
) -> tuple[list[str], int | None, list[str]]:
    notes: list[str] = []
    if legacy_web is not None and posixpath.basename(legacy_web.argv[0]) in ("gunicorn", "uvicorn", "daphne"):
        words = [w for w in _strip_program(legacy_web.argv) if w != "--reload"]
        simple = SimpleCommand(words)
        port = None
        if words[0] == "gunicorn":
            bind = simple.option("-b", "--bind")
            if bind and ":" in bind and not bind.startswith("unix:"):
                host, _, number = bind.rpartition(":")
                port = int(number) if number.isdigit() else None
                if host not in ("0.0.0.0", "", "[::]") and port:
                    words = [w.replace(bind, f"0.0.0.0:{port}") for w in words]
                    notes.append(f"gunicorn bound to {bind} in {legacy_web.evidence}: the image binds 0.0.0.0:{port}")
        else:
            number = simple.option("--port", "-p")
            port = int(number) if number and number.isdigit() else None
        return words, port, notes
    if "gunicorn" in packages or not (asgi and "uvicorn" in packages):
        if "gunicorn" not in packages:
            notes.append("gunicorn is not in the production dependencies: add it, or the web image cannot start")
        return (
            ["gunicorn", wsgi, "--bind", f"0.0.0.0:{DEFAULT_PORT}", "--workers", "2", "--access-logfile", "-"],
            None,
            notes,
        )
    return ["uvicorn", asgi, "--host", "0.0.0.0", "--port", str(DEFAULT_PORT)], None, notes


def _celery_parts(argv: tuple[str, ...] | None) -> tuple[list[str], list[str], str | None]:
    """(global options without --app, sub-command options, the --app value) of a celery command."""
    if argv is None:
        return [], [], None
    args = celery_args(SimpleCommand(list(argv))) or []
    sub = celery_subcommand(args)
    index = args.index(sub) if sub in args else len(args)
    before, after = args[:index], args[index + 1 :]
    app = SimpleCommand(["celery", *args]).option("-A", "--app")
    return _without(before, {"-A", "--app"}), _without(after, {"-A", "--app"}), app


def _without(words: list[str], options: set[str], flags: set[str] = frozenset()) -> list[str]:
    out, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        name = word.partition("=")[0]
        if name in options:
            skip = "=" not in word
            continue
        if word in flags:
            continue
        out.append(word)
    return out


GREEN_POOLS = {"gevent", "eventlet"}
WORKER_DROP = {"--pidfile", "--logfile", "-f", "--statedb"}
WORKER_FLAGS = {"-B", "--beat", "--detach", "-D"}
BEAT_DROP = {"--pidfile", "--logfile", "-f"}


# --------------------------------------------------------------------------- layout


def _inside(path: str, directory: str) -> bool:
    return directory == "." or path == directory or path.startswith(directory.rstrip("/") + "/")


def _source_root(project_dir: str, dependencies: Dependencies, npm: Npm | None) -> str:
    """The project directory when everything the build needs is inside it, else the repository root."""
    needed = list(dependencies.files) + list(dependencies.dev_files)
    if npm is not None:
        needed += [npm.package_json, *(npm.inputs or ())]
        if npm.lockfile:
            needed.append(npm.lockfile)
    if project_dir != "." and all(_inside(p, project_dir) for p in needed):
        return project_dir
    return "."


def _code_dir(legacy: LegacyFacts, source_root: str) -> tuple[str, Evidence | None]:
    if not legacy.root_in_image:
        return DEFAULT_CODE_DIR, None
    pre_migration = [(d, w) for d, w in legacy.root_in_image if not w.path.startswith("deployment/")]
    counts = Counter(d for d, _ in pre_migration or legacy.root_in_image)
    root = counts.most_common(1)[0][0]
    where = next(w for d, w in legacy.root_in_image if d == root)
    if source_root == ".":
        return root, where
    return posixpath.join(root, source_root), where


def _site_name(snapshot: Snapshot, settings: str) -> str:
    data = None
    if snapshot.text("pyproject.toml"):
        data = deps_detect.load_pyproject(snapshot, "pyproject.toml")
    name = ((data or {}).get("project") or {}).get("name") or settings.split(".")[0]
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or "site"


# --------------------------------------------------------------------------- detect


def detect(snapshot: Snapshot, options: DetectOptions = DetectOptions()) -> SiteFacts:
    notes: list[str] = []
    evidence: dict[str, Evidence] = {}
    manage_path = find_manage_py(snapshot, options.manage_py)
    project_dir = posixpath.dirname(manage_path) or "."
    evidence["manage_py"] = Evidence(manage_path, 0, "manage.py")
    root = PythonRoot(snapshot, project_dir)
    manage = root.source(manage_path, required=True)
    legacy = read_legacy(snapshot)
    services = classify_commands(legacy.commands)

    settings, evidence["settings_module"], more = settings_module(root, manage, legacy)
    notes += more
    settings_path = root.path_of(settings)
    if settings_path is None:
        where = "the repository root" if project_dir == "." else f"{project_dir}/"
        raise ConfigError(f"settings module {settings} ({evidence['settings_module']}) not found under {where}")
    settings_source = root.source(settings_path, required=True)
    view = SettingsView(root, settings_source)

    roots = list(dict.fromkeys([".", project_dir]))
    dependencies, more = deps_detect.detect_dependencies(snapshot, roots, legacy)
    notes += more
    evidence["dependencies"] = dependencies.evidence
    packages = dependencies.packages

    asgi_setting = view.find("ASGI_APPLICATION")
    asgi_value = string(asgi_setting.value) if asgi_setting else None
    asgi = f"{asgi_value.rpartition('.')[0]}:{asgi_value.rpartition('.')[2]}" if asgi_value else None
    wsgi, evidence["wsgi"] = _wsgi(view, root, services.web.argv if services.web else None)
    if not evidence["wsgi"].path and services.web:
        evidence["wsgi"] = services.web.evidence

    # Celery
    legacy_apps = []
    for command in (services.worker, services.beat, services.flower):
        if command is not None:
            app = _celery_parts(command.argv)[2]
            if app:
                legacy_apps.append((app, command.evidence))
    app = celery_detect.choose_celery_app(
        root, options.celery_app, legacy_apps, settings.rpartition(".")[0] or settings
    )
    evidence["celery_app"] = app.evidence
    worker_global, worker_after, _ = _celery_parts(services.worker.argv if services.worker else None)
    beat_global, beat_after, _ = _celery_parts(services.beat.argv if services.beat else None)
    worker_args = _without(worker_after, WORKER_DROP, WORKER_FLAGS) or ["--concurrency", "2", "--loglevel", "INFO"]
    pool = SimpleCommand(["celery", *worker_args]).option("-P", "--pool")
    if pool in GREEN_POOLS:
        notes.append(f"the old worker runs --pool {pool}: celery-unified runs prefork (embedded beat rejects {pool})")
    beat_args = _without(beat_after, BEAT_DROP, {"--detach", "-D"}) or ["--loglevel", "INFO"]
    if services.worker:
        evidence["worker"] = services.worker.evidence
    if services.beat:
        evidence["beat"] = services.beat.evidence

    # Python, npm, layout
    pyproject_path = "pyproject.toml" if snapshot.text("pyproject.toml") else None
    pyproject_data = deps_detect.load_pyproject(snapshot, pyproject_path) if pyproject_path else None
    python, suite, evidence["python"], more = deps_detect.detect_python(
        snapshot, roots, legacy, pyproject_data, pyproject_path
    )
    notes += more
    npm = detect_npm(snapshot, roots)
    if npm is not None:
        evidence["npm"] = npm.evidence
        if npm.build_script and not npm.inputs:
            notes.append(
                f"the build script in {npm.package_json} names no input files: the builder copies the whole directory"
            )
    source_root = _source_root(project_dir, dependencies, npm)
    code_dir, code_evidence = _code_dir(legacy, source_root)
    if code_evidence:
        evidence["code_dir"] = code_evidence

    def image_path(relative: str) -> str:
        rel = relative if source_root == "." else posixpath.relpath(relative, source_root)
        return posixpath.normpath(posixpath.join(code_dir, rel))

    # Web
    web_command, port, more = _web_command(services.web, wsgi, packages, asgi)
    notes += more
    if services.web:
        evidence["web_command"] = services.web.evidence
    if port is None:
        ports = [p for p, _ in legacy.exposed] + [p for p, _ in legacy.published]
        if ports:
            port = Counter(ports).most_common(1)[0][0]
            evidence["web_port"] = (
                [w for p, w in legacy.exposed if p == port] + [w for p, w in legacy.published if p == port]
            )[0]
            web_command = [
                w.replace(f":{DEFAULT_PORT}", f":{port}") if w.startswith("0.0.0.0:") else w for w in web_command
            ]
            if web_command[0] == "uvicorn":
                web_command[-1] = str(port)
        else:
            port = DEFAULT_PORT
            evidence["web_port"] = Evidence("", 0, f"default {DEFAULT_PORT}")
    elif services.web:
        evidence["web_port"] = services.web.evidence

    # Health
    urlconf = view.find("ROOT_URLCONF")
    health_path = options.health_path
    health_added = False
    if health_path is not None:
        if not health_path.startswith("/"):
            raise ConfigError(f"--health-path must start with /, got {health_path!r}")
        evidence["health_path"] = Evidence("", 0, "--health-path")
    else:
        route = health_route(root, string(urlconf.value) or "") if urlconf and string(urlconf.value) else None
        if route is not None:
            health_path = route.path
            evidence["health_path"] = route.evidence
        elif options.add_health_view:
            health_path, health_added = ADDED_HEALTH_PATH, True
            evidence["health_path"] = Evidence("", 0, "--add-health-view")

    # Environment
    celery_sources = root.closure(app.source)
    sources = list({s.path: s for s in [*view.modules, *celery_sources]}.values())
    env = tuple(read_env_vars(sources))
    for name, where in sorted(legacy.env_names.items()):
        if name not in {v.name for v in env} and role_of(name).split("-")[0] in ("database", "broker", "secret"):
            notes.append(f"{name} is set for the old containers ({where}) but the settings do not read it")

    # Static files
    evaluator = PathEvaluator(view, image_path)
    static_root, static_setting = evaluator.setting("STATIC_ROOT")
    apps = view.strings("INSTALLED_APPS")
    if apps is not None and "django.contrib.staticfiles" not in apps:
        static_root = None
    elif static_setting is None:
        notes.append("STATIC_ROOT is not set: the images run no collectstatic")
    elif static_root is None:
        notes.append(
            f"STATIC_ROOT ({static_setting.source.path}:{static_setting.line}) could not be worked out: "
            "the images run no collectstatic"
        )
    else:
        evidence["static_root"] = Evidence(
            static_setting.source.path, static_setting.line, static_setting.source.line(static_setting.line)
        )

    # Beat
    scheduler = "persistent"
    setting = view.find("CELERY_BEAT_SCHEDULER")
    if (setting and "DatabaseScheduler" in (string(setting.value) or "")) or any(
        "django" in w.lower() for w in beat_after if not w.startswith("-")
    ):
        scheduler = "database"
    schedule_file = SimpleCommand(["celery", *beat_after]).option("-s", "--schedule")
    if schedule_file and not schedule_file.startswith("/"):
        schedule_file = posixpath.join(image_path(project_dir), schedule_file)
    if not schedule_file:
        schedule_file, _ = evaluator.setting("CELERY_BEAT_SCHEDULE_FILENAME")
    if not schedule_file:
        schedule_file = _celery_conf_path(app.source, root, image_path, "beat_schedule_filename")
    owned = {code_dir, image_path(project_dir)}  # the image's code and work directories are app's anyway
    writable = {d for d in legacy.mkdirs if _inside(d, code_dir) and d not in owned}
    if scheduler == "persistent" and schedule_file and _inside(posixpath.dirname(schedule_file), code_dir):
        if posixpath.dirname(schedule_file) != code_dir:
            writable.add(posixpath.dirname(schedule_file))

    # Tests
    test_settings, test_runner = _tests(snapshot, root, settings, dependencies, pyproject_data)

    heartbeat = None
    for source in [*view.modules, app.source]:
        tasks = celery_detect.beat_schedule_tasks(source)
        if tasks:
            heartbeat = tasks[0][0]
            evidence["heartbeat_task"] = tasks[0][1]
            break

    apt_runtime, apt_build, more = system_packages(snapshot, legacy, dependencies, npm)
    notes += more
    migrate = True
    if services.migrates is not None:
        evidence["migrate_on_start"] = services.migrates.evidence
    elif services.web is not None:
        migrate = False
        notes.append(
            "the old start commands run no migrations: the images do not migrate at start "
            "(DJANGO_MIGRATE=1 turns it on)"
        )

    if legacy.tini:
        evidence["tini"] = legacy.tini
    if legacy.postgres_image:
        evidence["postgres_image"] = legacy.postgres_image[1]

    return SiteFacts(
        name=_site_name(snapshot, settings),
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
        worker_global=tuple(_without(worker_global or beat_global, set(), {"--no-color"})),
        beat_args=tuple(beat_args),
        health_path=health_path,
        source_root=source_root,
        code_dir=code_dir,
        test_settings_module=test_settings,
        asgi=asgi,
        npm=npm,
        apt_runtime=apt_runtime,
        apt_build=apt_build,
        env=env,
        static_root=static_root,
        writable_dirs=tuple(sorted(writable)),
        uses_tini=legacy.tini is not None,
        migrate_on_start=migrate,
        beat_scheduler=scheduler,
        beat_schedule_file=schedule_file if scheduler == "persistent" else None,
        test_runner=test_runner,
        heartbeat_task=heartbeat,
        postgres_image=legacy.postgres_image[0] if legacy.postgres_image else None,
        redis_image=legacy.redis_image[0] if legacy.redis_image else None,
        health_added=health_added,
        urlconf_path=root.path_of(string(urlconf.value) or "") if urlconf and string(urlconf.value) else None,
        legacy_files=tuple(legacy.files),
        evidence=evidence,
        notes=tuple(dict.fromkeys(notes + [f"{p} does not parse with this Python: skipped" for p in root.skipped])),
    )


def _celery_conf_path(source: Source, root: PythonRoot, image_path, key: str) -> str | None:
    """`app.conf.update(beat_schedule_filename=...)` (or `app.conf.beat_schedule_filename = ...`), evaluated."""
    view = SettingsView(root, source)
    evaluator = PathEvaluator(view, image_path)
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Call):
            for item in node.keywords:
                if item.arg == key:
                    return evaluator.value(item.value, source, node.lineno)
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == key:
                    return evaluator.value(node.value, source, node.lineno)
    return None


TEST_SETTINGS = ("test", "tests", "testing", "ci")


def _tests(
    snapshot: Snapshot, root: PythonRoot, settings: str, dependencies: Dependencies, pyproject
) -> tuple[str | None, str]:
    pytest_config = (pyproject or {}).get("tool", {}).get("pytest", {}).get("ini_options") or {}
    test_settings = pytest_config.get("DJANGO_SETTINGS_MODULE") if isinstance(pytest_config, dict) else None
    package = settings.rpartition(".")[0]
    if not test_settings and package and root.path_of(package) and root.path_of(package).endswith("__init__.py"):
        for name in TEST_SETTINGS:
            if root.path_of(f"{package}.{name}"):
                test_settings = f"{package}.{name}"
                break
    has_pytest = "pytest" in dependencies.dev_packages | dependencies.packages
    configured = bool(pytest_config) or any(snapshot.exists(p) for p in ("pytest.ini", "conftest.py"))
    configured = configured or "[tool:pytest]" in (snapshot.text("setup.cfg") or "")
    runner = "pytest" if has_pytest and configured else "django"
    return (test_settings if test_settings != settings else None), runner
