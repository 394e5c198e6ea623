"""The one reader of the repository: the files detection looks at, read once into a Snapshot.

Detection then works on the Snapshot alone (pure functions, testable with a dict). Never read:
`.env` files (they hold real credentials; `.env.example` and friends are read for variable
names), virtualenvs, node_modules, VCS directories, build output, archived deployment files.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.errors import ConfigError

SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "env",
    ".tox",
    ".nox",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".dockyard",
    "staticfiles",
    "dist",
    "build",
    "site-packages",
    "migrations",
}
MAX_DEPTH = 6  # below the root; Django projects are shallow
MAX_BYTES = 2_000_000  # bigger files are not sources init needs (uv.lock is ~100 kB)

NPM_CONFIG_FILES = (  # the front-end build's own config files (init copies them after package.json)
    "webpack.config.js",
    "vite.config.js",
    "vite.config.ts",
    "tailwind.config.js",
    "postcss.config.js",
    "tsconfig.json",
)
# Files read wherever they are (depth-limited), by name pattern.
WANTED = (
    "*.py",
    "requirements*.txt",
    "requirements*.in",
    "pyproject.toml",
    "uv.lock",
    "poetry.lock",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    ".python-version",
    "runtime.txt",
    "Dockerfile",
    "Dockerfile.*",
    "*.Dockerfile",
    "*.dockerfile",
    "*.hcl",
    "docker-compose*.yml",
    "docker-compose*.yaml",
    "compose.yml",
    "compose.yaml",
    "compose.*.yml",
    "compose.*.yaml",
    "*.sh",
    "Procfile",
    ".env.example",
    ".env.sample",
    ".env.template",
    ".env.dist",
    ".dockerignore",
    "*.dockerignore",
    "pytest.ini",
    "setup.cfg",
    *NPM_CONFIG_FILES,
)
SECRET_FILES = {".env"}  # and .env.<anything> not in WANTED


@dataclass
class Snapshot:
    """Repository-relative path (forward slashes) -> text, plus every file and directory name seen."""

    files: Mapping[str, str]
    paths: frozenset[str] = field(default_factory=frozenset)  # every file seen, read or not
    dirs: frozenset[str] = field(default_factory=frozenset)
    unreadable: Mapping[str, str] = field(default_factory=dict)  # path -> why

    def text(self, path: str) -> str | None:
        return self.files.get(path)

    def exists(self, path: str) -> bool:
        path = path.rstrip("/") or "."
        return path in self.paths or path in self.files or path in self.dirs or path == "."

    def is_dir(self, path: str) -> bool:
        return path.rstrip("/") in self.dirs or path in (".", "")

    def glob(self, pattern: str) -> list[str]:
        """Read files whose path matches `pattern` (fnmatch on the whole path), sorted."""
        return sorted(p for p in self.files if fnmatch.fnmatchcase(p, pattern))

    def named(self, *names: str) -> list[str]:
        """Read files whose base name matches one of `names` (fnmatch), shallowest first."""
        found = [p for p in self.files if any(fnmatch.fnmatchcase(p.rsplit("/", 1)[-1], n) for n in names)]
        return sorted(found, key=lambda p: (p.count("/"), p))

    def require(self, path: str) -> str:
        """The text of a file detection cannot do without; one error line when it cannot be read."""
        if path in self.unreadable:
            raise ConfigError(f"cannot read {path}: {self.unreadable[path]}")
        text = self.files.get(path)
        if text is None:
            raise ConfigError(f"{path} not found")
        return text


def snapshot_from(files: Mapping[str, str]) -> Snapshot:
    """A Snapshot from a dict (tests, fixtures): directories are derived from the paths."""
    dirs = set()
    for path in files:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    return Snapshot(files=dict(files), paths=frozenset(files), dirs=frozenset(dirs))


def read_repository(root: Path) -> Snapshot:
    """Read the files detection needs under `root` (the edge: the only file reads of detection)."""
    if not root.is_dir():
        raise ConfigError(f"{root} is not a directory")
    files: dict[str, str] = {}
    paths: set[str] = set()
    dirs: set[str] = set()
    unreadable: dict[str, str] = {}
    for relative, path in _walk(root):
        if path.is_dir():
            dirs.add(relative)
            continue
        paths.add(relative)
        name = path.name
        if name in SECRET_FILES or not _wanted(relative):
            continue
        try:
            if path.stat().st_size > MAX_BYTES:
                continue
            files[relative] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            unreadable[relative] = "not UTF-8 text"
        except OSError as exc:
            unreadable[relative] = exc.strerror or str(exc)
    return Snapshot(files=files, paths=frozenset(paths), dirs=frozenset(dirs), unreadable=unreadable)


def _wanted(relative: str) -> bool:
    directory, _, name = relative.rpartition("/")
    if directory.rsplit("/", 1)[-1] == "requirements" and name.endswith((".txt", ".in")):
        return True
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in WANTED)


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    for current, subdirs, names in os.walk(root, onerror=_raise):
        here = Path(current)
        relative_dir = here.relative_to(root).as_posix()
        depth = 0 if relative_dir == "." else relative_dir.count("/") + 1
        subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not _archived(relative_dir, d))
        if depth >= MAX_DEPTH:
            subdirs[:] = []
        for name in subdirs:
            yield _join(relative_dir, name), here / name
        for name in sorted(names):
            yield _join(relative_dir, name), here / name


def _archived(parent: str, name: str) -> bool:
    return parent == "deployment" and name == "archive"


def _join(directory: str, name: str) -> str:
    return name if directory == "." else f"{directory}/{name}"


def _raise(error: OSError) -> None:
    raise ConfigError(f"cannot read {error.filename}: {error.strerror or error}")
