"""Reaping: remove what runs left behind when they were killed, and never anything of a live run.

What a run makes carries its owner (dockyard.core.run): containers, networks and volumes in their
labels, image tags and temp dirs in the run's record (dockyard.core.run_record). A run is *gone*
when it ran on this host and its process no longer exists (or the pid now belongs to a process
that started at another time). For each gone run, in this order: its containers (forced, with
their anonymous volumes), networks, volumes, recorded image tags (never forced: an image a
container uses stays), recorded temp dirs (only paths named like the run's own), and its record.

Left alone, and counted: what belongs to live runs, what was kept on purpose (`--keep`), what
carries `dockyard.run` without an owner (made by an older dockyard), and other hosts' runs.

`survey()` looks (one list call per kind, plus the records); `reap()` removes; `sweep()` is both,
for the start of a run; `report_lines()` says what was removed, one line per kind.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core import run_record
from dockyard.core.errors import DockyardError
from dockyard.core.run import KEPT_LABEL, RUN_LABEL, Owner, host_name, is_gone
from dockyard.core.run_record import RunRecord
from dockyard.core.tempdirs import belongs_to
from dockyard.docker import owned
from dockyard.docker.client import ENGINE_ERRORS
from dockyard.docker.owned import Labelled

# what report lines call each kind, singular and plural
NOUNS = {
    "container": ("container", "containers"),
    "network": ("network", "networks"),
    "volume": ("volume", "volumes"),
    "tag": ("image tag", "image tags"),
    "tempdir": ("temp dir", "temp dirs"),
}


@dataclass
class StaleRun:
    """A gone run and what it left."""

    owner: Owner
    items: list[Labelled] = field(default_factory=list)  # containers, networks, volumes
    records: list[RunRecord] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        return [t for r in self.records for t in r.tags]

    @property
    def tempdirs(self) -> list[str]:
        return [d for r in self.records for d in r.tempdirs]

    def counts(self) -> Counter:
        found = Counter(item.kind for item in self.items)
        found["tag"] += len(self.tags)
        found["tempdir"] += len(self.tempdirs)
        return found

    def to_dict(self) -> dict:
        return {
            "run": self.owner.run,
            "pid": self.owner.pid,
            "containers": [i.name for i in self.items if i.kind == "container"],
            "networks": [i.name for i in self.items if i.kind == "network"],
            "volumes": [i.name for i in self.items if i.kind == "volume"],
            "image_tags": self.tags,
            "temp_dirs": self.tempdirs,
        }


@dataclass
class Survey:
    stale: list[StaleRun] = field(default_factory=list)
    live: Counter = field(default_factory=Counter)  # kind -> count, of runs still going
    kept: Counter = field(default_factory=Counter)  # kept on purpose (--keep)
    ownerless: Counter = field(default_factory=Counter)  # `dockyard.run` but no owner labels
    elsewhere: Counter = field(default_factory=Counter)  # runs of other hosts
    unreadable: list[str] = field(default_factory=list)  # files in the state dir that are no records

    def to_dict(self) -> dict:
        return {
            "stale_runs": [s.to_dict() for s in self.stale],
            "left_alone": {
                "live_runs": dict(self.live),
                "kept": dict(self.kept),
                "without_owner": dict(self.ownerless),
                "other_hosts": dict(self.elsewhere),
            },
            "unreadable_records": self.unreadable,
        }


def classify(
    items: list[Labelled],
    records: list[RunRecord],
    gone: Callable[[Owner], bool] = is_gone,
) -> Survey:
    """Sort what was found into gone runs and what is left alone (pure, given `gone`)."""
    survey = Survey()
    by_owner: dict[Owner, StaleRun] = {}
    verdicts: dict[Owner, bool] = {}

    def is_stale(owner: Owner) -> bool:
        if owner not in verdicts:
            verdicts[owner] = gone(owner)
        return verdicts[owner]

    def stale_run(owner: Owner) -> StaleRun:
        return by_owner.setdefault(owner, StaleRun(owner))

    for item in items:
        owner = Owner.from_labels(item.labels)
        if owner is None:
            (survey.kept if item.labels.get(KEPT_LABEL) else survey.ownerless)[item.kind] += 1
        elif owner.host != host_name():
            survey.elsewhere[item.kind] += 1
        elif is_stale(owner):
            stale_run(owner).items.append(item)
        else:
            survey.live[item.kind] += 1
    for record in records:
        owner = record.owner
        if owner.host != host_name():
            survey.elsewhere["record"] += 1
        elif is_stale(owner):
            stale_run(owner).records.append(record)
        else:
            survey.live["record"] += 1
    survey.stale = sorted(by_owner.values(), key=lambda s: (s.owner.run, s.owner.pid))
    return survey


def survey() -> Survey:
    """What the engine and the state dir hold of dockyard's runs, sorted (3 list calls + the records)."""
    records, unreadable = run_record.read_records()
    found = classify(owned.list_labelled(RUN_LABEL), records)
    found.unreadable = [str(p) for p in unreadable]
    return found


