"""Which .dockerignore applies to a build, and whether it keeps a path out of the context.

Follows moby/patternmatcher: patterns are cleaned and made relative, `**` spans directories,
a pattern that matches a directory also excludes everything below it, `!` re-includes, and
the last matching pattern wins. BuildKit prefers `<Dockerfile>.dockerignore` next to the
Dockerfile over `.dockerignore` at the root of the context.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    exclusion: bool  # a `!` pattern


@dataclass(frozen=True)
class DockerIgnore:
    path: Path | None  # None: no ignore file applies
    patterns: tuple[_Pattern, ...]

    def excludes(self, relpath: str) -> bool:
        """Whether `relpath` (relative to the context, forward slashes) stays out of the context."""
        relpath = posixpath.normpath(relpath.strip("/")) or "."
        parents = _parents(relpath)
        excluded = False
        for pattern in self.patterns:
            matched = bool(pattern.regex.match(relpath)) or any(pattern.regex.match(p) for p in parents)
            if matched:
                excluded = not pattern.exclusion
        return excluded


def _parents(relpath: str) -> list[str]:
    parts = relpath.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def find_dockerignore(context: Path, dockerfile: Path | None) -> DockerIgnore:
    candidates = []
    if dockerfile is not None:
        candidates.append(dockerfile.with_name(dockerfile.name + ".dockerignore"))
    candidates.append(context / ".dockerignore")
    for candidate in candidates:
        if candidate.is_file():
            return DockerIgnore(candidate, parse(candidate.read_text(encoding="utf-8", errors="replace")))
    return DockerIgnore(None, ())


def parse(text: str) -> tuple[_Pattern, ...]:
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        line = posixpath.normpath(line)
        if len(line) > 1 and line.startswith("/"):
            line = line.lstrip("/")
        if line == ".":
            continue
        patterns.append(_Pattern(re.compile(_to_regex(line)), exclusion))
    return tuple(patterns)


def _to_regex(pattern: str) -> str:
    out = "^"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i : i + 2] == "**":
                i += 2
                if pattern[i : i + 1] == "/":  # "**/" : zero or more directories
                    out += "(.*/)?"
                    i += 1
                else:
                    out += ".*"
                continue
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out += re.escape(ch)
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out += "[" + body.replace("\\", "\\\\") + "]"
                i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(ch)
        i += 1
    return out + "$"
