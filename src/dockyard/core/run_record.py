"""A run's record: what it made that labels cannot name, so that it can be found after a kill.

Image tags cannot carry a pid and a temp dir carries no label at all. A run lists them, before
it makes them, in one small JSON file of its own:

    <state dir>/<run id>-<pid>.json
    {"run": ..., "host": ..., "pid": ..., "started": ..., "created": ..., "command": [...],
     "tags": ["dockyard.local/mysite-web:images-1a2b3c4d", ...], "tempdirs": ["/tmp/dockyard-..."]}

and drops each entry once it removed the thing. A run that cleaned up after itself therefore has
no record; a run that was killed leaves one, and the reaper (dockyard.prune.stale) removes what
it lists once the process is gone. The state dir is $DOCKYARD_STATE_DIR, else
$XDG_STATE_HOME/dockyard/runs, else ~/.local/state/dockyard/runs (per user, outside $TMPDIR so
that every run of the user sees the same records).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dockyard.core.redact import redact
from dockyard.core.run import Owner, this_run


def state_dir() -> Path:
    explicit = os.environ.get("DOCKYARD_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "dockyard" / "runs"


@dataclass
class RunRecord:
    owner: Owner
    created: str
    command: list[str]
    tags: list[str] = field(default_factory=list)
    tempdirs: list[str] = field(default_factory=list)
    path: Path | None = None  # where it was read from

    @property
    def empty(self) -> bool:
        return not self.tags and not self.tempdirs

    def to_dict(self) -> dict:
        return {
            "run": self.owner.run,
            "host": self.owner.host,
            "pid": self.owner.pid,
            "started": self.owner.started,
            "created": self.created,
            "command": self.command,
            "tags": self.tags,
            "tempdirs": self.tempdirs,
        }

    @classmethod
    def from_dict(cls, data: dict, path: Path | None = None) -> RunRecord:
        """Raises KeyError/TypeError/ValueError for a record that is not one."""
        owner = Owner(
            run=str(data["run"]), host=str(data["host"]), pid=int(data["pid"]), started=int(data["started"])
        )
        tags, tempdirs = data.get("tags") or [], data.get("tempdirs") or []
        if not isinstance(tags, list) or not isinstance(tempdirs, list):
            raise TypeError("tags and tempdirs must be lists")
        return cls(
            owner=owner,
            created=str(data.get("created", "")),
            command=[str(a) for a in data.get("command") or []],
            tags=[str(t) for t in tags],
            tempdirs=[str(t) for t in tempdirs],
            path=path,
        )


def record_path(owner: Owner) -> Path:
    return state_dir() / f"{owner.run}-{owner.pid}.json"


_lock = threading.Lock()
_mine: dict[int, RunRecord] = {}  # pid -> this process's record (a forked child starts its own)


def _own() -> RunRecord:
    owner = this_run()
    record = _mine.get(owner.pid)
    if record is None:
        record = RunRecord(
            owner=owner,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            command=[redact(arg) for arg in sys.argv],
        )
        _mine[owner.pid] = record
    return record


# Why this process could not write its record (None: it could). Recording is best effort: a run
# whose state dir is not writable goes on, and only its tags and temp dirs are not reaped after a kill.
unavailable: str | None = None


def _save(record: RunRecord, path: Path | None = None) -> None:
    global unavailable
    path = path or record_path(record.owner)
    try:
        if record.empty:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    except OSError as exc:
        unavailable = f"{path.parent}: {exc.strerror or exc}"
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record.to_dict(), handle, indent=1)
        os.replace(tmp, path)
    except OSError as exc:
        unavailable = f"{path}: {exc.strerror or exc}"
        Path(tmp).unlink(missing_ok=True)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def note_tags(tags: list[str]) -> None:
    """Record image tags this run is about to make (before it makes them)."""
    with _lock:
        record = _own()
        new = [t for t in tags if t not in record.tags]
        if new:
            record.tags += new
            _save(record)


def forget_tags(tags: list[str]) -> None:
    """The tags are gone (or kept on purpose): no longer this run's to clean up."""
    _forget("tags", tags)


def note_tempdir(path: Path) -> None:
    with _lock:
        record = _own()
        if str(path) not in record.tempdirs:
            record.tempdirs.append(str(path))
            _save(record)


def forget_tempdir(path: Path) -> None:
    _forget("tempdirs", [str(path)])


def _forget(key: str, items: list[str]) -> None:
    with _lock:
        record = _mine.get(this_run().pid)
        if record is None:
            return
        gone = set(items)
        kept = [i for i in getattr(record, key) if i not in gone]
        if kept != getattr(record, key):
            setattr(record, key, kept)
            _save(record)


def owned_tags() -> list[str]:
    """The tags this process recorded and has not removed yet."""
    record = _mine.get(this_run().pid)
    return list(record.tags) if record else []


def read_records() -> tuple[list[RunRecord], list[Path]]:
    """Every run record in the state dir, and the files there that are not records."""
    records: list[RunRecord] = []
    unreadable: list[Path] = []
    try:
        paths = sorted(state_dir().glob("*.json"))
    except OSError:
        return records, unreadable
    for path in paths:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            records.append(RunRecord.from_dict(data, path))
        except FileNotFoundError:
            continue  # its run just finished
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            unreadable.append(path)
    return records, unreadable


def delete_record(record: RunRecord) -> None:
    if record.path is not None:
        record.path.unlink(missing_ok=True)


def rewrite_record(record: RunRecord) -> None:
    """Write a record read by `read_records` back where it came from (what is still left of it)."""
    if record.path is not None:
        _save(record, record.path)
