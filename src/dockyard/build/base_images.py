"""Local stand-ins for upstream images, made from Debian packages, and the choice between them.

On a machine that cannot reach a container registry, `debootstrap` makes a minimal Debian root
filesystem (bookworm or trixie) which `docker import` turns into an image; small Dockerfiles
shipped in the wheel (dockyard.core.resources: local-images/) then add Python, PostgreSQL or
Redis. Everything is tagged under `dockyard-local/`, a name nobody can mistake for an official
image. Which upstream image each stand-in replaces is in STAND_INS: python 3.11 (bookworm) and
3.13 (trixie), postgres 15 (bookworm) and 17 (trixie), redis 7 (bookworm) and 8 (trixie).

A build uses the upstream image when it is present or pullable, else its stand-in; a Dockerfile
that names an image nobody can provide (a hard-coded FROM without a BASE_IMAGE argument, a
`# syntax=` frontend) is one error line saying what to change.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from dockyard.core.errors import ConfigError, DockyardError
from dockyard.core.resources import resource
from dockyard.core.tempdirs import run_tempdir
from dockyard.docker.images import build_context, image_exists, import_rootfs, pullable
from dockyard.docker.lock import exclusive_build
from dockyard.dockerfile.graph import StageGraph
from dockyard.dockerfile.parser import Dockerfile, arg_declarations

LOCAL_NAMESPACE = "dockyard-local"
DEBIAN_IMAGES = {suite: f"{LOCAL_NAMESPACE}/debian:{suite}" for suite in ("bookworm", "trixie")}
DEBIAN_IMAGE = DEBIAN_IMAGES["bookworm"]
APT_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
APT_SOURCES_LEGACY = Path("/etc/apt/sources.list")
BASE_ARG = "BASE_IMAGE"


@dataclass(frozen=True)
class LocalImage:
    """One stand-in: what it replaces, the recipe (a directory of local-images/) and the suite."""

    tag: str
    recipe: str  # directory under resources/local-images/
    stands_in_for: str  # the upstream image it replaces, e.g. python:3.13-slim-trixie
    suite: str = "bookworm"
    build_args: tuple[tuple[str, str], ...] = ()  # (name, value) pairs

    @property
    def kind(self) -> str:
        return self.recipe

    @property
    def version(self) -> str:
        return self.tag.rsplit(":", 1)[1].split("-")[0]

    @property
    def debian_image(self) -> str:
        return DEBIAN_IMAGES[self.suite]


STAND_INS = (
    LocalImage(f"{LOCAL_NAMESPACE}/python:3.11-bookworm", "python", "python:3.11-slim-bookworm", "bookworm"),
    LocalImage(f"{LOCAL_NAMESPACE}/python:3.13-trixie", "python", "python:3.13-slim-trixie", "trixie"),
    LocalImage(f"{LOCAL_NAMESPACE}/postgres:15", "postgres", "postgres:15", "bookworm", (("PG_MAJOR", "15"),)),
    LocalImage(f"{LOCAL_NAMESPACE}/postgres:17", "postgres", "postgres:17", "trixie", (("PG_MAJOR", "17"),)),
    LocalImage(f"{LOCAL_NAMESPACE}/redis:7", "redis", "redis:7", "bookworm"),
    LocalImage(f"{LOCAL_NAMESPACE}/redis:8", "redis", "redis:8", "trixie"),
)
# CapRover's proxy on the local stage (docs/stage.md); not a base any project's build asks for.
PROXY_STAND_IN = LocalImage(f"{LOCAL_NAMESPACE}/nginx:1.22", "nginx", "nginx (CapRover's proxy, for the stage)")
LOCAL_IMAGES = (*STAND_INS, PROXY_STAND_IN)
# What the card's layout runs when a project says nothing else.
DEFAULT_BASE = "python:3.11-slim-bookworm"
DEFAULT_POSTGRES = "postgres:15"
DEFAULT_REDIS = "redis:7"

_REPOSITORY = re.compile(r"^(?:(?:docker\.io|index\.docker\.io)/)?(?:library/)?(?P<name>[a-z0-9._-]+)$")
_VERSION = re.compile(r"^(?P<major>\d+)(?:\.(?P<minor>\d+))?")


# --------------------------------------------------------------------------- which stand-in


def stand_in_for(upstream: str) -> LocalImage | None:
    """The stand-in for an upstream image reference, by image and version: python:3.13-slim,
    python:3.13-slim-trixie and python:3.13 all get python 3.13; postgres:17-alpine gets postgres 17;
    a stand-in's own tag gets itself. None when there is none."""
    for image in STAND_INS:
        if upstream == image.tag:
            return image
    ref = upstream.split("@", 1)[0]
    repository, tag = ref.rsplit(":", 1) if ":" in ref.rsplit("/", 1)[-1] else (ref, "latest")
    name = _REPOSITORY.match(repository)
    version = _VERSION.match(tag)
    if name is None or version is None:
        return None
    kind = name.group("name")
    if kind == "python":
        if version.group("minor") is None:
            return None
        wanted = f"{version.group('major')}.{version.group('minor')}"
    else:
        wanted = version.group("major")
    return next((i for i in STAND_INS if i.kind == kind and i.version == wanted), None)


