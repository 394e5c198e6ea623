"""GET /healthz: plain text "ok" (200) when PostgreSQL and Redis answer, else 503.

The body of a failure names the failing dependency only ("database down", "broker down");
reasons stay in the log, without credentials.
"""
import logging

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from kombu import Connection

logger = logging.getLogger("ledger.health")


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("healthz: database check failed: %s", type(exc).__name__)
        connection.close()
        return False
    return True


def broker_ok() -> bool:
    timeout = settings.HEALTH_BROKER_TIMEOUT
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout,
                        transport_options={"socket_timeout": timeout}) as conn:
            conn.ensure_connection(max_retries=0)
    except Exception as exc:
        logger.warning("healthz: broker check failed: %s", type(exc).__name__)
        return False
    return True


def healthz(request):
    failing = [name for name, ok in (("database", database_ok()), ("broker", broker_ok())) if not ok]
    if failing:
        return HttpResponse(" ".join(f"{name} down" for name in failing), status=503,
                            content_type="text/plain; charset=utf-8")
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
