"""Local stand-ins for upstream base images, made from Debian packages.

On a machine that cannot reach a container registry, `debootstrap` makes a
minimal Debian root filesystem which `docker import` turns into an image;
small Dockerfiles under deployment/local-images/ then add Python, PostgreSQL
and Redis. Everything is tagged under `dockyard-local/`, a name nobody can
mistake for an official image.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dockyard.core.errors import DockyardError
from dockyard.core.tempdirs import run_tempdir
from dockyard.docker.images import build_context, image_exists, import_rootfs, pullable

LOCAL_NAMESPACE = "dockyard-local"
DEBIAN_IMAGE = f"{LOCAL_NAMESPACE}/debian:bookworm"
APT_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
APT_SOURCES_LEGACY = Path("/etc/apt/sources.list")


@dataclass(frozen=True)
class LocalImage:
    tag: str
    context: str  # directory under deployment/local-images/
    stands_in_for: str


LOCAL_IMAGES = (
    LocalImage(f"{LOCAL_NAMESPACE}/python:3.11-bookworm", "python", "python:3.11-slim-bookworm"),
    LocalImage(f"{LOCAL_NAMESPACE}/postgres:15", "postgres", "postgres:15"),
    LocalImage(f"{LOCAL_NAMESPACE}/redis:7", "redis", "redis:7"),
    LocalImage(f"{LOCAL_NAMESPACE}/nginx:1.22", "nginx", "nginx (CapRover's proxy, for the stage)"),
)


def debian_mirror(sources: Path = APT_SOURCES, legacy: Path = APT_SOURCES_LEGACY) -> str:
    """The Debian mirror this machine's apt uses (deb822 first, then sources.list)."""
    if sources.is_file():
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:") and line.split()[1:]:
                return line.split()[1]
    if legacy.is_file():
        for line in legacy.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb":
                uri = next((p for p in parts[1:] if "://" in p), None)
                if uri:
                    return uri
    raise DockyardError(f"cannot find the Debian mirror in {sources} or {legacy}")


def bootstrap_debian(
    tag: str = DEBIAN_IMAGE, suite: str = "bookworm", log: Callable[[str], None] = lambda message: None
) -> None:
    """debootstrap a minbase Debian and import it as `tag`."""
    if shutil.which("debootstrap") is None:
        raise DockyardError("debootstrap is not installed: apt-get install debootstrap (or deployment/host/setup.sh)")
    mirror = debian_mirror()
    with run_tempdir("rootfs") as tmp:
        rootfs = tmp / "rootfs"
        log(f"debootstrap {suite} from {mirror} (about 30 s)")
        _run(["debootstrap", "--variant=minbase", "--include=ca-certificates", suite, str(rootfs), mirror])
        slim_rootfs(rootfs)
        log(f"docker import -> {tag}")
        import_rootfs(rootfs, tag)


# What Debian's own container images leave out (as debian:*-slim does): docs, man pages,
# translations. The dpkg rule keeps later `apt-get install`s from bringing them back.
DPKG_SLIM_RULES = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
"""
SLIMMED_DIRS = (
    "usr/share/man",
    "usr/share/groff",
    "usr/share/info",
    "usr/share/lintian",
    "usr/share/linda",
    "usr/share/locale",
    "var/lib/apt/lists",
    "var/cache/apt",
    "var/log",
)


def slim_rootfs(rootfs: Path) -> None:
    """Empty the directories slim images leave out (keeping copyright files) and install the dpkg rule."""
    for relative in SLIMMED_DIRS:
        directory = rootfs / relative
        if directory.is_dir():
            for child in directory.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    docs = rootfs / "usr/share/doc"
    if docs.is_dir():
        for path in sorted(docs.rglob("*"), reverse=True):
            if path.is_file() or path.is_symlink():
                if path.name != "copyright":
                    path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    rules = rootfs / "etc/dpkg/dpkg.cfg.d/01-dockyard-slim"
    rules.parent.mkdir(parents=True, exist_ok=True)
    rules.write_text(DPKG_SLIM_RULES)


def build_local_image(image: LocalImage, images_dir: Path, log: Callable[[str], None] = lambda message: None) -> None:
    context = images_dir / image.context
    if not (context / "Dockerfile").is_file():
        raise DockyardError(f"missing {context / 'Dockerfile'}")
    log(f"docker build {image.tag} (stands in for {image.stands_in_for})")
    build_context(context, image.tag, {"DEBIAN_IMAGE": DEBIAN_IMAGE})


def ensure_local_images(
    images_dir: Path, force: bool = False, log: Callable[[str], None] = lambda message: None
) -> list[str]:
    """Make every missing local image (all of them with `force`); returns the tags it made."""
    made: list[str] = []
    if force or not image_exists(DEBIAN_IMAGE):
        bootstrap_debian(log=log)
        made.append(DEBIAN_IMAGE)
    for image in LOCAL_IMAGES:
        if force or DEBIAN_IMAGE in made or not image_exists(image.tag):
            build_local_image(image, images_dir, log=log)
            made.append(image.tag)
    return made


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "; ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise DockyardError(f"{argv[0]} {argv[1]} failed: {tail}")


def choose_base_image(upstream: str, local_stand_in: str, log: Callable[[str], None] = lambda message: None) -> str:
    """The base image a build should use.

    The upstream image when it is present locally or its registry answers (BuildKit
    pulls it); else the locally bootstrapped stand-in; else a one-line error.
    """
    if pullable(upstream):
        return upstream
    if image_exists(local_stand_in):
        log(f"{upstream} cannot be pulled here; using the local stand-in {local_stand_in}")
        return local_stand_in
    raise DockyardError(
        f"base image {upstream} cannot be pulled and {local_stand_in} does not exist: run invoke base.bootstrap"
    )
