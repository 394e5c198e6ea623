"""Support for the beat scheduler embedded in the worker (``celery worker --beat``).

Two things Celery does not do on its own:

* log the standalone banner line ("celery beat vX is starting.") once the embedded
  scheduler is up, so log checks written for `celery beat` also work for `worker --beat`;
* stop the worker (exit code 1) when the embedded beat process dies, e.g. because the
  django_celery_beat tables are missing or the database is down at start-up. Otherwise
  the worker keeps answering `inspect ping` while no periodic task is ever sent again;
  exiting lets the container's restart policy start both anew.
"""
import logging

from celery import __version__ as celery_version
from celery import bootsteps
from celery.exceptions import WorkerShutdown
from celery.signals import beat_embedded_init

logger = logging.getLogger("refsite.beat")

WATCH_INTERVAL = 5.0  # seconds between liveness checks of the embedded beat
EXIT_BEAT_DIED = 1


@beat_embedded_init.connect
def announce_embedded_beat(sender=None, **kwargs):
    """Runs in the beat process after its scheduler was set up (so the database answered)."""
    scheduler = getattr(sender, "scheduler_cls", None)
    name = scheduler if isinstance(scheduler, str) else getattr(scheduler, "__name__", scheduler)
    logger.info("celery beat v%s is starting. (embedded in the worker, scheduler %s)", celery_version, name)


class BeatWatchdog(bootsteps.StartStopStep):
    """Worker bootstep: shut the worker down when its embedded beat is no longer alive."""

    label = "BeatWatchdog"
    requires = ("celery.worker.components:Timer", "celery.worker.components:Beat")

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        if worker.beat is None:  # worker started without --beat
            return
        self.tref = worker.timer.call_repeatedly(WATCH_INTERVAL, self.check, (worker,), priority=10)

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def check(self, worker):
        beat = worker.beat
        if beat is None or beat.is_alive():
            return
        logger.critical(
            "embedded beat exited (exit code %s); stopping the worker so that it is restarted",
            getattr(beat, "exitcode", None),
        )
        self.stop(worker)
        raise WorkerShutdown(EXIT_BEAT_DIED)
