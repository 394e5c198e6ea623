"""The deploy history: one JSON object per line, appended atomically, read tolerantly.

Every deploy dockyard performs (`invoke deploy`, `invoke rollback.*`) adds one
line to `.dockyard/deploy-history.jsonl` under the project root:

    {"v": 1, "time": "2024-11-21T10:00:00Z", "service": "web", "app": "shop-web",
     "image": "ghcr.io/u/r-web:3f2a...", "sha": "3f2a...", "result": "accepted",
     "action": "deploy", "detail": "Deploy is started", "server": "https://captain.example.com"}

Crash safety: a line is written with a single `write(2)` on a descriptor opened
with O_APPEND, under an exclusive `flock`, then `fsync`ed (and the directory too
when the file is created). Earlier lines are never rewritten. If a crash left a
torn last line (no trailing newline), the next append first terminates it, so
the new entry stays readable and the torn one is reported and skipped.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dockyard.core.errors import ConfigError

FORMAT_VERSION = 1
DEFAULT_PATH = ".dockyard/deploy-history.jsonl"

ACCEPTED = "accepted"  # CapRover answered 101: deploy started (detached, as its CLI does)
DEPLOYED = "deployed"  # CapRover answered 100: deploy done (--wait)
FAILED = "failed"  # refused, or never reached CapRover
UNKNOWN = "unknown"  # sent, but no answer (timeout): it may or may not have started
RESULTS = (ACCEPTED, DEPLOYED, FAILED, UNKNOWN)
SUCCESSFUL = frozenset({ACCEPTED, DEPLOYED})

ACTIONS = ("deploy", "rollback", "rollback-full")
_REQUIRED = ("time", "service", "image", "sha", "result")


@dataclass(frozen=True)
class Entry:
    time: str
    service: str
    image: str
    sha: str
    result: str
    app: str = ""
    action: str = "deploy"
    detail: str = ""
    server: str = ""
    v: int = FORMAT_VERSION

    @property
    def ok(self) -> bool:
        return self.result in SUCCESSFUL

    @property
    def when(self) -> datetime:
        return parse_time(self.time)

    def to_line(self) -> bytes:
        return (json.dumps(asdict(self), sort_keys=True, separators=(",", ":")) + "\n").encode(
            "utf-8"
        )

    @classmethod
    def from_dict(cls, data: object) -> Entry:
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        missing = [
            key for key in _REQUIRED if not isinstance(data.get(key), str) or not data.get(key)
        ]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        if data["result"] not in RESULTS:
            raise ValueError(f"unknown result {data['result']!r}")
        parse_time(data["time"])
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


@dataclass
class History:
    """What `read` found: the readable entries, oldest first, and what it had to skip."""

    path: Path
    entries: list[Entry] = field(default_factory=list)
    torn_tail: bool = False  # the last line was cut short by a crash
    skipped_lines: list[int] = field(default_factory=list)  # 1-based numbers of unreadable lines

    def warnings(self) -> list[str]:
        notes = []
        if self.torn_tail:
            notes.append(
                f"{self.path}: skipped a torn last line (an interrupted write); "
                "earlier entries are intact"
            )
        middle = [
            n for n in self.skipped_lines if not (self.torn_tail and n == self.skipped_lines[-1])
        ]
        if middle:
            notes.append(f"{self.path}: skipped unreadable line(s) {', '.join(map(str, middle))}")
        return notes

    def for_service(self, service: str) -> list[Entry]:
        return [e for e in self.entries if e.service == service]

    @property
    def services(self) -> list[str]:
        seen: dict[str, None] = {}
        for entry in self.entries:
            seen.setdefault(entry.service, None)
        return list(seen)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"bad time {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def read(path: Path) -> History:
    """All readable entries; a missing file is an empty history."""
    history = History(path=path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return history
    except OSError as exc:
        raise ConfigError(f"cannot read the deploy history {path}: {exc.strerror or exc}") from None
    lines = data.split(b"\n")
    complete = lines[:-1]  # each was followed by a newline
    tail = lines[-1]  # empty unless the file does not end with a newline
    for number, raw in enumerate(complete, start=1):
        if not raw.strip():
            continue
        entry = _parse(raw)
        if entry is None:
            history.skipped_lines.append(number)
        else:
            history.entries.append(entry)
    if tail.strip():
        entry = _parse(tail)
        if entry is None:
            history.torn_tail = True
            history.skipped_lines.append(len(complete) + 1)
        else:  # the write completed except for its newline; the next append adds it
            history.entries.append(entry)
    return history


def append(path: Path, entry: Entry) -> None:
    """Add one entry durably; never touches the bytes already in the file."""
    created_dir = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    if created_dir:
        _fsync_dir(path.parent.parent)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        payload = entry.to_line()
        if size and os.pread(fd, 1, size - 1) != b"\n":
            payload = b"\n" + payload  # terminate a torn line left by a crash
        _write_all(fd, payload)
        os.fsync(fd)
        if size == 0:
            _fsync_dir(path.parent)
    finally:
        os.close(fd)  # also releases the lock


def _parse(raw: bytes) -> Entry | None:
    try:
        return Entry.from_dict(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, TypeError):
        return None


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
