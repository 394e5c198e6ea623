"""The contract resolved against a project's files (roles, Celery app, helper images), and the
web service's healthy answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.core.project import find_project
from dockyard.core.settings import ServiceSettings
from dockyard.runtime.answer import Endpoint
from dockyard.runtime.helpers import Helpers
from dockyard.runtime.site import load_site

COMPOSE = """\
services:
  db:
    image: ${DB_IMAGE:-postgres:17}
  cache:
    image: valkey/valkey:8
  app:
    image: ${APP_IMAGE:-example/app:latest}
    depends_on: [db, cache]
  jobs:
    image: example/app:latest
    command: ["celery", "-A", "shop.tasks", "worker", "-B"]
"""


def project(tmp_path: Path, dockyard: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.dockyard]\ncompose_file = 'compose.yml'\n{dockyard}")
    (tmp_path / "compose.yml").write_text(COMPOSE)
    return tmp_path


def images(commands: dict[str, list[str]]):
    return lambda image: commands.get(image, [])


def test_roles_come_from_the_compose_file_and_the_images(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKYARD_ROOT", raising=False)
    site = load_site(
        find_project(project(tmp_path)),
        image_command=images({"example/app:latest": ["entry.sh", "gunicorn", "shop.wsgi"]}),
    )
    found = {name: (s.role, s.role_from) for name, s in site.services.items() if s.compose}
    assert found == {
        "db": ("database", "the compose file's image"),
        "cache": ("broker", "the compose file's image"),
        "app": ("web", "the command of example/app:latest"),
        "jobs": ("worker+beat", "the compose file's command"),
    }
    assert site.web.name == "app" and site.worker.name == "jobs"
    assert site.celery_app == "shop.tasks"  # the worker's --app
    assert site.helper_upstream("postgres") == ("postgres:17", "")  # the compose file's database image
    assert site.helper_upstream("redis") == ("valkey/valkey:8", "")


def test_the_services_table_wins_and_names_what_the_files_do_not(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKYARD_ROOT", raising=False)
    config = """
[tool.dockyard.services.app]
role = "web"
port = 5000
[tool.dockyard.services.jobs]
role = "worker"
[tool.dockyard.celery]
app = "shop.celery_app"
[tool.dockyard.test]
postgres_image = "postgres:15"
"""
    site = load_site(find_project(project(tmp_path, config)), image_command=images({}))
    assert site.services["jobs"].role == "worker" and site.services["jobs"].role_from == "[tool.dockyard.services]"
    assert site.web.settings.web_port == 5000
    assert site.celery_app == "shop.celery_app"
    assert site.helper_upstream("postgres") == ("postgres:15", "")
    assert site.require("web").name == "app"


def test_no_web_service_is_one_line_naming_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKYARD_ROOT", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.dockyard]\ncompose_file = 'none.yml'\n[tool.dockyard.services.x]\n")
    site = load_site(find_project(tmp_path), image_command=images({}))
    with pytest.raises(Exception, match=r"no service with role 'web': give one `role = \"web\"` in "):
        site.require("web")


def endpoint(**keys) -> Endpoint:
    return Endpoint.of(ServiceSettings("app", **keys))


def test_healthy_answers():
    assert endpoint().judge(200, "{}") is None
    assert endpoint(healthy_body="ok").judge(200, "ok\n") is None
    assert endpoint(healthy_body="ok").judge(200, "down") == 'answered 200 without "ok": down'
    assert endpoint().judge(503, "database down") == "answered 503, expected 200: database down"
    assert (
        endpoint().judge(None, "ConnectionRefusedError: refused") == "did not answer (ConnectionRefusedError: refused)"
    )
    ready = endpoint(healthy_json={"ready": True, "checks.db": "ok"})
    assert ready.judge(200, '{"ready": true, "checks": {"db": "ok"}}') is None
    assert ready.judge(200, '{"ready": 1, "checks": {"db": "ok"}}') == "answered 200 with ready = 1, expected true"
    assert ready.judge(200, '{"ready": true}') == 'answered 200 without the JSON key checks.db: {"ready": true}'
    assert ready.judge(200, "<html>") == "answered 200 but not JSON: <html>"
    assert endpoint(healthy_json={"n": 2}).judge(200, '{"n": 2.0}') is None
    assert ready.expectation() == '200 with ready = true, checks.db = "ok"'
    assert endpoint(port=8000, health_path="status/").path == "/status/"


def test_secrets_in_a_failing_answer_are_masked():
    problem = endpoint().judge(500, "cannot reach postgres://app:hunter2@db:5432/app")
    assert "hunter2" not in problem


def test_helpers_start_what_the_placeholders_name():
    helpers = Helpers({})
    assert helpers.needs({"A": "{database_url}", "B": "x"}) == ["postgres"]
    assert helpers.needs({"A": "redis://{redis_host}:6379/1", "B": "{postgres_password}"}) == ["postgres", "redis"]
    assert helpers.needs({"SECRET": "{secret_key}"}) == []
    filled = helpers.environment({"SECRET": "{secret_key}", "HOSTS": "*", "BRACES": "{{x}}"})
    assert len(filled["SECRET"]) > 30 and filled["HOSTS"] == "*" and filled["BRACES"] == "{x}"
    assert helpers.network_for({"SECRET": "{secret_key}"}) is None
