"""Where things go in the image: which repository directory is copied to the code directory, and where."""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass

from dockyard.init.detect.legacy import LegacyFacts
from dockyard.init.facts import Dependencies, Evidence, Npm

DEFAULT_CODE_DIR = "/code"


def inside(path: str, directory: str) -> bool:
    return directory == "." or path == directory or path.startswith(directory.rstrip("/") + "/")


@dataclass(frozen=True)
class Layout:
    source_root: str  # the repository directory that lands in code_dir ("." or the project directory)
    code_dir: str
    evidence: Evidence | None

    def image_path(self, relative: str) -> str:
        """The image path of a repository-relative path."""
        rel = relative if self.source_root == "." else posixpath.relpath(relative, self.source_root)
        return posixpath.normpath(posixpath.join(self.code_dir, rel))


def layout(legacy: LegacyFacts, project_dir: str, dependencies: Dependencies, npm: Npm | None) -> Layout:
    """The project directory alone when everything the build needs is inside it, else the repository
    root; it goes where the old images had the code (`COPY . .` under WORKDIR /app), else /code."""
    needed = list(dependencies.files) + list(dependencies.dev_files)
    if npm is not None:
        needed += [npm.package_json, *npm.inputs] + ([npm.lockfile] if npm.lockfile else [])
    source_root = project_dir if project_dir != "." and all(inside(p, project_dir) for p in needed) else "."
    if not legacy.root_in_image:
        return Layout(source_root, DEFAULT_CODE_DIR, None)
    pre_migration = [(d, w) for d, w in legacy.root_in_image if not w.path.startswith("deployment/")]
    root = Counter(d for d, _ in pre_migration or legacy.root_in_image).most_common(1)[0][0]
    where = next(w for d, w in legacy.root_in_image if d == root)
    return Layout(source_root, root if source_root == "." else posixpath.join(root, source_root), where)
