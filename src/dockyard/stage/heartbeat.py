"""Did beat survive the worker's updates? The rows its periodic task wrote, read back and measured.

The site's periodic task (`[tool.dockyard.stage] heartbeat_model`, else the model of
`[tool.dockyard.celery.heartbeat]`, written every `heartbeat_seconds`) leaves one row per run.
Read through the site's own ORM (`manage.py shell` in a web task), so any database works.
Between two consecutive rows the gap should be one interval. What a gap means:

* longer than one and a half intervals: a run came **late**. A stop-first update stops the worker
  (and its beat) for a while: a message beat had sent but the worker had not started is put back
  on the queue at the warm shutdown (Celery logs "Restoring 1 unacknowledged message(s)") and the
  new worker runs it late; a run that came due while no beat ran is sent as soon as beat is back.
* two intervals or more: the schedule came due more than once; each due time without a run is
  owed. A short gap right after (under 0.9 intervals) is the owed run catching up (the restored
  message, then beat's next run on time), not a run done twice: it pays one owed run.
* under half an interval, with nothing owed and less than one and a half intervals after the row
  before: a run done **twice** (two beats overlapped: what start-first does to a worker with
  embedded beat). After a late run (the two gaps add up to about two intervals) a short gap is
  just the next run on time: beat keeps the schedule's phase.
* owed runs never paid back are **lost**; lost in a gap where the worker changed (a restart that
  outlasted the interval: beat sends a missed run once, not once per missed due time) they are
  counted apart, `lost_at_restart`: the price of one replica stopped first. A run lost while a
  worker was running, or one done twice, fails the check.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from dockyard.core.errors import ConfigError, DockyardError
from dockyard.docker import swarm
from dockyard.docker.containers import exec_text, logs_text

CODE = """\
import datetime
from django.apps import apps
model = apps.get_model({model!r})
since = datetime.datetime.fromtimestamp({since!r}, datetime.timezone.utc)
for row in model.objects.filter(**{{{lookup!r}: since}}).order_by({field!r}):
    print("dockyard-heartbeat", getattr(row, {field!r}).timestamp(), getattr(row, "hostname", "") or "-")
"""
ROW = re.compile(r"^dockyard-heartbeat (?P<t>[0-9.]+) (?P<host>\S+)$", re.MULTILINE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class HeartbeatError(DockyardError):
    """The heartbeat rows could not be read."""


@dataclass
class HeartbeatReport:
    rows: int
    span_s: float
    interval_s: float
    gaps_s: list[float]
    doubled: int  # a gap under half an interval with no run owed: a run done twice
    missed: int  # runs lost: due times without a run that no catching-up run paid back
    late: int  # gaps over one and a half intervals: a run came late (or was owed)
    lost_at_restart: int = 0  # of `missed`: due times while the worker restarted for longer than an interval
    workers: list[list] = field(default_factory=list)  # [hostname, rows in a row] as the worker changed
    # when the check fails: what each worker's beat did (beat_timeline), so the failure explains itself
    beat_log: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Never a run done twice, never a run lost while a worker was running. One worker with
        embedded beat, updated stop-first, is down while it restarts: a due time in a restart that
        outlasts the interval gets no run of its own (beat sends a missed run once, not each one);
        that is reported as `lost_at_restart`, not hidden, but it is what one replica costs."""
        return self.rows >= 2 and self.doubled == 0 and self.missed == self.lost_at_restart

    def to_dict(self) -> dict:
        return {**self.__dict__, "ok": self.ok,
                "min_gap_s": min(self.gaps_s) if self.gaps_s else None,
                "max_gap_s": max(self.gaps_s) if self.gaps_s else None}


def code_for(model: str, field_name: str, since: float) -> str:
    app, _, name = model.partition(".")
    if not (_NAME.fullmatch(app) and _NAME.fullmatch(name) and _NAME.fullmatch(field_name)):
        raise ConfigError(
            f"[tool.dockyard.stage] heartbeat_model {model!r} / heartbeat_time_field {field_name!r} "
            "must be app_label.Model and a field name"
        )
    return CODE.format(model=model, field=field_name, lookup=f"{field_name}__gte", since=float(since))


