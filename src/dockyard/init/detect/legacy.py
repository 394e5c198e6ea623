"""The pre-migration files: one Dockerfile per service, a compose file, start scripts, a Procfile.

Read with dockyard's own parsers (BuildKit's Dockerfile grammar, the compose model, the shell
splitter): system packages, the image's directory layout, environment variable names, service
commands, exposed ports, and the postgres/redis images the old stack ran.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.errors import ConfigError
from dockyard.dockerfile.compose import parse_compose
from dockyard.dockerfile.graph import StageGraph
from dockyard.dockerfile.parser import DockerfileSyntaxError, env_pairs, parse_dockerfile_text
from dockyard.dockerfile.shell import SimpleCommand, instruction_commands, resolve_dir, split_commands
from dockyard.init.facts import Command, Evidence
from dockyard.init.snapshot import Snapshot
from dockyard.lint.commands import celery_args, celery_subcommand

# Build-only system packages: compilers, headers, the asset toolchain.
BUILD_PACKAGES = {
    "build-essential",
    "gcc",
    "g++",
    "make",
    "cmake",
    "pkg-config",
    "pkgconf",
    "git",
    "nodejs",
    "npm",
    "yarn",
    "libc6-dev",
    "python3-dev",
    "gettext",
}
# Not carried over: apt's own tools and what the base image already has.
IGNORED_PACKAGES = {"apt-utils", "ca-certificates", "python3", "python3-pip", "python3-venv", "python-is-python3"}
PYTHON_TAG = re.compile(r"^(?:docker\.io/)?(?:library/)?python:(?P<version>\d+\.\d+)(?:\.\d+)?(?P<rest>[-\w.]*)$")
DATASTORES = {"postgres", "postgis", "redis", "valkey", "mysql", "mariadb", "rabbitmq", "memcached", "mongo"}
SHELL_KEYWORDS = {"if", "then", "else", "elif", "do", "while", "until", "!", "{"}
CASE_PATTERN = re.compile(r"^\s*[^\s()|;]+(\s*\|\s*[^\s()|;]+)*\s*\)")
SUITES = ("trixie", "bookworm", "bullseye", "buster")
SKIPPED_PREFIXES = ("deployment/local-images/", "tests/", "test/", "docs/")


@dataclass
class LegacyFacts:
    files: list[str] = field(default_factory=list)
    python: list[tuple[str, str | None, Evidence]] = field(default_factory=list)  # version, suite, where
    apt_runtime: dict[str, Evidence] = field(default_factory=dict)
    apt_build: dict[str, Evidence] = field(default_factory=dict)
    root_in_image: list[tuple[str, Evidence]] = field(default_factory=list)  # where the repo root landed
    mkdirs: dict[str, Evidence] = field(default_factory=dict)  # absolute directories the old images made
    env_names: dict[str, Evidence] = field(default_factory=dict)
    settings_module: list[tuple[str, Evidence]] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    exposed: list[tuple[int, Evidence]] = field(default_factory=list)
    published: list[tuple[int, Evidence]] = field(default_factory=list)  # container ports of compose `ports:`
    pip_requirements: list[tuple[str, Evidence]] = field(default_factory=list)  # `pip install -r X`, X as written
    uv_sync: list[Evidence] = field(default_factory=list)
    poetry_install: list[Evidence] = field(default_factory=list)
    tini: Evidence | None = None
    postgres_image: tuple[str, Evidence] | None = None
    redis_image: tuple[str, Evidence] | None = None


def read_legacy(snapshot: Snapshot) -> LegacyFacts:
    """Everything the old files say; the pre-migration files first, a card layout in deployment/
    (a second run of init, or a hand-written one) after them."""
    facts = LegacyFacts()
    for path in _card_last(_dockerfiles(snapshot)):
        _dockerfile(snapshot, path, facts)
    for path in _card_last(_compose_files(snapshot)):
        _compose(snapshot, path, facts)
    for path in _card_last(snapshot.named("*.sh", "Procfile")):
        if not _skipped(path):
            _script(snapshot, path, facts)
    for path in snapshot.named(".env.example", ".env.sample", ".env.template", ".env.dist"):
        _env_file(snapshot, path, facts)
    return facts


def parse_python_tag(image: str) -> tuple[str, str | None] | None:
    """`python:3.13-slim` -> ("3.13", None); `python:3.11-slim-bookworm` -> ("3.11", "bookworm")."""
    found = PYTHON_TAG.match(image.strip())
    if not found:
        return None
    suite = next((s for s in SUITES if s in found.group("rest")), None)
    return found.group("version"), suite


# --------------------------------------------------------------------------- Dockerfiles


def _card_last(paths: list[str]) -> list[str]:
    return sorted(paths, key=lambda p: p.startswith("deployment/"))


def _skipped(path: str) -> bool:
    return path.startswith(SKIPPED_PREFIXES) or "/tests/" in path


def _dockerfiles(snapshot: Snapshot) -> list[str]:
    names = snapshot.named("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile")
    return [p for p in names if not _skipped(p) and not p.endswith(".dockerignore")]


def _compose_files(snapshot: Snapshot) -> list[str]:
    names = snapshot.named(
        "docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml", "compose.*.y*ml"
    )
    return [p for p in names if not _skipped(p)]


def _dockerfile(snapshot: Snapshot, path: str, facts: LegacyFacts) -> None:
    text = snapshot.require(path)
    try:
        dockerfile = parse_dockerfile_text(text, Path(path))
    except DockerfileSyntaxError as exc:
        raise ConfigError(f"{path}:{exc.line}: BuildKit cannot parse this Dockerfile: {exc.detail}") from None
    facts.files.append(path)
    graph = StageGraph(dockerfile)
    final = dockerfile.stages[-1]
    shipped = {s.index for s in graph.lineage(final)}
    for stage in dockerfile.stages:
        base = graph.base_image(stage) or ""
        tag = parse_python_tag(base)
        if tag and stage.index in shipped:
            facts.python.append((tag[0], tag[1], Evidence(path, stage.line, stage.from_instruction.original)))
    for step in graph.steps(final):
        instruction = step.instruction
        where = Evidence(path, instruction.line, instruction.original.strip()[:120])
        if instruction.cmd == "ENV":
            pairs = env_pairs(instruction)
            where = Evidence(path, instruction.line, "ENV " + " ".join(n for n, _ in pairs))  # names, never values
            for name, value in pairs:
                facts.env_names.setdefault(name, where)
                if name == "DJANGO_SETTINGS_MODULE":
                    facts.settings_module.append((value, where))
        elif instruction.cmd == "EXPOSE":
            for port in instruction.value:
                number = port.split("/")[0]
                if number.isdigit():
                    facts.exposed.append((int(number), where))
        elif instruction.cmd in ("COPY", "ADD") and not instruction.flag("from") and len(instruction.value) >= 2:
            _copy_mapping(instruction.value, step.workdir, where, facts)
        elif instruction.cmd == "RUN":
            _run(instruction_commands(instruction), step.workdir, where, facts, build=False)
        elif instruction.cmd in ("CMD", "ENTRYPOINT"):
            commands = instruction_commands(instruction)
            if (
                instruction.cmd == "ENTRYPOINT"
                and instruction.value
                and posixpath.basename(instruction.value[0]) == "tini"
            ):
                facts.tini = where
            for command in commands:
                facts.commands.append(Command(tuple(command.words), where))
    for stage in dockerfile.stages:  # packages of stages that do not ship are build packages
        if stage.index in shipped:
            continue
        for instruction in stage.instructions:
            if instruction.cmd == "RUN":
                where = Evidence(path, instruction.line, instruction.original.strip()[:120])
                _run(instruction_commands(instruction), "/", where, facts, build=True)


def _copy_mapping(value: tuple[str, ...], workdir: str, where: Evidence, facts: LegacyFacts) -> None:
    """`COPY . .` in WORKDIR /app: the repository root is /app. `COPY src ./src` says the same."""
    *sources, destination = value
    target = resolve_dir(workdir, destination)
    for source in sources:
        norm = posixpath.normpath(source)
        if norm == ".":
            facts.root_in_image.append((target, where))
        elif len(sources) == 1 and not any(ch in norm for ch in "*?[") and target.endswith("/" + norm):
            facts.root_in_image.append((target[: -len(norm) - 1] or "/", where))


def _run(commands: list[SimpleCommand], workdir: str, where: Evidence, facts: LegacyFacts, build: bool) -> None:
    for command in commands:
        program = command.program
        words = command.words[1:]
        if program in ("apt-get", "apt") and "install" in words:
            for word in words[words.index("install") + 1 :]:
                if word.startswith("-"):
                    continue
                name = word.split("=")[0]
                if name in IGNORED_PACKAGES:
                    continue
                is_build = build or name in BUILD_PACKAGES or name.endswith("-dev")
                (facts.apt_build if is_build else facts.apt_runtime).setdefault(name, where)
        elif program == "mkdir":
            for word in words:
                if not word.startswith("-"):
                    facts.mkdirs.setdefault(resolve_dir(workdir, word), where)
        elif program in ("pip", "pip3") or (program.startswith("python") and words[:2] == ["-m", "pip"]):
            found = SimpleCommand(command.words).option("-r", "--requirement")
            if found:
                facts.pip_requirements.append((found, where))
        elif program == "uv" and "sync" in words:
            facts.uv_sync.append(where)
        elif program == "poetry" and "install" in words:
            facts.poetry_install.append(where)


# --------------------------------------------------------------------------- compose


def _compose(snapshot: Snapshot, path: str, facts: LegacyFacts) -> None:
    text = snapshot.require(path)
    try:
        compose = parse_compose(text, Path(path))
    except ConfigError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    facts.files.append(path)
    for service in compose.services.values():
        image = service.image or ""
        repository = image.split("/")[-1].split(":")[0]
        if service.build is None and repository in ("postgres", "postgis") and facts.postgres_image is None:
            facts.postgres_image = (image, Evidence(path, service.line_of("image"), f"image: {image}"))
        if service.build is None and repository in ("redis", "valkey") and facts.redis_image is None:
            facts.redis_image = (image, Evidence(path, service.line_of("image"), f"image: {image}"))
        for key in ("entrypoint", "command"):
            value = getattr(service, key)
            if value is None:
                continue
            words = value if isinstance(value, list) else None
            where = Evidence(path, service.line_of(key), f"{service.name}: {key}")
            commands = [SimpleCommand(list(words))] if words else split_commands(str(value))
            for command in commands:
                if command.words:
                    facts.commands.append(Command(tuple(command.words), where))
        if service.build is None and repository in DATASTORES:
            continue  # POSTGRES_PASSWORD of the database container is not the site's setting
        environment = service.data.get("environment")
        names: list[str] = []
        if isinstance(environment, dict):
            names = [str(k) for k in environment]
        elif isinstance(environment, list):
            names = [str(item).partition("=")[0] for item in environment]
        for name in names:
            facts.env_names.setdefault(name, Evidence(path, service.line_of("environment"), f"{service.name}: {name}"))
        for port in service.data.get("ports") or []:
            number = _container_port(port)
            if number and service.build is not None:
                facts.published.append((number, Evidence(path, service.line_of("ports"), f"{service.name}: {port}")))


def _container_port(port: object) -> int | None:
    if isinstance(port, dict):
        target = port.get("target")
        return int(target) if str(target).isdigit() else None
    text = str(port).split("/")[0]
    last = text.rsplit(":", 1)[-1]
    return int(last) if last.isdigit() else None


# --------------------------------------------------------------------------- scripts


def _script(snapshot: Snapshot, path: str, facts: LegacyFacts) -> None:
    text = snapshot.require(path)
    facts.files.append(path)
    procfile = path.rsplit("/", 1)[-1] == "Procfile"
    for number, line in logical_lines(text):
        if procfile:
            line = line.partition(":")[2]
        if CASE_PATTERN.match(line):
            line = CASE_PATTERN.sub("", line, count=1)  # `gunicorn|uvicorn)` selects, it runs nothing
        for command in split_commands(line):
            if command.words:
                facts.commands.append(Command(tuple(command.words), Evidence(path, number, line.strip()[:120])))
                if command.program == "mkdir":
                    for word in command.words[1:]:
                        if word.startswith("/"):
                            facts.mkdirs.setdefault(posixpath.normpath(word), Evidence(path, number, line.strip()))


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with the number of its first line."""
    out: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        if raw.rstrip().endswith("\\"):
            buffer += raw.rstrip()[:-1] + " "
            continue
        out.append((start, buffer + raw))
        buffer = ""
    if buffer:
        out.append((start, buffer))
    return out


