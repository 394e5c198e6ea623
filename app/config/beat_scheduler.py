"""The DatabaseScheduler with a liveness file, for the legacy celery-beat image's HEALTHCHECK.

Beat answers no `inspect ping`, and with the DatabaseScheduler it keeps no schedule file whose
age would show that it still works. This scheduler touches CELERY_BEAT_ALIVE_FILE (default
/tmp/celerybeat-alive) on every tick (at most every 5 s: django_celery_beat's max interval), so a
HEALTHCHECK can tell a beat that still ticks from one that hangs. Loaded by name
(`--scheduler config.beat_scheduler:LivenessDatabaseScheduler`), after Django is set up.
"""
import os
from pathlib import Path

from django_celery_beat.schedulers import DatabaseScheduler

ALIVE_FILE = Path(os.environ.get("CELERY_BEAT_ALIVE_FILE", "/tmp/celerybeat-alive"))


class LivenessDatabaseScheduler(DatabaseScheduler):
    def tick(self, *args, **kwargs):
        ALIVE_FILE.touch()
        return super().tick(*args, **kwargs)
