"""Who owns what: this process's run (its id, host, pid and process start) and whether a run is gone.

Every container, network and volume a run makes carries `run_labels()`:

    dockyard.run=<run id>        names the run ($DOCKYARD_RUN_ID, else random); shared by the
                                 processes of one run (bench starts `nox -s images`)
    dockyard.host=<host name>    only runs of this host are judged here
    dockyard.pid=<pid>           the process that made it
    dockyard.started=<ticks>     that process's start time (/proc/PID/stat field 22, clock ticks
                                 after boot): a pid the kernel gave to a newer process does not match

A run is gone when, on this host, its pid no longer exists or started at another time. Only such
runs are reaped (dockyard.prune.stale). What a run keeps on purpose (`--keep`, `--keep-images`)
is labelled with `kept_labels()` instead: without a pid, nothing ever judges it gone.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from dataclasses import dataclass

RUN_LABEL = "dockyard.run"
HOST_LABEL = "dockyard.host"
PID_LABEL = "dockyard.pid"
STARTED_LABEL = "dockyard.started"
KEPT_LABEL = "dockyard.kept"


@dataclass(frozen=True)
class Owner:
    """The process a resource belongs to."""

    run: str
    host: str
    pid: int
    started: int  # clock ticks after boot; 0 when the platform does not say

    def labels(self) -> dict[str, str]:
        return {
            RUN_LABEL: self.run,
            HOST_LABEL: self.host,
            PID_LABEL: str(self.pid),
            STARTED_LABEL: str(self.started),
        }

    @classmethod
    def from_labels(cls, labels: dict[str, str] | None) -> Owner | None:
        """The owner named by a resource's labels; None unless all four are there and well-formed."""
        labels = labels or {}
        try:
            return cls(
                run=labels[RUN_LABEL],
                host=labels[HOST_LABEL],
                pid=int(labels[PID_LABEL]),
                started=int(labels[STARTED_LABEL]),
            )
        except (KeyError, ValueError):
            return None


def process_start(pid: int) -> int | None:
    """When process `pid` started (clock ticks after boot); None when there is no such process.

    0 when the platform has no /proc: the process exists, its start time is unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode("ascii", "replace")
    except FileNotFoundError:
        return None
    except OSError:
        return _exists_without_proc(pid)
    # "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so split after the last ")"
    fields = stat.rpartition(")")[2].split()
    try:
        return int(fields[19])  # field 22 overall: starttime
    except (IndexError, ValueError):
        return None


def _exists_without_proc(pid: int) -> int | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return 0
    return 0


@functools.cache
def host_name() -> str:
    return socket.gethostname()


@functools.cache
def _chosen_run_id() -> str:
    return os.environ.get("DOCKYARD_RUN_ID") or uuid.uuid4().hex[:8]


@functools.cache
def this_run() -> Owner:
    """This process as an owner: the run id comes from $DOCKYARD_RUN_ID or is made up once."""
    pid = os.getpid()
    return Owner(run=_chosen_run_id(), host=host_name(), pid=pid, started=process_start(pid) or 0)


# A forked child is another process: same run, its own pid and start time.
os.register_at_fork(after_in_child=this_run.cache_clear)


def run_id() -> str:
    """This run's id (names, tags `images-<id>`, the `dockyard.run` label)."""
    return this_run().run


def run_labels() -> dict[str, str]:
    """The labels of everything this run makes and removes again (see the module's docstring)."""
    return this_run().labels()


def kept_labels() -> dict[str, str]:
    """The labels of what this run leaves on purpose (`--keep`): its run and host, no pid, so no
    reaper ever takes it for the leftovers of a dead run."""
    owner = this_run()
    return {RUN_LABEL: owner.run, HOST_LABEL: owner.host, KEPT_LABEL: "true"}


def is_gone(owner: Owner) -> bool:
    """True when `owner` ran on this host and its process has ended (or the pid is someone else's).

    Owners of other hosts are never gone from here: their processes cannot be seen."""
    if owner.host != host_name():
        return False
    started = process_start(owner.pid)
    if started is None:
        return True
    if started == 0 or owner.started == 0:  # no start times to compare: the pid alone decides
        return False
    return started != owner.started
