"""Python dependencies (requirements chains, pyproject with uv or poetry locks) and the Python version."""

from __future__ import annotations

import posixpath
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from dockyard.core.errors import ConfigError
from dockyard.init.facts import Dependencies, Evidence
from dockyard.init.snapshot import Snapshot

NAME_PATTERN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?")
_INCLUDE = re.compile(r"^\s*(?:-r|--requirement)(?:\s+|=)(\S+)")
_CONSTRAINT = re.compile(r"^\s*(?:-c|--constraint)(?:\s+|=)(\S+)")
PRODUCTION_NAMES = ("production", "prod", "deploy", "release")
DEV_NAMES = ("local", "dev", "development", "test", "tests", "testing", "ci")
BASE_NAMES = ("base", "common", "main")
SKIPPED = ("tests/", "docs/", "node_modules/")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Requirement:
    name: str  # normalised
    extras: frozenset[str]
    line: int
    text: str


@dataclass(frozen=True)
class RequirementsFile:
    path: str
    requirements: tuple[Requirement, ...]
    includes: tuple[tuple[str, int], ...]  # (repository-relative path, line) of -r / -c


def parse_requirements(path: str, text: str) -> RequirementsFile:
    requirements: list[Requirement] = []
    includes: list[tuple[str, int]] = []
    directory = posixpath.dirname(path)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        found = _INCLUDE.match(line) or _CONSTRAINT.match(line)
        if found:
            includes.append((posixpath.normpath(posixpath.join(directory, found.group(1))), number))
            continue
        if line.startswith("-"):
            continue  # --index-url, -e ., --hash ...
        name = NAME_PATTERN.match(line)
        if name:
            extras = frozenset(e.strip().lower() for e in (name.group(2) or "[]")[1:-1].split(",") if e.strip())
            requirements.append(Requirement(normalise(name.group(1)), extras, number, line))
    return RequirementsFile(path, tuple(requirements), tuple(includes))


def requirement_files(snapshot: Snapshot) -> dict[str, RequirementsFile]:
    paths = [p for p in snapshot.named("requirements*.txt") if not p.startswith(SKIPPED)]
    paths += [p for p in snapshot.glob("*requirements/*.txt") if not p.startswith(SKIPPED) and p not in paths]
    return {p: parse_requirements(p, snapshot.require(p)) for p in paths}


def chain(files: dict[str, RequirementsFile], start: str) -> list[str]:
    """`start` and everything it includes with -r/-c, included files first, each once."""
    order: list[str] = []

    def visit(path: str, trail: tuple[str, ...]) -> None:
        if path in trail or path in order or path not in files:
            return
        for included, _ in files[path].includes:
            visit(included, (*trail, path))
        order.append(path)

    visit(start, ())
    return order


def _stem_words(path: str) -> set[str]:
    stem = posixpath.basename(path).rsplit(".", 1)[0]
    return set(re.split(r"[-_.]", stem.lower())) - {"requirements"} | ({stem.lower()} if "/" in path else set())


def choose_production(files: dict[str, RequirementsFile], legacy: list[tuple[str, Evidence]]) -> tuple[str, Evidence]:
    """The requirements file a production image installs, and why that one."""
    for written, where in legacy:  # what the old images installed wins
        written = posixpath.normpath(written)
        for path in files:
            if path == written or path.endswith("/" + written) or written.endswith("/" + path):
                return path, where
    for words in (PRODUCTION_NAMES, None, BASE_NAMES):
        for path in sorted(files, key=lambda p: (p.count("/"), p)):
            stem = _stem_words(path)
            if words is None:
                if posixpath.basename(path) == "requirements.txt":
                    return path, Evidence(path, 0, "the root requirements file")
            elif stem & set(words):
                return path, Evidence(path, 0, f"named {posixpath.basename(path)}")
    if len(files) == 1:
        only = next(iter(files))
        return only, Evidence(only, 0, "the only requirements file")
    raise ConfigError(
        "cannot tell which requirements file is the production one ("
        + ", ".join(sorted(files))
        + "): name it requirements/production.txt or requirements.txt"
    )


