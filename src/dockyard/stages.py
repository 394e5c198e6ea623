"""The stage graph of a multi-stage Dockerfile: which stages a target stage is built from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(?P<image>\S+)(?:\s+AS\s+(?P<name>\S+))?\s*$", re.IGNORECASE)
_COPY_FROM = re.compile(r"--from=(?P<src>[^\s]+)", re.IGNORECASE)
_MOUNT_FROM = re.compile(r"--mount=[^\s]*\bfrom=(?P<src>[^\s,]+)", re.IGNORECASE)


@dataclass
class Stage:
    name: str
    parent: str  # the FROM argument: an image or an earlier stage
    depends_on: set[str] = field(default_factory=set)  # parent stage + COPY/mount --from stages


def parse_stages(dockerfile_text: str) -> dict[str, Stage]:
    """Stages by name (unnamed stages by index), in file order. Continuation lines are joined."""
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for line in _logical_lines(dockerfile_text):
        match = _FROM.match(line)
        if match:
            name = (match.group("name") or str(len(stages))).lower()
            parent = match.group("image").lower()
            current = Stage(name=name, parent=parent)
            if parent in stages:
                current.depends_on.add(parent)
            stages[name] = current
            continue
        if current is None:
            continue
        for pattern in (_COPY_FROM, _MOUNT_FROM):
            for ref in pattern.finditer(line):
                src = ref.group("src").lower()
                if src in stages:
                    current.depends_on.add(src)
    return stages


def stage_closure(stages: dict[str, Stage], target: str) -> set[str]:
    """`target` and every stage it is built from, directly or indirectly."""
    seen: set[str] = set()
    todo = [target.lower()]
    while todo:
        name = todo.pop()
        if name in seen or name not in stages:
            continue
        seen.add(name)
        todo.extend(stages[name].depends_on)
    return seen


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    if pending:
        lines.append(pending)
    return lines
