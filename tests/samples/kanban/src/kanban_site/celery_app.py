"""Celery for the Kanban board: `celery --app kanban_site.celery_app ...` (instance `celery`).

Configured here, from the environment (BROKER_URL), not from Django settings. Logs are
JSON lines (kanban_site.jsonlog) for the worker, beat and task loggers alike.
"""
import os
from pathlib import Path

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from kanban_site.jsonlog import JsonLineFormatter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kanban_site.settings")

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent  # above src/
BROKER_URL = os.environ.get("BROKER_URL", "redis://localhost:6379/0")

celery = Celery("kanban_site")
celery.conf.update(
    broker_url=BROKER_URL,
    result_backend=os.environ.get("RESULT_BACKEND_URL", BROKER_URL),
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    timezone="UTC",
    beat_schedule={
        "board-pulse": {"task": "board.tasks.pulse", "schedule": 10.0},
    },
    # beat's default PersistentScheduler keeps its state in var/ (writable in the images).
    beat_schedule_filename=os.environ.get("BEAT_SCHEDULE_FILE", str(PROJECT_DIR / "var" / "beat-schedule")),
)
celery.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def log_json_lines(logger=None, **kwargs):
    for handler in logger.handlers:
        handler.setFormatter(JsonLineFormatter())