def choose_dev(files: dict[str, RequirementsFile], production: str) -> str | None:
    """A development requirements file whose chain includes the production packages' base."""
    production_chain = set(chain(files, production))
    candidates = [p for p in files if p not in production_chain and _stem_words(p) & set(DEV_NAMES)]
    for path in sorted(candidates, key=lambda p: (p.count("/"), p)):
        if set(chain(files, path)) & production_chain or len(files) == 2:
            return path
    return candidates[0] if candidates else None


def _packages(files: dict[str, RequirementsFile], paths: list[str]) -> frozenset[str]:
    return frozenset(r.name for p in paths for r in files[p].requirements)


# --------------------------------------------------------------------------- pyproject


def load_pyproject(snapshot: Snapshot, path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(snapshot.require(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _pep508_names(items: Any) -> frozenset[str]:
    names = set()
    for item in items or []:
        if isinstance(item, str):
            found = NAME_PATTERN.match(item)
            if found:
                names.add(normalise(found.group(1)))
    return frozenset(names)


def pyproject_packages(data: dict[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """(production, development) distribution names of a pyproject (PEP 621, PEP 735, poetry)."""
    project = data.get("project") or {}
    production = set(_pep508_names(project.get("dependencies")))
    dev: set[str] = set()
    for group in (data.get("dependency-groups") or {}).values():
        dev |= _pep508_names([g for g in group if isinstance(g, str)])
    for group in (project.get("optional-dependencies") or {}).values():
        dev |= _pep508_names(group)
    poetry = (data.get("tool") or {}).get("poetry") or {}
    production |= {normalise(n) for n in (poetry.get("dependencies") or {}) if n.lower() != "python"}
    for group in (poetry.get("group") or {}).values():
        dev |= {normalise(n) for n in (group.get("dependencies") or {})}
    dev |= {normalise(n) for n in (poetry.get("dev-dependencies") or {})}
    return frozenset(production), frozenset(dev)


def detect_dependencies(snapshot: Snapshot, roots: list[str], legacy) -> tuple[Dependencies, list[str]]:
    """The dependency install, looking in `roots` (the repository root, the project directory)."""
    notes: list[str] = []
    files = requirement_files(snapshot)
    pyprojects = [
        p for p in (posixpath.normpath(posixpath.join(r, "pyproject.toml")) for r in roots) if snapshot.text(p)
    ]
    for pyproject in dict.fromkeys(pyprojects):
        directory = posixpath.dirname(pyproject)
        data = load_pyproject(snapshot, pyproject)
        production, dev = pyproject_packages(data)
        lock = next(
            (
                posixpath.join(directory, n) if directory else n
                for n in ("uv.lock", "poetry.lock")
                if snapshot.exists(posixpath.join(directory, n) if directory else n)
            ),
            None,
        )
        uses_pip = bool(legacy.pip_requirements) and not (legacy.uv_sync or legacy.poetry_install)
        if lock and lock.endswith("uv.lock") and not uses_pip:
            where = legacy.uv_sync[0] if legacy.uv_sync else Evidence(lock, 0, "uv.lock next to pyproject.toml")
            return Dependencies("uv", (pyproject, lock), pyproject, (), None, production, dev, where), notes
        if lock and lock.endswith("poetry.lock") and not uses_pip:
            where = legacy.poetry_install[0] if legacy.poetry_install else Evidence(lock, 0, "poetry.lock")
            return Dependencies("poetry", (pyproject, lock), pyproject, (), None, production, dev, where), notes
        if production and not files:
            where = Evidence(pyproject, 0, "[project] dependencies, no lock file")
            notes.append(f"{pyproject} has no lock file: the images install its dependencies unpinned")
            return Dependencies("pyproject", (pyproject,), pyproject, (), None, production, dev, where), notes
    if not files:
        raise ConfigError(
            "no dependency file found (requirements*.txt, requirements/*.txt, or pyproject.toml with a uv/poetry lock)"
        )
    production_file, where = choose_production(files, legacy.pip_requirements)
    production_chain = chain(files, production_file)
    dev_file = choose_dev(files, production_file)
    dev_chain = chain(files, dev_file) if dev_file else []
    return (
        Dependencies(
            "requirements",
            tuple(production_chain),
            production_file,
            tuple(dev_chain),
            dev_file,
            _packages(files, production_chain),
            _packages(files, dev_chain),
            where,
        ),
        notes,
    )


def requirement_line(snapshot: Snapshot, files: tuple[str, ...], name: str) -> tuple[str, Requirement] | None:
    """(file, requirement) naming distribution `name` in one of the requirements `files` (for evidence)."""
    for path in files:
        text = snapshot.text(path)
        if text is None or not path.endswith((".txt", ".in")):
            continue
        for requirement in parse_requirements(path, text).requirements:
            if requirement.name == name:
                return path, requirement
    return None


# --------------------------------------------------------------------------- Python version

DEFAULT_PYTHON = "3.11"
# The Debian suite whose python3 is this version (the local stand-ins are made from Debian's python3).
SUITE_OF = {
    "3.9": "bullseye",
    "3.10": "bookworm",
    "3.11": "bookworm",
    "3.12": "bookworm",
    "3.13": "trixie",
    "3.14": "trixie",
}


def _version(text: str) -> str | None:
    found = re.search(r"(\d+)\.(\d+)", text)
    return f"{found.group(1)}.{found.group(2)}" if found else None


def detect_python(
    snapshot: Snapshot, roots: list[str], legacy, pyproject_data: dict[str, Any] | None, pyproject_path: str | None
) -> tuple[str, str, Evidence, list[str]]:
    """(version, Debian suite, evidence, notes). .python-version and runtime.txt name the version the
    project runs; the old images' FROM says what ran in production; requires-python is only a range
    (its lower bound is taken last)."""
    notes: list[str] = []
    found: list[tuple[str, Evidence]] = []
    for root in roots:
        for name in (".python-version", "runtime.txt"):
            path = posixpath.normpath(posixpath.join(root, name))
            text = snapshot.text(path)
            if text and _version(text.strip().splitlines()[0] if text.strip() else ""):
                found.append(
                    (_version(text.strip().splitlines()[0]) or "", Evidence(path, 1, text.strip().splitlines()[0]))
                )
    legacy_suite = None
    for version, suite, where in legacy.python:
        found.append((version, where))
        legacy_suite = legacy_suite or suite
    if pyproject_data is not None and pyproject_path:
        requires = (pyproject_data.get("project") or {}).get("requires-python")
        if isinstance(requires, str) and _version(requires):
            found.append((_version(requires) or "", Evidence(pyproject_path, 0, f'requires-python = "{requires}"')))
    if not found:
        notes.append(
            f"no Python version found (.python-version, Dockerfile FROM, requires-python): using {DEFAULT_PYTHON}"
        )
        return DEFAULT_PYTHON, SUITE_OF[DEFAULT_PYTHON], Evidence("", 0, "default"), notes
    version, where = found[0]
    others = {v for v, _ in found} - {version}
    if others:
        notes.append(f"Python {version} ({where}) chosen; other sources say {', '.join(sorted(others))}")
    suite = legacy_suite or SUITE_OF.get(version, "bookworm")
    return version, suite, where, notes


def local_stand_in(version: str) -> str:
    """The locally bootstrapped image that stands in for python:VERSION-slim-* (Debian's python3)."""
    return f"dockyard-local/python:{version}-{SUITE_OF.get(version, 'bookworm')}"
