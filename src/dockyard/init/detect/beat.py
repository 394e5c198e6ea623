"""Celery beat: which scheduler, where a PersistentScheduler keeps its file, which directories uid 1000
must be able to write, and the first periodic task (the heartbeat candidate)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from dockyard.dockerfile.shell import SimpleCommand
from dockyard.init.detect.celery import CeleryApp, beat_schedule_tasks
from dockyard.init.detect.found import Found
from dockyard.init.detect.layout import Layout, inside
from dockyard.init.detect.legacy import LegacyFacts
from dockyard.init.detect.settings import PathEvaluator, SettingsView, celery_conf_path
from dockyard.init.pysource import PythonRoot, string


@dataclass(frozen=True)
class Beat:
    scheduler: str  # "persistent" or "database"
    schedule_file: str | None  # absolute, in the image (persistent only)
    writable_dirs: tuple[str, ...]
    heartbeat_task: str | None


def beat(
    root: PythonRoot,
    view: SettingsView,
    app: CeleryApp,
    beat_words: list[str],
    legacy: LegacyFacts,
    where: Layout,
    workdir: str,
    found: Found,
) -> Beat:
    setting = view.find("CELERY_BEAT_SCHEDULER")
    database = bool(setting and "DatabaseScheduler" in (string(setting.value) or ""))
    database = database or any("django" in w.lower() for w in beat_words if not w.startswith("-"))
    schedule = SimpleCommand(["celery", *beat_words]).option("-s", "--schedule")
    if schedule and not schedule.startswith("/"):
        schedule = posixpath.join(workdir, schedule)
    schedule = schedule or PathEvaluator(view, where.image_path).setting("CELERY_BEAT_SCHEDULE_FILENAME")[0]
    schedule = schedule or celery_conf_path(root, app.source, where.image_path, "beat_schedule_filename")
    owned = {where.code_dir, workdir}  # the image's code and work directories are app's anyway
    writable = {d for d in legacy.mkdirs if inside(d, where.code_dir) and d not in owned}
    if not database and schedule:
        directory = posixpath.dirname(schedule)
        if inside(directory, where.code_dir) and directory not in owned:
            writable.add(directory)
    heartbeat = None
    for source in [*view.modules, app.source]:
        tasks = beat_schedule_tasks(source)
        if tasks:
            heartbeat = tasks[0][0]
            found.cite("heartbeat_task", tasks[0][1])
            break
    return Beat(
        "database" if database else "persistent",
        None if database else schedule,
        tuple(sorted(writable)),
        heartbeat,
    )
