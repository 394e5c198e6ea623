"""A file that says "this worker is ready", for the worker image's HEALTHCHECK.

The probe runs `celery inspect ping` only once the file exists. Before that, a ping would be
broadcast while the worker does not yet listen and wait out its whole reply timeout, holding
back the probe that would pass (healthy ~3 s after the worker was ready instead of at once).
The file is removed when the worker starts (a restarted container keeps /tmp) and when it
shuts down. CELERY_WORKER_READY_FILE moves it (default /tmp/celery-worker-ready).
"""
import os
from pathlib import Path

from celery.signals import worker_init, worker_ready, worker_shutdown

READY_FILE = Path(os.environ.get("CELERY_WORKER_READY_FILE", "/tmp/celery-worker-ready"))


@worker_init.connect
def _starting(**kwargs):
    READY_FILE.unlink(missing_ok=True)


@worker_ready.connect
def _ready(**kwargs):
    READY_FILE.touch()


@worker_shutdown.connect
def _stopped(**kwargs):
    READY_FILE.unlink(missing_ok=True)
