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

The file is private (mode 0600: it names servers, apps and what a server said) and
must be a regular file: a FIFO, a socket or a directory in its place is an error,
never a read or write that waits forever.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dockyard.core.errors import ConfigError
from dockyard.core.files import read_bytes

FORMAT_VERSION = 1
DEFAULT_PATH = ".dockyard/deploy-history.jsonl"

ACCEPTED = "accepted"  # CapRover answered 101: deploy started (detached, as its CLI does)
DEPLOYED = "deployed"  # CapRover answered 100: deploy done (--wait)
FAILED = "failed"  # refused, or never reached CapRover
UNKNOWN = "unknown"  # sent, but no answer (timeout): it may or may not have started
PUSHED = "pushed"  # read from the registry (dockyard.deploy.sources): deployable; never written here
RESULTS = (ACCEPTED, DEPLOYED, FAILED, UNKNOWN, PUSHED)
SUCCESSFUL = frozenset({ACCEPTED, DEPLOYED, PUSHED})

ACTIONS = ("deploy", "rollback", "rollback-full")
_REQUIRED = ("time", "service", "image", "sha", "result")
_OPTIONAL_TEXT = ("app", "action", "detail", "server")
MODE = 0o600


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
        wrong = [key for key in _OPTIONAL_TEXT if key in data and not isinstance(data[key], str)]
        if wrong or ("v" in data and (isinstance(data["v"], bool) or not isinstance(data["v"], int))):
            raise ValueError(f"wrong type of {', '.join(wrong) or 'v'}")
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
    if not path.exists() and not path.is_symlink():
        return history
    data = read_bytes(path, what=f"the deploy history {path}")
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
    fd = _open_for_append(path)
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


def check_writable(path: Path) -> None:
    """Raise ConfigError unless an entry could be appended to `path` now (it is created, empty,
    when missing). Called before a deploy is sent: an attempt that cannot be recorded is not made."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"the deploy history {path} cannot be written ({_reason(exc)})") from None
    os.close(_open_for_append(path))


def _open_for_append(path: Path) -> int:
    """A descriptor to append to the regular file `path` (created 0600); ConfigError otherwise.
    Opened without blocking, so a FIFO in its place is refused instead of waited on."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, MODE)
    except OSError as exc:
        raise ConfigError(f"the deploy history {path} cannot be written ({_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"the deploy history {path} cannot be written (not a regular file)")
        if info.st_mode & 0o077:  # written by an older dockyard (0644): make it private
            with contextlib.suppress(OSError):  # someone else's file: theirs to decide
                os.fchmod(fd, stat.S_IMODE(info.st_mode) & 0o700)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


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
