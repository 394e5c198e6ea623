"""Detection on small repositories written for each case (pure: snapshots from dicts)."""

from __future__ import annotations

import pytest
from conftest import CELERY, MANAGE, facts_of, minimal_site

from dockyard.core.errors import ConfigError
from dockyard.init.detect.deps import choose_production, parse_requirements
from dockyard.init.detect.envvars import read_env_vars, role_of
from dockyard.init.detect.legacy import classify_commands, parse_python_tag, read_legacy
from dockyard.init.pysource import PythonRoot
from dockyard.init.snapshot import snapshot_from


def test_minimal_site_defaults():
    facts = facts_of(minimal_site())
    assert facts.settings_module == "site_pkg.settings" and facts.wsgi == "site_pkg.wsgi:application"
    assert facts.celery_app == "site_pkg.celery" and facts.health_path == "/healthz/"
    assert facts.web_port == 80 and facts.code_dir == "/code"  # the card's port when nothing says otherwise
    assert facts.web_command[:2] == ("gunicorn", "site_pkg.wsgi:application")
    assert facts.static_root == "/code/static_collected"
    assert facts.python_version == "3.11" and any("no Python version" in n for n in facts.notes)


def test_not_a_django_project_is_one_error():
    with pytest.raises(ConfigError, match="not a Django project: no manage.py"):
        facts_of({"README.md": "hello", "app.py": "print(1)\n"})


def test_several_manage_py_asks_which():
    files = minimal_site(**{"other/manage.py": MANAGE.format(settings="x.settings"), "manage.py": None})
    files["one/manage.py"] = MANAGE.format(settings="site_pkg.settings")
    with pytest.raises(ConfigError, match=r"several manage.py \(one/manage.py, other/manage.py\): pass --manage-py"):
        facts_of(files)


def test_no_celery_app_offers_the_option():
    with pytest.raises(ConfigError, match="no Celery app found.*pass --celery-app MODULE"):
        facts_of(minimal_site(**{"site_pkg/celery.py": "# nothing here\n"}))


def test_celery_found_by_ast_not_by_file_name():
    files = minimal_site(**{"site_pkg/celery.py": None})
    files["site_pkg/tasks_runtime.py"] = CELERY.format(settings="site_pkg.settings", instance="queue_app")
    files["site_pkg/notes.py"] = '"""Celery(...) is created elsewhere."""\nCelery = None\n'
    facts = facts_of(files)
    assert (facts.celery_app, facts.celery_instance) == ("site_pkg.tasks_runtime", "queue_app")


def test_the_app_beside_the_settings_wins_over_another_package():
    files = minimal_site()
    files["other_pkg/__init__.py"] = ""
    files["other_pkg/worker.py"] = "import celery\n\nworker = celery.Celery('other')\n"
    assert facts_of(files).celery_app == "site_pkg.celery"


def test_several_celery_apps_need_the_option_and_it_wins():
    files = minimal_site()
    files["site_pkg/worker.py"] = "import celery\n\nworker = celery.Celery('other')\n"
    with pytest.raises(
        ConfigError, match=r"several Celery apps \(site_pkg.celery \(site_pkg/celery.py:6\), site_pkg.worker"
    ):
        facts_of(files)
    assert facts_of(files, celery_app="site_pkg.worker").celery_instance == "worker"
    with pytest.raises(ConfigError, match="--celery-app nope.mod: no module nope.mod"):
        facts_of(files, celery_app="nope.mod")


def test_legacy_celery_command_picks_between_apps():
    files = minimal_site()
    files["other_pkg/__init__.py"] = ""
    files["other_pkg/worker.py"] = "from celery import Celery\n\nworker = Celery('other')\n"
    files["Procfile"] = (
        "web: gunicorn site_pkg.wsgi --bind 0.0.0.0:9000\nworker: celery -A other_pkg.worker worker -l info\n"
    )
    facts = facts_of(files)
    assert facts.celery_app == "other_pkg.worker"
    assert facts.web_port == 9000 and facts.worker_args == ("-l", "info")


