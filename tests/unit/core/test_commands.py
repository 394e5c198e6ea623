"""What a container runs, read from its command line and its image's name."""

import pytest

from dockyard.core.commands import argv_of, celery_command, role_of_command, role_of_image


@pytest.mark.parametrize(
    "command, role",
    [
        ("celery --app config.celery worker --beat --scheduler x:Y --pool prefork", "worker+beat"),
        ("celery -A ledger.worker worker -l INFO -c 2", "worker"),
        ("tini -- kanban-entrypoint celery --quiet --app kanban_site.celery_app worker --beat", "worker+beat"),
        ("celery --app x beat -s /app/var/celerybeat-schedule", "beat"),
        ("python -m celery -A proj worker -B", "worker+beat"),
        ('sh -c "celery -A p worker -lDEBUG"', "worker"),  # -lDEBUG holds a B, but is the log level
        ("celery -Aproj worker -EB", "worker+beat"),
        ("celery --app x flower --port=5555", "flower"),
        ("ledger-entrypoint gunicorn ledger.wsgi:application --bind 0.0.0.0:5000", "web"),
        ("uvicorn app.asgi:application", "web"),
        ("python manage.py runserver 0.0.0.0:8000", "web"),
        ("python -m pytest -q", "test"),
        ("python manage.py test --noinput", "test"),
        ("redis-server --bind 0.0.0.0", "broker"),
        ("docker-entrypoint.sh postgres", "database"),
        ("python3", None),
        ("celery --app x inspect ping", None),
    ],
)
def test_role_of_command(command, role):
    assert role_of_command(argv_of(command)) == role


def test_celery_command_reads_app_scheduler_schedule_pool_and_node():
    celery = celery_command(
        argv_of("celery --app=a.b worker -B -S x:Y --schedule=/v/s -P threads -n w1@%h -c 2 --loglevel INFO")
    )
    assert celery is not None
    assert (celery.subcommand, celery.app, celery.beat) == ("worker", "a.b", True)
    assert (celery.scheduler, celery.schedule, celery.pool, celery.hostname) == ("x:Y", "/v/s", "threads", "w1@%h")
    assert celery_command(["gunicorn", "x"]) is None


@pytest.mark.parametrize(
    "ref, role",
    [
        ("postgres:17", "database"),
        ("${X}", None),
        ("dockyard-local/postgres:15", "database"),
        ("mariadb:11", "database"),
        ("redis:7-alpine", "broker"),
        ("bitnami/redis:7", "broker"),
        ("ghcr.io/x/valkey@sha256:abc", "broker"),
        ("127.0.0.1:5000/rabbitmq:3", "broker"),
        ("python:3.11", None),
        ("dockyard.local/ledger/web:latest", None),
        (None, None),
    ],
)
def test_role_of_image(ref, role):
    assert role_of_image(ref) == role
