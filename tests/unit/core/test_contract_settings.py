"""The site's contract in [tool.dockyard]: services (roles, web answer, environment), the site's
environment with placeholders, and [tool.dockyard.celery]; one line naming the key per mistake."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dockyard.core.errors import ConfigError
from dockyard.core.settings import PLACEHOLDERS, fill, load_settings, needs_of, placeholders

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_reference_defaults():
    settings = load_settings({})
    web, worker = settings.service("web"), settings.service("celery-unified")
    assert (web.web_port, web.web_health_path, web.web_healthy_status) == (80, "/health/", 200)
    assert worker.role == "worker+beat"
    assert settings.celery.app is None  # read from the worker's command
    assert settings.celery.round_trip.task == "core.tasks.add" and settings.celery.round_trip.expected == 5
    assert settings.celery.heartbeat.model == "core.Heartbeat"
    assert settings.service_environment("celery-unified") == {
        "DJANGO_SECRET_KEY": "{secret_key}",
        "DJANGO_ALLOWED_HOSTS": "*",
        "DATABASE_URL": "{database_url}",
        "CELERY_BROKER_URL": "{broker_url}",
        "DJANGO_MIGRATE": "1",
    }
    assert settings.test_celery_image == "dockyard.local/refsite-celery:latest"
    assert (settings.base_image, settings.local_base_image) == ("", "")  # the Dockerfile's BASE_IMAGE
    assert settings.test.postgres_image == "" and settings.test.local_postgres_image == ""


def test_a_site_of_its_own():
    settings = load_settings(
        {
            "services": {
                "frontend": {
                    "target": "web",
                    "port": 8000,
                    "health_path": "status/ready/",
                    "healthy_json": {"ready": True, "checks.db": "ok"},
                },
                "tasks": {"target": "celery-unified", "environment": {"BROKER_URL": "{broker_url}"}},
            },
            "environment": {"SECRET_KEY": "{secret_key}", "POSTGRES_HOST": "{postgres_host}"},
            "celery": {
                "app": "kanban_site.celery_app",
                "round_trip": {"task": "board.tasks.slugify_title", "args": ["Ship It"]},
                "heartbeat": {"task": "board.tasks.pulse", "log": "kanban pulse from "},
            },
        }
    )
    frontend = settings.service("frontend")
    assert frontend.role is None and frontend.web_port == 8000 and frontend.web_health_path == "/status/ready/"
    assert dict(frontend.healthy_json) == {"ready": True, "checks.db": "ok"}
    trip, beat = settings.celery.round_trip, settings.celery.heartbeat
    assert trip.args == ("Ship It",) and trip.kwargs == {} and not trip.has_expected
    assert beat.model is None and beat.log == "kanban pulse from " and beat.timeout == 30
    assert settings.service_environment("tasks") == {
        "SECRET_KEY": "{secret_key}",
        "POSTGRES_HOST": "{postgres_host}",
        "BROKER_URL": "{broker_url}",
    }
    assert needs_of(settings.service_environment("tasks")) == ("redis", "postgres")


def test_round_trip_and_heartbeat_can_be_none():
    celery = load_settings({"celery": {"round_trip": False, "heartbeat": False}}).celery
    assert celery.round_trip is None and celery.heartbeat is None


def test_placeholders_fill_and_escape():
    assert placeholders("postgres://{postgres_user}@{postgres_host}/x") == ["postgres_user", "postgres_host"]
    assert fill("{{literal}} {redis_host}", {"redis_host": "r"}) == "{literal} r"
    assert "secret_key" in PLACEHOLDERS


@pytest.mark.parametrize("sample", ["ledger", "kanban"])
def test_the_samples_contracts_load(sample):
    config = tomllib.loads((SAMPLES / sample / "pyproject.toml").read_text())["tool"]["dockyard"]
    settings = load_settings(config)
    assert settings.celery.round_trip and settings.celery.heartbeat
    assert settings.celery.app == {"ledger": "ledger.worker", "kanban": None}[sample]  # kanban: from its command
    web = settings.services["app" if sample == "ledger" else "frontend"]
    assert web.web_port == {"ledger": 5000, "kanban": 8000}[sample]


@pytest.mark.parametrize(
    "config, message",
    [
        ({"services": {"app": {"port": 0}}}, "[tool.dockyard.services.app] port must be an integer >= 1, got 0"),
        ({"services": {"app": {"port": "5000"}}}, '[tool.dockyard.services.app] port must be an integer, got "5000"'),
        (
            {"services": {"app": {"role": "scheduler"}}},
            "[tool.dockyard.services.app] role must be one of web, worker+beat",
        ),
        (
            {"services": {"app": {"healthy_json": {"ready": [1]}}}},
            "[tool.dockyard.services.app] healthy_json must be a table of strings, numbers or booleans",
        ),
        (
            {"services": {"app": {"environment": {"URL": "{database}"}}}},
            "[tool.dockyard.services.app] environment.URL: unknown placeholder {database} (known: database_url,",
        ),
        ({"environment": {"A": 1}}, "[tool.dockyard.environment] A must be a string, got 1"),
        ({"environment": {"A": "x{"}}, "[tool.dockyard.environment] A: Single '{' encountered"),
        ({"environment": "A=1"}, '[tool.dockyard.environment] must be a table, got "A=1"'),
        ({"celery": {"ap": "x"}}, "[tool.dockyard.celery] has no key 'ap' (known: app, round_trip, heartbeat)"),
        (
            {"celery": {"round_trip": True}},
            "[tool.dockyard.celery] round_trip must be a table or false (none), got true",
        ),
        ({"celery": {"round_trip": {"args": [1]}}}, "[tool.dockyard.celery.round_trip] task must name a task"),
        (
            {"celery": {"round_trip": {"task": "t", "args": 1}}},
            "[tool.dockyard.celery.round_trip] args must be a list, got 1",
        ),
        (
            {"celery": {"round_trip": {"task": "t", "timeout": 0}}},
            "[tool.dockyard.celery.round_trip] timeout must be a positive number",
        ),
        ({"celery": {"heartbeat": {}}}, "[tool.dockyard.celery.heartbeat] needs a task, a model or a log pattern"),
        (
            {"celery": {"heartbeat": {"model": "Tick"}}},
            '[tool.dockyard.celery.heartbeat] model must be "app_label.ModelName", got "Tick"',
        ),
        (
            {"celery": {"heartbeat": {"log": "(unclosed"}}},
            "[tool.dockyard.celery.heartbeat] log is not a valid regular expression",
        ),
    ],
)
def test_a_contract_mistake_is_one_line_naming_the_key(config, message):
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert message in str(error.value)
    assert "\n" not in str(error.value)
