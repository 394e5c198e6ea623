"""The Celery app of the reference site (``celery --app config.celery ...``)."""
import os

from celery import Celery

from . import worker_ready  # noqa: F401  (the HEALTHCHECK's ready file)
from .beat import BeatWatchdog

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("refsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.steps["worker"].add(BeatWatchdog)
app.autodiscover_tasks()
