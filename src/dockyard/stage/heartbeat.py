"""Did beat survive the worker's updates? The rows its periodic task wrote, read back and measured.

The site's periodic task (`[tool.dockyard.stage] heartbeat_model`, the reference site's
`core.Heartbeat`, written every `heartbeat_seconds` by `core.tasks.record_heartbeat`) leaves one
row per run. Read through the site's own ORM (`manage.py shell` in a web task), so any database
works. Between two consecutive rows the gap should be one interval:

* under half an interval: a run done twice (two beats overlapped: what start-first does to a
  worker with embedded beat);
* two intervals or more: a run lost (the schedule came due twice, or more, and ran once);
* in between: a run late. A stop-first update stops the worker (and its beat) until the new
  one runs; a run that came due meanwhile is sent as soon as beat is back, once (beat does not
  catch up), and the schedule goes on from there.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from dockyard.core.errors import ConfigError, DockyardError
from dockyard.docker import swarm
from dockyard.docker.containers import exec_text

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
    doubled: int  # gaps under half an interval: a run done twice
    missed: int  # runs lost: a gap of two intervals or more held fewer runs than came due
    late: int  # gaps over one and a half intervals but under two: a run sent late, not lost
    workers: list[list] = field(default_factory=list)  # [hostname, rows in a row] as the worker changed

    @property
    def ok(self) -> bool:
        return self.rows >= 2 and self.doubled == 0 and self.missed == 0

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


def analyse(rows: list[tuple[float, str]], interval: float) -> HeartbeatReport:
    times = [t for t, _ in rows]
    gaps = [round(b - a, 2) for a, b in zip(times, times[1:], strict=False)]
    workers: list[list] = []
    for _, host in rows:
        if not workers or workers[-1][0] != host:
            workers.append([host, 0])
        workers[-1][1] += 1
    return HeartbeatReport(
        rows=len(rows),
        span_s=round(times[-1] - times[0], 1) if len(times) > 1 else 0.0,
        interval_s=interval,
        gaps_s=gaps,
        doubled=sum(g < 0.5 * interval for g in gaps),
        missed=sum(runs_lost(g, interval) for g in gaps),
        late=sum(g > 1.5 * interval and runs_lost(g, interval) == 0 for g in gaps),
        workers=workers,
    )


def runs_lost(gap: float, interval: float) -> int:
    """How many scheduled runs a gap between two rows left out: the schedule came due
    floor(gap / interval) times after the first row and ran once (at the second)."""
    return max(0, math.floor(gap / interval) - 1)