def local_stand_in(upstream: str, configured: str = "") -> str:
    """The stand-in's tag for `upstream` (`configured` when set); ConfigError when there is none."""
    if configured:
        return configured
    image = stand_in_for(upstream)
    if image is None:
        known = ", ".join(i.stands_in_for for i in STAND_INS)
        raise ConfigError(
            f"{upstream} cannot be pulled here and dockyard has no stand-in for it (it has: {known}): "
            "use one of those, or build and tag an image of your own and name it in [tool.dockyard]"
        )
    return image.tag


def choose_image(upstream: str, configured_stand_in: str = "", log: Callable[[str], None] = lambda m: None) -> str:
    """The image to run or build from: `upstream` when present locally or its registry answers
    (BuildKit pulls it), else its local stand-in; a one-line error when neither exists."""
    if pullable(upstream):
        return upstream
    stand_in = local_stand_in(upstream, configured_stand_in)
    if image_exists(stand_in):
        log(f"{upstream} cannot be pulled here; using the local stand-in {stand_in}")
        return stand_in
    raise DockyardError(
        f"image {upstream} cannot be pulled and its stand-in {stand_in} does not exist: run invoke base.bootstrap"
    )


# --------------------------------------------------------------------------- the Dockerfile's base


def base_arg_default(dockerfile: Dockerfile) -> str | None:
    """The default of the Dockerfile's global `ARG BASE_IMAGE=...` (None without one)."""
    for instruction in dockerfile.global_args:
        for name, default in arg_declarations(instruction):
            if name == BASE_ARG:
                return default
    return None


def uses_base_arg(dockerfile: Dockerfile) -> bool:
    """Some stage's FROM expands ${BASE_IMAGE} (so a build can hand it a stand-in)."""
    return any(BASE_ARG in stage.base for stage in dockerfile.stages) and any(
        name == BASE_ARG for i in dockerfile.global_args for name, _ in arg_declarations(i)
    )


def project_base_image(configured: str, dockerfile: Dockerfile | None) -> str:
    """The upstream base image: [tool.dockyard] base_image, else the Dockerfile's BASE_IMAGE default."""
    if configured:
        return configured
    default = base_arg_default(dockerfile) if dockerfile is not None else None
    return default or DEFAULT_BASE


@dataclass(frozen=True)
class Directive:
    line: int
    name: str
    value: str


_DIRECTIVE = re.compile(r"^#\s*(?P<name>[A-Za-z]+)\s*=\s*(?P<value>\S.*?)\s*$")