def read_rows(web_service: str, model: str, field_name: str, since: float) -> list[tuple[float, str]]:
    """(epoch seconds, hostname) of every row written since `since`, oldest first."""
    code = code_for(model, field_name, since)
    containers = swarm.task_containers(web_service)
    if not containers:
        raise HeartbeatError(f"no running task of {web_service} to read the heartbeat rows from")
    exit_code, output = exec_text(containers[0], ["python", "manage.py", "shell", "-c", code])
    if exit_code != 0:
        last = [line for line in output.strip().splitlines() if line.strip()][-1:] or ["no output"]
        raise HeartbeatError(f"could not read {model} rows in {web_service}: {last[0][:200]}")
    return [(float(m["t"]), m["host"]) for m in ROW.finditer(output)]


# What beat and the worker logged about the periodic runs: beat's start, its schedule reloads and
# sends, the warm shutdown and the message it put back (Celery 5 default format, any process name).
_EVENT = re.compile(
    r"^\[(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): \w+/[\w-]+\] (?P<what>"
    r"beat: Starting\.\.\.|beat: Shutting down\.\.\.|DatabaseScheduler: .*|Scheduler: Sending due task .*"
    r"|Restoring \d+ unacknowledged message.*|.*celery beat v\S+ is starting.*|.*\bready\."
    r"|Task \S+ received)\s*$",
    re.MULTILINE,
)


def beat_timeline(logs: dict[str, str], limit: int = 200) -> list[str]:
    """`TIME HOST what` for every beat event in the logs of the worker containers (host: the
    container's hostname, as in the heartbeat rows), all containers merged in time order."""
    events = [
        (m["at"], host, m["what"].strip()[:160])
        for host, text in logs.items()
        for m in _EVENT.finditer(text)
    ]
    return [f"{at} {host} {what}" for at, host, what in sorted(events)][-limit:]


def read_beat_logs(worker_services: list[str]) -> dict[str, str]:
    """hostname -> log text of every container (running or exited) of the worker services."""
    logs: dict[str, str] = {}
    for service in worker_services:
        for container in swarm.all_task_containers(service):
            host = (container.attrs.get("Config") or {}).get("Hostname") or container.id[:12]
            try:
                logs[host] = logs_text(container)
            except DockyardError:
                continue  # removed while read: its lines are lost, the others still tell the story
    return logs


def analyse(rows: list[tuple[float, str]], interval: float) -> HeartbeatReport:
    times = [t for t, _ in rows]
    hosts = [h for _, h in rows]
    gaps = [round(b - a, 2) for a, b in zip(times, times[1:], strict=False)]
    owed: list[bool] = []  # due times without a run yet; True: it fell in a worker restart
    doubled = late = 0
    for i, gap in enumerate(gaps):
        if owed and gap < 0.9 * interval:
            owed.pop()  # a run that came due during the restart, catching up
            continue
        before = gaps[i - 1] if i else interval
        if gap < 0.5 * interval:
            # two runs within about one interval: one due time ran twice; after a late run
            # (the two gaps add up to about two intervals) it is the next run, on time
            doubled += before + gap < 1.5 * interval
            continue
        owed += [hosts[i] != hosts[i + 1]] * runs_lost(gap, interval)
        late += gap > 1.5 * interval
    workers: list[list] = []
    for host in hosts:
        if not workers or workers[-1][0] != host:
            workers.append([host, 0])
        workers[-1][1] += 1
    return HeartbeatReport(
        rows=len(rows),
        span_s=round(times[-1] - times[0], 1) if len(times) > 1 else 0.0,
        interval_s=interval,
        gaps_s=gaps,
        doubled=doubled,
        missed=len(owed),
        late=late,
        lost_at_restart=sum(owed),
        workers=workers,
    )


def runs_lost(gap: float, interval: float) -> int:
    """How many due times a gap between two rows left without a run: the schedule came due
    about gap / interval times after the first row (5 % of an interval of jitter allowed, so a gap
    of 19.98 s at 10 s is two due times) and ran once (at the second row)."""
    return max(0, math.floor(gap / interval + 0.05) - 1)
