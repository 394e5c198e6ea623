"""Reading the site's settings from environment variables.

Plain functions over strings, so they are testable without touching os.environ.
"""
from __future__ import annotations

import dj_database_url

DEFAULT_DATABASE_URL = "sqlite:////data/db.sqlite3"
POSTGRES_CONNECT_TIMEOUT = 3  # seconds; keeps /health/ from hanging on an unreachable server
SQLITE_LOCK_TIMEOUT = 20  # seconds a writer waits for the lock (web, worker and beat share the file)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(value: str | None, default: bool = False) -> bool:
    """Interpret an environment flag such as DJANGO_DEBUG ("1", "true", "on", ...)."""
    if value is None:
        return default
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r} (use 1/0, true/false, yes/no, on/off)")


def env_list(value: str | None, default: list[str]) -> list[str]:
    """Split a comma-separated variable (DJANGO_ALLOWED_HOSTS); unset or blank gives the default."""
    if value is None or not value.strip():
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def database_config(url: str | None) -> dict:
    """Django DATABASES["default"] from a DATABASE_URL (sqlite or postgres via psycopg 3)."""
    config = dj_database_url.parse(url or DEFAULT_DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    options = config.setdefault("OPTIONS", {})
    engine = config["ENGINE"]
    if engine == "django.db.backends.postgresql":
        options.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT)
    elif engine == "django.db.backends.sqlite3":
        # A persistent connection per thread is pointless for a file and holds locks longer.
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = False
        options.setdefault("timeout", SQLITE_LOCK_TIMEOUT)
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("init_command", "PRAGMA journal_mode=WAL;")
    return config


def result_backend(explicit: str | None, broker_url: str | None) -> str | None:
    """Celery result backend: CELERY_RESULT_BACKEND if set, else the broker when it is redis, else none."""
    if explicit is not None and explicit.strip():
        return explicit.strip()
    if broker_url and broker_url.startswith(("redis://", "rediss://")):
        return broker_url
    return None