def test_settings_prefer_wsgi_over_manage_py():
    files = minimal_site(**{"manage.py": MANAGE.format(settings="site_pkg.settings_local")})
    files["site_pkg/settings_local.py"] = "from .settings import *\n"
    facts = facts_of(files)
    assert facts.settings_module == "site_pkg.settings"
    assert any("also seen: site_pkg.settings_local" in n for n in facts.notes)


def test_environment_forms():
    source = """
import os
import environ
import dj_database_url
from decouple import config

env = environ.Env()
A = os.environ["REQUIRED_ONE"]
B = os.environ.get("OPTIONAL_ONE", "x")
C = os.getenv("CELERY_BROKER_URL")
D = env("DJANGO_SECRET_KEY")
E = env.bool("DJANGO_DEBUG", default=False)
F = env.db()
G = config("SENTRY_DSN")
H = config("ALLOWED_HOSTS", default="*")
I = dj_database_url.config(env="REPLICA_DATABASE_URL", default="sqlite://")
if os.environ.get("POSTGRES_HOST"):
    J = os.environ["POSTGRES_HOST"]
"""
    root = PythonRoot(snapshot_from({"s.py": source}), ".")
    found = {v.name: (v.role, v.required) for v in read_env_vars([root.source("s.py")])}
    assert found == {
        "REQUIRED_ONE": ("other", True),
        "OPTIONAL_ONE": ("other", False),
        "CELERY_BROKER_URL": ("broker", False),
        "DJANGO_SECRET_KEY": ("secret", True),
        "DJANGO_DEBUG": ("debug", False),
        "DATABASE_URL": ("database", True),
        "SENTRY_DSN": ("other", True),
        "ALLOWED_HOSTS": ("allowed-hosts", False),
        "REPLICA_DATABASE_URL": ("database", False),
        "POSTGRES_HOST": ("database-host", False),  # os.environ[...] guarded by .get()
    }


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("REDIS_URL", "broker"),
        ("BROKER_URL", "broker"),
        ("CELERY_RESULT_BACKEND", "result-backend"),
        ("DB_NAME", "database-name"),
        ("PGPASSWORD", "database-password"),
        ("SECRET_KEY", "secret"),
        ("STRIPE_KEY", "other"),
    ],  # fmt: skip
)
def test_roles_follow_the_projects_own_names(name, role):
    assert role_of(name) == role


def test_requirements_chain_and_production_choice():
    snapshot = {
        "requirements/base.txt": "django==5.2  # web\ncelery[redis]==5.5\n-c constraints.txt\n",
        "requirements/prod.txt": "-r base.txt\ngunicorn==23\n",
        "requirements/dev.txt": "--requirement=base.txt\npytest\n",
        "requirements/constraints.txt": "kombu<6\n",
    }
    files = {p: parse_requirements(p, t) for p, t in snapshot.items()}
    assert files["requirements/base.txt"].includes == (("requirements/constraints.txt", 3),)
    assert [r.name for r in files["requirements/base.txt"].requirements] == ["django", "celery"]
    assert choose_production(files, [])[0] == "requirements/prod.txt"
    site = minimal_site(**{"requirements.txt": None, **snapshot})
    facts = facts_of(site)
    deps = facts.dependencies
    assert deps.production == "requirements/prod.txt"
    assert deps.files == ("requirements/constraints.txt", "requirements/base.txt", "requirements/prod.txt")
    assert deps.dev == "requirements/dev.txt" and "pytest" in deps.dev_packages


def test_ambiguous_requirements_are_one_error():
    files = {"a/reqs-x.txt": "django\n", "b/requirements-y.txt": "celery\n"}
    parsed = {p: parse_requirements(p, t) for p, t in files.items()}
    with pytest.raises(ConfigError, match="cannot tell which requirements file is the production one"):
        choose_production(parsed, [])


