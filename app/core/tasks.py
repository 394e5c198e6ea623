"""Celery tasks of the reference site."""
import socket

from celery import shared_task

from .models import Heartbeat

HEARTBEATS_KEPT = 500


@shared_task(ignore_result=True)
def record_heartbeat(keep=HEARTBEATS_KEPT):
    """Write a Heartbeat row (run every 10 s by beat) and drop all but the newest ``keep`` rows."""
    task_id = record_heartbeat.request.id or ""
    beat = Heartbeat.objects.create(hostname=socket.gethostname(), task_id=task_id)
    stale = Heartbeat.objects.values_list("id", flat=True)[keep:]
    Heartbeat.objects.filter(id__in=list(stale)).delete()
    return beat.id


@shared_task
def add(x, y):
    """Return ``x + y``: a round trip through broker, worker and result backend."""
    return x + y
