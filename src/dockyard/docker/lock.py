"""One dockyard build at a time per machine.

BuildKit in Docker Engine 26.1 can panic (and take dockerd down with it) when two
builds run at once and share steps (moby/buildkit#5606, fixed in later releases).
Builds started by dockyard therefore queue behind each other; everything else
(checks, containers) still runs in parallel. A thread that holds the lock may take it again
(a measurement that must see no other build between two of its own holds it around both).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_PATH = Path(os.environ.get("DOCKYARD_BUILD_LOCK", Path(tempfile.gettempdir()) / "dockyard-build.lock"))


_held = threading.local()  # the lock paths this thread holds


@contextmanager
def exclusive_build(log: Callable[[str], None] = lambda message: None, path: Path = LOCK_PATH) -> Iterator[None]:
    held: set[str] = _held.__dict__.setdefault("paths", set())
    if str(path) in held:
        yield
        return
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("another dockyard build is running on this machine; waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        held.add(str(path))
        try:
            yield
        finally:
            held.discard(str(path))
            fcntl.flock(handle, fcntl.LOCK_UN)
