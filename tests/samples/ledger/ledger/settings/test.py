"""Settings for `manage.py test`: still PostgreSQL (DATABASE_URL), tasks run eagerly (no broker)."""
import os

os.environ.setdefault("REDIS_URL", "memory://")

from .base import *  # noqa: E402,F403

SECRET_KEY = "ledger-tests-only"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "cache+memory://"
