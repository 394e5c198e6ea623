"""package.json: its build script, its production and development dependencies, what the build reads."""

from __future__ import annotations

import json
import posixpath
import shlex

from dockyard.core.errors import ConfigError
from dockyard.init.facts import Evidence, Npm
from dockyard.init.snapshot import NPM_CONFIG_FILES, Snapshot

OUTPUT_OPTIONS = ("--outfile", "--outdir", "--out-dir", "-o", "--output", "--output-path", "--dist-dir")


def detect_npm(snapshot: Snapshot, roots: list[str]) -> Npm | None:
    """The package.json at the repository root or in the project directory, None without one."""
    for root in roots:
        path = posixpath.normpath(posixpath.join(root, "package.json"))
        text = snapshot.text(path)
        if text is None:
            if path in snapshot.unreadable:
                snapshot.require(path)
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: not a JSON object")
        directory = posixpath.dirname(path)
        scripts = data.get("scripts") if isinstance(data.get("scripts"), dict) else {}
        build = scripts.get("build") if isinstance(scripts.get("build"), str) else None
        lock = posixpath.join(directory, "package-lock.json") if directory else "package-lock.json"
        line = next((n for n, row in enumerate(text.splitlines(), start=1) if '"build"' in row), 0)
        return Npm(
            package_json=path,
            lockfile=lock if snapshot.exists(lock) else None,
            build_script=build,
            production_dependencies=tuple(sorted(_names(data.get("dependencies")))),
            dev_dependencies=tuple(sorted(_names(data.get("devDependencies")))),
            inputs=build_inputs(snapshot, directory, build) if build else (),
            evidence=Evidence(path, line, f"build: {build}" if build else "no build script"),
        )
    return None


def _names(value: object) -> list[str]:
    return [str(k) for k in value] if isinstance(value, dict) else []


def build_inputs(snapshot: Snapshot, directory: str, script: str) -> tuple[str, ...]:
    """Repository-relative files and top-level directories the build script names (outputs left out),
    plus bundler configuration files next to package.json. Empty when the script names nothing
    that exists: the Dockerfile then copies the whole directory for the build."""
    try:
        words = shlex.split(script)
    except ValueError:
        words = script.split()
    outputs: set[str] = set()
    candidates: list[str] = []
    skip_next = False
    for word in words:
        if skip_next:
            outputs.add(word)
            skip_next = False
            continue
        name, sep, value = word.partition("=")
        if name in OUTPUT_OPTIONS:
            if sep:
                outputs.add(value)
            else:
                skip_next = True
            continue
        if word.startswith("-"):
            continue
        candidates.append(word)
    found: list[str] = []
    for word in candidates:
        relative = posixpath.normpath(word)
        if relative.startswith("..") or relative in outputs:
            continue
        full = posixpath.normpath(posixpath.join(directory, relative)) if directory else relative
        if not snapshot.exists(full):
            continue
        top = relative.split("/")[0]
        top_full = posixpath.join(directory, top) if directory else top
        entry = top_full if snapshot.is_dir(top_full) else full
        if entry not in found:
            found.append(entry)
    for name in NPM_CONFIG_FILES:
        full = posixpath.join(directory, name) if directory else name
        if snapshot.exists(full) and full not in found:
            found.append(full)
    return tuple(found)