def test_poetry_lock_and_python_precedence():
    pyproject = (
        '[project]\nname = "My Site"\nrequires-python = ">=3.12"\n\n'
        '[tool.poetry.dependencies]\npython = "^3.12"\ndjango = "^5"\ncelery = "^5"\n'
        '[tool.poetry.group.dev.dependencies]\npytest = "^8"\n'
    )
    files = minimal_site(**{"requirements.txt": None, "pyproject.toml": pyproject, "poetry.lock": "# lock\n"})
    facts = facts_of(files)
    assert facts.dependencies.kind == "poetry" and "pytest" in facts.dependencies.dev_packages
    assert facts.python_version == "3.12" and facts.name == "my-site"
    facts = facts_of({**files, ".python-version": "3.13.1\n"})
    assert facts.python_version == "3.13" and facts.debian_suite == "trixie"
    assert any("other sources say 3.12" in n for n in facts.notes)


def test_python_tags():
    assert parse_python_tag("python:3.13-slim") == ("3.13", None)
    assert parse_python_tag("docker.io/library/python:3.11.9-slim-bookworm") == ("3.11", "bookworm")
    assert parse_python_tag("node:20") is None


def test_health_route_through_include_and_re_path():
    files = minimal_site()
    files["site_pkg/urls.py"] = (
        "from django.urls import include, path, re_path\n\nurlpatterns = [\n"
        '    path("", include("site_pkg.ops_urls")),\n    path("api/", include("site_pkg.api")),\n]\n'
    )
    files["site_pkg/ops_urls.py"] = (
        'from django.urls import re_path\nfrom . import views\nurlpatterns = [re_path(r"^ops/ready$", views.ready)]\n'
    )
    files["site_pkg/api.py"] = "from django.urls import path\nurlpatterns = [path('<int:pk>/status/', print)]\n"
    assert facts_of(files).health_path == "/ops/ready"


def test_health_app_include_counts():
    files = minimal_site()
    files["site_pkg/urls.py"] = (
        'from django.urls import include, path\nurlpatterns = [path("ht/", include("health_check.urls"))]\n'
    )
    assert facts_of(files).health_path == "/ht/"


def test_no_health_route_leaves_the_path_open_and_options_settle_it():
    files = minimal_site()
    files["site_pkg/urls.py"] = (
        "from django.urls import path\nfrom site_pkg import views\nurlpatterns = [path('', views.home)]\n"
    )
    assert facts_of(files).health_path is None
    assert facts_of(files, health_path="/up").health_path == "/up"
    added = facts_of(files, add_health_view=True)
    assert (added.health_path, added.health_added, added.urlconf_path) == ("/healthz/", True, "site_pkg/urls.py")
    with pytest.raises(ConfigError, match="--health-path must start with /"):
        facts_of(files, health_path="up")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('os.path.join(BASE_DIR, "static")', "/code/static"),
        ('Path(__file__).resolve().parent / "out"', "/code/site_pkg/out"),
        ('os.environ.get("STATIC_ROOT", "/srv/static")', "/srv/static"),
        ('f"{BASE_DIR}/assets"', "/code/assets"),
        ("compute_it()", None),
    ],
)
def test_static_root_evaluation(expression, expected):
    settings = (
        "import os\nfrom pathlib import Path\n"
        "BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
        f"STATIC_ROOT = {expression}\nINSTALLED_APPS = ['django.contrib.staticfiles']\n"
        "ROOT_URLCONF = 'site_pkg.urls'\nWSGI_APPLICATION = 'site_pkg.wsgi.application'\n"
    )
    facts = facts_of(minimal_site(**{"site_pkg/settings.py": settings}))
    assert facts.static_root == expected
    if expected is None:
        assert any("STATIC_ROOT (site_pkg/settings.py:4) could not be worked out" in n for n in facts.notes)


