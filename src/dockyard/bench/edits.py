"""One-file changes for the warm-rebuild measurements, made in an export, never in a working tree.

BuildKit keys its cache on file content, not on modification times, so `touch` alone would change
nothing: an edit appends one line carrying a marker unique to the run (so no earlier run's cache
can match it), and is undone afterwards, byte for byte. Python files and templates get a comment.
Scripts and stylesheets get a statement instead: a bundler drops comments, so a comment would
leave the built assets (and every step after the bundle) unchanged, which no real edit does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dockyard.core.errors import ConfigError

# Files edited by default (relative to the project root); [tool.dockyard.bench.edits] overrides.
DEFAULT_EDITS = {
    "python": "app/core/views.py",
    "template": "app/core/templates/core/home.html",
    "asset": "app/frontend/app.js",
}

_LINES = {
    ".py": "# {}",
    ".html": "{{# {} #}}",
    ".txt": "{{# {} #}}",
    ".js": 'globalThis.__dockyardBench = "{}";',
    ".mjs": 'globalThis.__dockyardBench = "{}";',
    ".ts": 'globalThis.__dockyardBench = "{}";',
    ".css": ':root {{ --dockyard-bench: "{}"; }}',
    ".scss": ':root {{ --dockyard-bench: "{}"; }}',
}


class EditError(ConfigError):
    """A file to edit for a warm rebuild is missing or of a kind the bench cannot change."""


@dataclass(frozen=True)
class Edit:
    kind: str  # python | template | asset
    path: str  # relative to the build context root


def comment_line(path: str, marker: str) -> str:
    """The line appended for the file's type: `# bench 1a2b` for Python, a statement for a script.

    The marker may hold letters, digits, spaces, dots, dashes and underscores only."""
    suffix = Path(path).suffix.lower()
    if suffix not in _LINES:
        raise EditError(f"cannot add a line to {path}: known file types are {', '.join(sorted(_LINES))}")
    if not all(c.isalnum() or c in " .-_" for c in marker):
        raise EditError(f"marker {marker!r}: use letters, digits, spaces, dots, dashes and underscores")
    return _LINES[suffix].format(marker)


def edited_content(original: bytes, path: str, marker: str) -> bytes:
    """The file's content with one line appended (after a newline, if it lacked one)."""
    line = comment_line(path, marker).encode("utf-8")
    separator = b"" if not original or original.endswith(b"\n") else b"\n"
    return original + separator + line + b"\n"


def plan_edits(configured: dict[str, str] | None = None) -> list[Edit]:
    """The edits to measure, defaults overridden by configuration; checks their file types."""
    merged = {**DEFAULT_EDITS, **(configured or {})}
    unknown = sorted(set(merged) - set(DEFAULT_EDITS))
    if unknown:
        raise EditError(f"[tool.dockyard.bench.edits]: unknown kind '{unknown[0]}' (known: {', '.join(DEFAULT_EDITS)})")
    edits = []
    for kind, path in merged.items():
        if not isinstance(path, str) or not path or Path(path).is_absolute() or ".." in Path(path).parts:
            raise EditError(f"[tool.dockyard.bench.edits] {kind}: give a path relative to the project root")
        comment_line(path, "check")
        edits.append(Edit(kind, path))
    return edits


# A project whose configured (or default) file is not tracked gets the first tracked file of these
# names, in this order: a file a developer edits every day, never settings or a migration.
EVERYDAY_FILES = {
    "python": ("views.py", "tasks.py", "models.py"),
    "template": (".html",),
    "asset": (".js", ".ts", ".mjs"),
}


def everyday_file(files: list[str], kind: str) -> str | None:
    """The file an everyday edit of `kind` changes in a project whose files are `files` (posix,
    relative): the first in sorted order matching EVERYDAY_FILES, outside dependencies, migrations
    and built output. None when there is none."""
    skipped = {"node_modules", "migrations", "dist", "staticfiles", "tests", "deployment"}
    candidates = sorted(f for f in files if not set(Path(f).parts) & skipped and not Path(f).name.startswith("test"))
    for ending in EVERYDAY_FILES[kind]:
        for name in candidates:
            if name.endswith(ending) and (ending.startswith(".") or Path(name).name == ending):
                return name
    return None


def edit_for(files: list[str], edit: Edit) -> Edit | None:
    """`edit` when its file is among `files`, else the project's everyday file of that kind."""
    if edit.path in files:
        return edit
    found = everyday_file(files, edit.kind)
    return Edit(edit.kind, found) if found else None


@contextlib.contextmanager
def applied(root: Path, edit: Edit, marker: str) -> Iterator[Path]:
    """Apply `edit` under `root` (an export) while the block runs, then restore the file exactly."""
    if (root / ".git").exists():
        raise EditError(f"refusing to edit files in {root}: it is a git working tree, not an export")
    target = root / edit.path
    if not target.is_file():
        raise EditError(
            f"{edit.path} is not in the build context (is it tracked by git?): "
            f"set [tool.dockyard.bench.edits] {edit.kind} to a tracked file"
        )
    original = target.read_bytes()
    target.write_bytes(edited_content(original, edit.path, marker))
    try:
        yield target
    finally:
        target.write_bytes(original)
