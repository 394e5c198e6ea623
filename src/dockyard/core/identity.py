"""The user a process runs as, read from the output of `id` (`uid=1000(app) gid=1000(app) ...`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID = re.compile(r"uid=(?P<uid>\d+)(?:\((?P<user>[^)]*)\))?(?: gid=(?P<gid>\d+)(?:\((?P<group>[^)]*)\))?)?")


@dataclass(frozen=True)
class Identity:
    uid: int
    gid: int | None
    user: str | None  # the name `id` gave the uid, if any
    line: str  # the whole `uid=... gid=...` line


def parse_id(output: str) -> Identity | None:
    """The last `uid=...` line of `id`'s output (an entrypoint may print before it); None without one."""
    for line in reversed(output.splitlines()):
        match = _ID.search(line)
        if match:
            gid = match.group("gid")
            return Identity(int(match.group("uid")), int(gid) if gid else None, match.group("user"), line.strip())
    return None
