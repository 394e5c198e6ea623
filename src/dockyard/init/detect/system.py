"""Debian packages: carried over from the old images, plus what known Python packages need.

Runtime libraries go into the base stage (every image has them); compilers and -dev headers into
the builder only. Node is never a runtime package: the asset build runs in the builder.
"""

from __future__ import annotations

from dockyard.init.detect.deps import NAME_PATTERN, normalise, requirement_line
from dockyard.init.detect.found import Found
from dockyard.init.detect.legacy import LegacyFacts
from dockyard.init.facts import Dependencies, Evidence, Npm
from dockyard.init.snapshot import Snapshot

# distribution -> (runtime packages, build packages); only when built from source (no wheel extra)
PYTHON_NEEDS = {
    "psycopg": (("libpq5",), ()),  # pure Python unless [binary]/[c]: loads libpq at run time
    "psycopg2": (("libpq5",), ("libpq-dev", "gcc")),
    "mysqlclient": (("libmariadb3",), ("default-libmysqlclient-dev", "pkg-config", "gcc")),
}
BINARY_EXTRAS = {"psycopg": {"binary"}}
RUNTIME_OF_DEV = {
    "libpq-dev": "libpq5",
    "default-libmysqlclient-dev": "libmariadb3",
    "libmariadb-dev": "libmariadb3",
    "libjpeg-dev": "libjpeg62-turbo",
    "libjpeg62-turbo-dev": "libjpeg62-turbo",
    "libffi-dev": "libffi8",
    "libxml2-dev": "libxml2",
    "libxslt1-dev": "libxslt1.1",
    "libxslt-dev": "libxslt1.1",
    "libwebp-dev": "libwebp7",
    "zlib1g-dev": "",  # zlib1g is in every Debian image
    "libc6-dev": "",
    "python3-dev": "",
}
NODE = {"nodejs", "npm", "yarn"}


def system_packages(
    snapshot: Snapshot, legacy: LegacyFacts, dependencies: Dependencies, npm: Npm | None, found: Found
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(runtime packages, build packages); where each came from goes to `found` as evidence."""
    notes: list[str] = []
    first = next(iter({**legacy.apt_runtime, **legacy.apt_build}.values()), None)
    found.cite("apt", first)
    runtime = [p for p in legacy.apt_runtime if p not in NODE]
    build = [p for p in legacy.apt_build if p not in NODE]
    extras = _extras(snapshot, dependencies)
    for name, (needs_runtime, needs_build) in PYTHON_NEEDS.items():
        if name not in dependencies.packages or extras.get(name, set()) & BINARY_EXTRAS.get(name, set()):
            continue
        runtime += [p for p in needs_runtime if p not in runtime]
        build += [p for p in needs_build if p not in build]
        hit = requirement_line(snapshot, dependencies.files, name)
        if hit is not None and first is None:
            first = Evidence(hit[0], hit[1].line, f"{hit[1].text} needs {', '.join(needs_runtime)}")
            found.cite("apt", first)
    for package in list(build):
        if package.endswith("-dev") and package not in RUNTIME_OF_DEV:
            notes.append(f"the old images install {package}: which runtime library goes with it is yours to add")
        counterpart = RUNTIME_OF_DEV.get(package)
        if counterpart and counterpart not in runtime:
            runtime.append(counterpart)
    if any(p in build for p in ("gcc", "build-essential", "g++")):
        notes.append(
            "C extensions are compiled in the builder: the official python images carry the headers, "
            "the local Debian stand-in needs python3-dev added to the builder's packages"
        )
    found.note(*notes)
    return tuple(sorted(runtime)), tuple(sorted(build))


def _extras(snapshot: Snapshot, dependencies: Dependencies) -> dict[str, set[str]]:
    """Extras per distribution as written in the dependency files (psycopg[binary])."""
    out: dict[str, set[str]] = {}
    for path in dependencies.files:
        text = snapshot.text(path) or ""
        for line in text.splitlines():
            for part in line.replace('"', "\n").replace("'", "\n").splitlines():
                found = NAME_PATTERN.match(part)
                if found and found.group(2):
                    extras = {e.strip().lower() for e in found.group(2)[1:-1].split(",")}
                    out.setdefault(normalise(found.group(1)), set()).update(extras)
    return out
