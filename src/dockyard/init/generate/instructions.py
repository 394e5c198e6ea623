"""Dockerfile instructions as text: exec-form arrays, RUN lines with the optional CA secret, apt installs,
the urllib HTTP probe, COPY lines that keep repository paths."""

from __future__ import annotations

import json
import posixpath

CA = "/run/secrets/ca-certs"


def exec_form(words: list[str] | tuple[str, ...], indent: int = 4, width: int = 100) -> str:
    """A JSON array, wrapped with backslashes when long (as the repository's own Dockerfile does)."""
    items = [json.dumps(w) for w in words]
    lines, current = [], "["
    for i, item in enumerate(items):
        piece = item + (", " if i < len(items) - 1 else "]")
        if len(current) + len(piece) > width and current not in ("[",):
            lines.append(current.rstrip())
            current = " " * (indent + 1)
        current += piece
    lines.append(current)
    return " \\\n".join(lines)


def secret_run(cache: str | None, exports: str, body: list[str]) -> str:
    """A RUN with the optional CA secret (and a cache mount): the tool finds the bundle when given."""
    mounts = []
    if cache:
        mounts.append(f"--mount=type=cache,target={cache}")
    mounts.append("--mount=type=secret,id=ca-certs,required=false")
    lines = ["RUN " + " \\\n    ".join(mounts) + " \\"]
    lines.append(f"    if [ -s {CA} ]; then {exports}; fi \\")
    lines.append("\n".join(f" && {part} \\" for part in body).rstrip(" \\"))
    return "\n".join(lines)


def export(*names: str) -> str:
    return "export " + " ".join(f"{n}={CA}" for n in names)


def apt_run(packages: tuple[str, ...] | list[str]) -> str:
    return (
        "RUN apt-get update \\\n"
        f" && apt-get install -y --no-install-recommends {' '.join(packages)} \\\n"
        " && apt-get clean \\\n"
        " && rm -rf /var/lib/apt/lists/*"
    )


def urllib_probe(url: str) -> str:
    code = f"import sys, urllib.request; sys.exit(urllib.request.urlopen('{url}', timeout=5).status != 200)"
    return json.dumps(["python", "-c", code])


def copy_preserving(paths: list[str], destination_root: str) -> list[str]:
    """COPY lines that put each repository path under destination_root at the same relative place."""
    by_dir: dict[str, list[str]] = {}
    for path in paths:
        by_dir.setdefault(posixpath.dirname(path), []).append(path)
    lines = []
    for directory, files in by_dir.items():
        target = posixpath.join(destination_root, directory) if directory else destination_root
        lines.append(f"COPY {' '.join(files)} {target.rstrip('/')}/")
    return lines