def _env_file(snapshot: Snapshot, path: str, facts: LegacyFacts) -> None:
    text = snapshot.text(path) or ""
    facts.files.append(path)
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name = line.partition("=")[0].removeprefix("export ").strip()
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            facts.env_names.setdefault(name, Evidence(path, number, name))  # the value is never kept


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Services:
    web: Command | None
    worker: Command | None
    beat: Command | None
    flower: Command | None
    migrates: Command | None  # `manage.py migrate` before a server starts


def classify_commands(commands: list[Command]) -> Services:
    web = worker = beat = flower = migrates = None
    runserver = None
    for command in commands:
        argv = list(command.argv)
        while argv and argv[0] in SHELL_KEYWORDS:
            argv.pop(0)
        if not argv or argv[0].endswith(")"):  # a `case` pattern, not a command
            continue
        command = Command(tuple(argv), command.evidence)
        simple = SimpleCommand(argv)
        program = simple.program
        args = celery_args(simple)
        if args is not None:
            sub = celery_subcommand(args)
            if sub == "worker" and worker is None:
                worker = command
            elif sub == "beat" and beat is None:
                beat = command
            elif sub == "flower" and flower is None:
                flower = command
            continue
        if program in ("gunicorn", "uvicorn", "daphne") and web is None and len(argv) > 1:
            web = command
        if "manage.py" in (posixpath.basename(w) for w in command.argv):
            if "migrate" in command.argv and migrates is None:
                migrates = command
            if "runserver" in command.argv and runserver is None:
                runserver = command
    return Services(web or runserver, worker, beat, flower, migrates)
