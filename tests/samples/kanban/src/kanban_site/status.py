"""GET /status/ready/: {"ready": true} (200) when the database answers and, if BROKER_URL
is set, the broker too; else 503 {"ready": false, "failing": [...]}."""
import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from kombu import Connection

logger = logging.getLogger("kanban.status")


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        logger.warning("ready: database unavailable (%s)", type(exc).__name__)
        connection.close()
        return False
    return True


def _broker() -> bool:
    if not settings.BROKER_URL:
        return True
    timeout = settings.READY_BROKER_TIMEOUT
    try:
        with Connection(settings.BROKER_URL, connect_timeout=timeout,
                        transport_options={"socket_timeout": timeout}) as conn:
            conn.ensure_connection(max_retries=0)
    except Exception as exc:
        logger.warning("ready: broker unavailable (%s)", type(exc).__name__)
        return False
    return True


def ready(request):
    failing = [name for name, check in (("database", _database), ("broker", _broker)) if not check()]
    if failing:
        return JsonResponse({"ready": False, "failing": failing}, status=503)
    return JsonResponse({"ready": True})
