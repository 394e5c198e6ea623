"""The Django project: manage.py, the settings module, WSGI/ASGI, the project's name, its tests."""

from __future__ import annotations

import ast
import posixpath
import re
from collections import Counter
from typing import Any

from dockyard.core.errors import ConfigError
from dockyard.init.detect.deps import load_pyproject
from dockyard.init.detect.found import Found
from dockyard.init.detect.legacy import LegacyFacts
from dockyard.init.detect.settings import SettingsView
from dockyard.init.facts import Dependencies, Evidence
from dockyard.init.pysource import PythonRoot, Source, dotted, string
from dockyard.init.snapshot import Snapshot

MANAGE_DEPTH = 2  # manage.py at the root, in src/, or one more level down
SKIPPED_DIRS = ("tests", "test", "docs", "examples", "example", "node_modules")
TEST_SETTINGS = ("test", "tests", "testing", "ci")


def find_manage_py(snapshot: Snapshot, explicit: str | None = None) -> str:
    if explicit:
        explicit = posixpath.normpath(explicit)
        snapshot.require(explicit)
        return explicit
    candidates = [
        p
        for p in snapshot.named("manage.py")
        if p.count("/") <= MANAGE_DEPTH and not set(p.split("/")[:-1]) & set(SKIPPED_DIRS)
    ]
    candidates = [p for p in candidates if "django" in snapshot.require(p)]
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


def settings_module(root: PythonRoot, manage: Source, legacy: LegacyFacts, found: Found) -> Source:
    """The production settings: what wsgi.py (the production server's entry) defaults to, then the old
    images' ENV, asgi.py, manage.py."""
    candidates: list[tuple[str, Evidence]] = []
    prefix = "" if root.root == "." else root.root + "/"
    for name in ("wsgi.py", "asgi.py"):
        for path in root.snapshot.named(name):
            source = root.source(path) if path.startswith(prefix) else None
            hit = _setdefault_settings(source) if source else None
            if hit and source:
                candidates.append((hit[0], Evidence(path, hit[1], source.line(hit[1]))))
        if name == "wsgi.py":
            for value, _count in Counter(v for v, _ in legacy.settings_module).most_common():
                candidates.append((value, next(w for v, w in legacy.settings_module if v == value)))
    hit = _setdefault_settings(manage)
    if hit:
        candidates.append((hit[0], Evidence(manage.path, hit[1], manage.line(hit[1]))))
    if not candidates:
        raise ConfigError(
            f"{manage.path}: no os.environ.setdefault('DJANGO_SETTINGS_MODULE', ...): is this a Django project?"
        )
    chosen, where = candidates[0]
    found.cite("settings_module", where)
    others = sorted({v for v, _ in candidates} - {chosen})
    if others:
        found.note(f"settings {chosen} ({where}) chosen for the images; also seen: {', '.join(others)}")
    path = root.path_of(chosen)
    if path is None:
        place = "the repository root" if root.root == "." else f"{root.root}/"
        raise ConfigError(f"settings module {chosen} ({where}) not found under {place}")
    return root.source(path, required=True)  # type: ignore[return-value]


def wsgi_application(view: SettingsView, root: PythonRoot, web_argv: tuple[str, ...] | None) -> tuple[str, Evidence]:
    setting = view.find("WSGI_APPLICATION")
    value = string(setting.value) if setting else None
    if setting and value and "." in value:
        module, _, attribute = value.rpartition(".")
        return f"{module}:{attribute}", Evidence(setting.source.path, setting.line, setting.source.line(setting.line))
    if web_argv:
        for word in web_argv[1:]:
            if ":" in word and not word.startswith("-") and re.fullmatch(r"[\w.]+:[\w.()]+", word):
                return word, Evidence("", 0, " ".join(web_argv))
    for path in root.snapshot.named("wsgi.py"):
        source = root.source(path)
        if source and "get_wsgi_application" in source.text:
            return f"{source.module}:application", Evidence(path, 0, "get_wsgi_application()")
    raise ConfigError("no WSGI application found (WSGI_APPLICATION in the settings, or a wsgi.py)")


def asgi_application(view: SettingsView) -> str | None:
    setting = view.find("ASGI_APPLICATION")
    value = string(setting.value) if setting else None
    if not value or "." not in value:
        return None
    module, _, attribute = value.rpartition(".")
    return f"{module}:{attribute}"


def site_name(snapshot: Snapshot, settings: str) -> str:
    """The image prefix: [project] name, else the settings' top-level package."""
    data = load_pyproject(snapshot, "pyproject.toml") if snapshot.text("pyproject.toml") else {}
    name = (data.get("project") or {}).get("name") or settings.split(".")[0]
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or "site"


def tests(
    snapshot: Snapshot, root: PythonRoot, settings: str, dependencies: Dependencies, pyproject: dict[str, Any] | None
) -> tuple[str | None, str]:
    """(test settings module or None, "pytest" or "django")."""
    pytest_config = (pyproject or {}).get("tool", {}).get("pytest", {}).get("ini_options") or {}
    test_settings = pytest_config.get("DJANGO_SETTINGS_MODULE") if isinstance(pytest_config, dict) else None
    package = settings.rpartition(".")[0]
    package_file = root.path_of(package) if package else None
    if not test_settings and package_file and package_file.endswith("__init__.py"):
        for name in TEST_SETTINGS:
            if root.path_of(f"{package}.{name}"):
                test_settings = f"{package}.{name}"
                break
    has_pytest = "pytest" in dependencies.dev_packages | dependencies.packages
    configured = bool(pytest_config) or any(snapshot.exists(p) for p in ("pytest.ini", "conftest.py"))
    configured = configured or "[tool:pytest]" in (snapshot.text("setup.cfg") or "")
    runner = "pytest" if has_pytest and configured else "django"
    return (test_settings if test_settings != settings else None), runner