def parser_directives(dockerfile: Dockerfile) -> list[Directive]:
    """The parser directives at the top of the file (`# syntax=...`, `# escape=...`); BuildKit stops
    looking for them at the first line that is not one."""
    found = []
    for number, line in enumerate(dockerfile.lines, start=1):
        m = _DIRECTIVE.match(line.strip())
        if m is None:
            break
        found.append(Directive(number, m.group("name").lower(), m.group("value")))
    return found


def check_pullable(
    dockerfile: Dockerfile,
    build_args: dict[str, str],
    exists: Callable[[str], bool] = pullable,
) -> None:
    """One ConfigError when the Dockerfile, built with `build_args` (what the bake target passes),
    needs an image this machine cannot get: a `# syntax=` frontend, or a FROM of an external image
    that is neither present nor pullable. `exists`: present locally, or its registry answers."""
    where = str(dockerfile.path)
    for directive in parser_directives(dockerfile):
        if directive.name == "syntax" and not exists(directive.value):
            raise ConfigError(
                f"{where}:{directive.line}: `# syntax={directive.value}` makes BuildKit pull the frontend "
                f"image {directive.value}, which cannot be pulled here: remove the line (BuildKit's "
                "built-in frontend reads the Dockerfile)"
            )
    graph = StageGraph(dockerfile, build_args)
    for stage in dockerfile.stages:
        if graph.parent(stage) is not None:
            continue
        ref = graph.base_ref(stage)
        if not ref or ref.lower() == "scratch" or exists(ref):
            continue
        stand_in = stand_in_for(ref)
        if BASE_ARG not in stage.base:
            how = (
                f"write `ARG {BASE_ARG}={ref}` before the first FROM and `FROM ${{{BASE_ARG}}}` here, so "
                f"dockyard can pass its stand-in {stand_in.tag}"
                if stand_in
                else "dockyard has no stand-in for it; use a base image it has one for "
                f"({', '.join(i.stands_in_for for i in STAND_INS if i.kind == 'python')})"
            )
            raise ConfigError(f"{where}:{stage.line}: FROM {ref} cannot be pulled here and is hard-coded: {how}")
        if BASE_ARG not in build_args:
            raise ConfigError(
                f"{where}:{stage.line}: the bake target does not pass {BASE_ARG}, so the Dockerfile's "
                f"default {ref} is used, which cannot be pulled here: add a variable \"{BASE_ARG}\" and "
                f"`args = {{ {BASE_ARG} = {BASE_ARG} }}` to the bake target"
            )
        hint = "run invoke base.bootstrap" if stand_in else "dockyard has no stand-in for it"
        raise ConfigError(f"{where}:{stage.line}: base image {ref} cannot be pulled and is not present: {hint}")


# --------------------------------------------------------------------------- making stand-ins


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
    """debootstrap a minbase Debian `suite` and import it as `tag`."""
    if shutil.which("debootstrap") is None:
        raise DockyardError("debootstrap is not installed: apt-get install debootstrap (as root)")
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


def build_local_image(image: LocalImage, log: Callable[[str], None] = lambda message: None) -> None:
    context = resource("local-images", image.recipe)
    log(f"docker build {image.tag} (stands in for {image.stands_in_for})")
    with exclusive_build(log):
        build_context(context, image.tag, {"DEBIAN_IMAGE": image.debian_image, **dict(image.build_args)})


def ensure_local_images(
    wanted: Iterable[LocalImage],
    force: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> list[str]:
    """Make every stand-in of `wanted` that is missing (all of them with `force`), and the Debian
    images they are built from; returns the tags it made."""
    wanted = list(dict.fromkeys(wanted))
    made: list[str] = []
    for suite in dict.fromkeys(image.suite for image in wanted):
        debian = DEBIAN_IMAGES[suite]
        if force or not image_exists(debian):
            bootstrap_debian(debian, suite, log=log)
            made.append(debian)
    for image in wanted:
        if force or image.debian_image in made or not image_exists(image.tag):
            build_local_image(image, log=log)
            made.append(image.tag)
    return made


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "; ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise DockyardError(f"{argv[0]} {argv[1]} failed: {tail}")
