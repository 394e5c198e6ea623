import socket

from celery import shared_task

from .models import Tick

TICKS_KEPT = 100


@shared_task
def total(a, b):
    """a + b, through the broker, a worker and the result backend."""
    return a + b


@shared_task(ignore_result=True)
def record_tick():
    """Scheduled by beat every 10 s: write a Tick row, keep the newest TICKS_KEPT."""
    tick = Tick.objects.create(worker=socket.gethostname())
    stale = list(Tick.objects.values_list("id", flat=True)[TICKS_KEPT:])
    Tick.objects.filter(id__in=stale).delete()
    return tick.id
