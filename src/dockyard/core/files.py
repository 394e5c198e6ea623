"""Reading the files a user points dockyard at (pyproject.toml, the Dockerfile, bake and compose
files, the deploy history, a token file) so that no file can hang or crash a run.

* A FIFO, a socket or a device is refused instead of read: opening a FIFO for reading waits for
  a writer forever (the file is opened non-blocking and checked before a byte is read).
* Bytes that are not UTF-8 are an error naming the file and where, not a UnicodeDecodeError.
* A file larger than `limit` bytes is an error, not a run out of memory.

Every failure is a ConfigError whose one line names the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dockyard.core.errors import ConfigError

DEFAULT_LIMIT = 64 * 1024 * 1024  # bytes: far above any project file, far below a machine's memory


def read_bytes(path: Path, limit: int = DEFAULT_LIMIT, what: str = "") -> bytes:
    """The bytes of the regular file `path` (`what`: how messages call it, default its path)."""
    name = what or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(f"{name} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {name}: {_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError(f"cannot read {name}: Is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"cannot read {name}: not a regular file ({_kind(info.st_mode)})")
        if info.st_size > limit:
            raise ConfigError(f"cannot read {name}: {info.st_size} bytes, more than {limit}")
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise ConfigError(f"cannot read {name}: more than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise ConfigError(f"cannot read {name}: {_reason(exc)}") from None
    finally:
        os.close(fd)


def read_text(path: Path, limit: int = DEFAULT_LIMIT, what: str = "") -> str:
    """The UTF-8 text of the regular file `path`; see `read_bytes`."""
    return decode(read_bytes(path, limit, what), what or str(path))


def decode(data: bytes, name: str) -> str:
    """`data` as UTF-8, or a ConfigError naming `name`, the line and the byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1  # (the byte itself is not shown: it may be a secret's)
        raise ConfigError(f"{name} is not UTF-8 text (line {line}); save it as UTF-8") from None


def is_regular_or_missing(path: Path) -> bool:
    """True when `path` does not exist or is a regular file (never opens it)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