def test_legacy_dockerfile_compose_and_scripts():
    snapshot = snapshot_from(
        {
            "Dockerfile": (
                "FROM python:3.12-slim-bookworm AS build\nRUN apt-get install -y libpq-dev gcc\n"
                "FROM python:3.12-slim-bookworm\nWORKDIR /srv/site\n"
                "RUN apt-get update && apt-get install -y --no-install-recommends libpq5=15.* gettext tini\n"
                "COPY . .\nRUN mkdir -p var/media\nENV DJANGO_SETTINGS_MODULE=site.settings PAYMENT_TOKEN=x\n"
                'EXPOSE 8080\nENTRYPOINT ["tini", "--"]\n'
                'CMD ["sh", "-c", "python manage.py migrate && gunicorn site.wsgi -b :8080"]\n'
            ),
            "docker-compose.yml": (
                "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: x\n"
                "  web:\n    build: .\n    environment:\n      - REDIS_URL=redis://cache\n    ports: ['8080:8080']\n"
                "  worker:\n    build: .\n    command: celery -A site worker --pool gevent -B\n"
            ),
            "bin/start.sh": 'case "$1" in\n  web) exec gunicorn x ;;\nesac\nif true; then celery -A site beat; fi\n',
        }
    )
    legacy = read_legacy(snapshot)
    assert list(legacy.apt_runtime) == ["libpq5", "tini"]
    assert set(legacy.apt_build) == {"libpq-dev", "gcc", "gettext"}
    assert legacy.root_in_image[0][0] == "/srv/site" and "/srv/site/var/media" in legacy.mkdirs
    assert {"DJANGO_SETTINGS_MODULE", "PAYMENT_TOKEN", "REDIS_URL"} <= set(legacy.env_names)
    assert "POSTGRES_PASSWORD" not in legacy.env_names  # the database container's, not the site's
    assert [p for p, _ in legacy.exposed] == [8080] and legacy.tini is not None
    assert legacy.postgres_image[0] == "postgres:16"
    services = classify_commands(legacy.commands)
    assert services.web.argv[:2] == ("gunicorn", "site.wsgi")
    assert services.migrates is not None
    assert services.worker.argv[-2:] == ("gevent", "-B")
    assert services.beat.argv == ("celery", "-A", "site", "beat")  # `then` is a shell keyword, not the command


def test_green_pool_is_noted_and_unified_runs_prefork():
    files = minimal_site()
    files["Procfile"] = (
        "web: gunicorn site_pkg.wsgi:application -b 0.0.0.0:8000\n"
        "worker: celery -A site_pkg.celery worker -P gevent -c 50\n"
    )
    facts = facts_of(files)
    assert facts.worker_args == ("-P", "gevent", "-c", "50")
    assert any("--pool gevent" in n for n in facts.notes)


def test_known_python_packages_bring_their_system_libraries():
    facts = facts_of(minimal_site(**{"requirements.txt": "django\ncelery\npsycopg2==2.9\nmysqlclient\ngunicorn\n"}))
    assert {"libpq5", "libmariadb3"} <= set(facts.apt_runtime)
    assert {"libpq-dev", "gcc", "default-libmysqlclient-dev"} <= set(facts.apt_build)
    binary = facts_of(minimal_site(**{"requirements.txt": "django\ncelery\npsycopg[binary]\ngunicorn\n"}))
    assert "libpq5" not in binary.apt_runtime


def test_unreadable_dependency_file_is_one_error(tmp_path):
    from dockyard.init.snapshot import Snapshot

    snapshot = Snapshot(
        files={}, paths=frozenset({"requirements.txt"}), unreadable={"requirements.txt": "not UTF-8 text"}
    )
    with pytest.raises(ConfigError, match="cannot read requirements.txt: not UTF-8 text"):
        snapshot.require("requirements.txt")
