"""Settings of the reference site, read from the environment.

DJANGO_SECRET_KEY     secret key; unset falls back to a development key (never printed)
DJANGO_DEBUG          1/true to enable debug (default off)
DJANGO_ALLOWED_HOSTS  comma-separated host names (default "*")
DATABASE_URL          default sqlite:////data/db.sqlite3; postgres://... uses psycopg 3
CELERY_BROKER_URL     e.g. redis://redis:6379/0; unset means no broker (health says "not configured")
CELERY_RESULT_BACKEND default: the broker URL when it is redis, else no result backend

Nothing here connects to the database or the broker, so ``collectstatic`` works at
build time without either, and without a secret.
"""
import os
from pathlib import Path

from . import env

BASE_DIR = Path(__file__).resolve().parent.parent

# Development fallback; the "django-insecure-" prefix makes `check --deploy` flag it.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-refsite-development-key-do-not-deploy"
DEBUG = env.env_bool(os.environ.get("DJANGO_DEBUG"), default=False)
ALLOWED_HOSTS = env.env_list(os.environ.get("DJANGO_ALLOWED_HOSTS"), default=["*"])

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "core",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
            ],
        },
    },
]

DATABASES = {"default": env.database_config(os.environ.get("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# Static files: sources in static/ (static/dist/ is written by `npm run build`),
# collected into staticfiles/ and served by WhiteNoise with hashed, compressed names.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "[{asctime}] {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}

# Celery (read by config/celery.py through the CELERY_ namespace).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or None
CELERY_RESULT_BACKEND = env.result_backend(os.environ.get("CELERY_RESULT_BACKEND"), CELERY_BROKER_URL)
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_CONCURRENCY = int(os.environ.get("CELERY_WORKER_CONCURRENCY", "2"))
# Task events let Flower show tasks without a separate `celery control enable_events`.
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "record-heartbeat": {
        "task": "core.tasks.record_heartbeat",
        "schedule": 10.0,  # seconds
    },
}

# Health check: how long the broker probe may take before it counts as failed.
HEALTH_BROKER_TIMEOUT = 2.0