@dataclass
class Reaped:
    removed: Counter = field(default_factory=Counter)  # kind -> how many were removed
    runs: dict[str, set[str]] = field(default_factory=dict)  # kind -> the run ids they were left by
    problems: list[str] = field(default_factory=list)  # what could not be removed, and why

    def add(self, kind: str, run: str) -> None:
        self.removed[kind] += 1
        self.runs.setdefault(kind, set()).add(run)

    def to_dict(self) -> dict:
        return {
            "removed": {NOUNS[k][1].replace(" ", "_"): n for k, n in self.removed.items()},
            "runs": sorted({r for runs in self.runs.values() for r in runs}),
            "problems": self.problems,
        }


def reap(stale: list[StaleRun]) -> Reaped:
    """Remove what each gone run left (see the module's docstring for the order and the rules)."""
    done = Reaped()
    for run in stale:
        _reap_one(run, done)
    return done


def _reap_one(run: StaleRun, done: Reaped) -> None:
    order = {"container": 0, "network": 1, "volume": 2}
    for item in sorted(run.items, key=lambda i: order.get(i.kind, 9)):
        try:
            if owned.remove(item):
                done.add(item.kind, run.owner.run)
        except (DockyardError, *ENGINE_ERRORS) as exc:
            done.problems.append(f"{item.kind} {item.name} of run {run.owner.run}: {_reason(exc)}")
    for record in run.records:
        left_tags = []
        for ref in record.tags:
            try:
                if owned.remove_tag(ref):
                    done.add("tag", run.owner.run)
            except (DockyardError, *ENGINE_ERRORS) as exc:
                left_tags.append(ref)
                done.problems.append(f"{_reason(exc)} (run {run.owner.run})")
        left_dirs = []
        for text in record.tempdirs:
            path = Path(text)
            if not path.is_absolute() or not belongs_to(path, run.owner.run):
                done.problems.append(f"not removed: {text} is not named like a temp dir of run {run.owner.run}")
                continue
            if path.exists():
                shutil.rmtree(path, ignore_errors=True)
                if path.exists():
                    left_dirs.append(text)
                    done.problems.append(f"temp dir {text} of run {run.owner.run} could not be removed")
                    continue
                done.add("tempdir", run.owner.run)
        _settle_record(record, left_tags, left_dirs)


def _settle_record(record: RunRecord, tags: list[str], tempdirs: list[str]) -> None:
    """Delete the record, or keep only what is still there (tried again next time)."""
    try:
        if not tags and not tempdirs:
            run_record.delete_record(record)
        else:
            record.tags, record.tempdirs = tags, tempdirs
            run_record.rewrite_record(record)
    except OSError:
        pass  # another user's record, or the state dir went away: nothing more to do here


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def report_lines(done: Reaped) -> list[str]:
    """One line per kind: `reaped 3 containers left by run 83727070 (process gone)`."""
    lines = []
    for kind in NOUNS:
        count = done.removed.get(kind, 0)
        if not count:
            continue
        runs = sorted(done.runs.get(kind, ()))
        noun = NOUNS[kind][0 if count == 1 else 1]
        whose = f"run {runs[0]} (process gone)" if len(runs) == 1 else f"runs {', '.join(runs)} (processes gone)"
        lines.append(f"reaped {count} {noun} left by {whose}")
    lines += [f"warning: could not reap {problem}" for problem in done.problems]
    return lines


def sweep() -> list[str]:
    """The start-of-run sweep: survey, reap the gone runs, and the lines saying what went.
    Never raises for the engine or the state dir: the run that sweeps reports those itself."""
    try:
        found = survey()
    except (DockyardError, OSError, *ENGINE_ERRORS):
        return []
    return report_lines(reap(found.stale)) if found.stale else []
