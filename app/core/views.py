"""Views of the reference site."""
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import health as checks
from .models import Heartbeat

RECENT = 10


def _recent_heartbeats():
    return list(Heartbeat.objects.all()[:RECENT])


@require_safe
def home(request):
    """The home page: recent heartbeats, refreshed by htmx."""
    return render(request, "core/home.html", {"heartbeats": _recent_heartbeats()})


@require_safe
@never_cache
def heartbeats(request):
    """The heartbeat list fragment the home page polls."""
    return render(request, "core/_heartbeats.html", {"heartbeats": _recent_heartbeats()})


@require_safe
@never_cache
def health(request):
    """200 when every configured dependency answers, else 503 naming the failing one."""
    results = {
        "database": checks.check_database(connection),
        "broker": checks.check_broker(settings.CELERY_BROKER_URL, settings.HEALTH_BROKER_TIMEOUT),
    }
    healthy = all(value in (checks.OK, checks.NOT_CONFIGURED) for value in results.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": results}, status=200 if healthy else 503)
