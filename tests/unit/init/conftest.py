"""Fixtures for init's unit tests: pre-migration copies of the samples, and small repositories
written from dicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.samples import pre_migration_copy, reference_copy

from dockyard.init.detect import DetectOptions, detect
from dockyard.init.facts import SiteFacts
from dockyard.init.snapshot import read_repository, snapshot_from


@pytest.fixture(scope="session")
def samples_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("samples")
    pre_migration_copy("ledger", base)
    pre_migration_copy("kanban", base)
    reference_copy(base)
    return base


@pytest.fixture(scope="session")
def ledger(samples_dir) -> SiteFacts:
    return detect(read_repository(samples_dir / "ledger"))


@pytest.fixture(scope="session")
def kanban(samples_dir) -> SiteFacts:
    return detect(read_repository(samples_dir / "kanban"))


@pytest.fixture(scope="session")
def refsite(samples_dir) -> SiteFacts:
    return detect(read_repository(samples_dir / "refsite"))


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def facts_of(files: dict[str, str], **options) -> SiteFacts:
    return detect(snapshot_from(files), DetectOptions(**options))


MANAGE = """import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{settings}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""
CELERY = """import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{settings}")
{instance} = Celery("site")
{instance}.config_from_object("django.conf:settings", namespace="CELERY")
"""
SETTINGS = """import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ["SECRET_KEY"]
INSTALLED_APPS = ["django.contrib.staticfiles"]
ROOT_URLCONF = "site_pkg.urls"
WSGI_APPLICATION = "site_pkg.wsgi.application"
STATIC_ROOT = BASE_DIR / "static_collected"
"""
URLS = """from django.urls import path

from site_pkg import views

urlpatterns = [
    path("", views.home),
    path("healthz/", views.healthz),
]
"""


def minimal_site(**overrides: str) -> dict[str, str]:
    """A small Django + Celery repository: manage.py, package site_pkg, requirements.txt."""
    files = {
        "manage.py": MANAGE.format(settings="site_pkg.settings"),
        "site_pkg/__init__.py": "",
        "site_pkg/settings.py": SETTINGS,
        "site_pkg/celery.py": CELERY.format(settings="site_pkg.settings", instance="app"),
        "site_pkg/urls.py": URLS,
        "site_pkg/views.py": "def home(request):\n    pass\n\n\ndef healthz(request):\n    pass\n",
        "site_pkg/wsgi.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_pkg.settings")\n',
        "requirements.txt": "django==5.2\ncelery[redis]==5.5.3\ngunicorn==23.0.0\n",
    }
    files.update(overrides)
    return {k: v for k, v in files.items() if v is not None}
