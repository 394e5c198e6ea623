"""Read a compose file with PyYAML, keeping the line of every key so findings can point at it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dockyard.core.errors import ConfigError
from dockyard.core.files import read_text


class ComposeError(ConfigError):
    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.detail = message


class LineDict(dict):
    """A mapping that knows its own line and the line of each key (1-based)."""

    line: int = 1
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line: int = 1
    item_lines: list[int]


# The C parser when PyYAML has it (marks and custom constructors work the same), else pure Python.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


@dataclass
class BuildSpec:
    context: Path
    dockerfile: Path
    target: str | None
    args: dict[str, str]
    line: int
    target_line: int
    dockerfile_line: int


@dataclass
class Dependency:
    service: str
    condition: str | None  # None: the short (list) form, which waits only for the start
    line: int


@dataclass(frozen=True)
class EnvEntry:
    """One `environment:` entry as written (before interpolation), with its line."""

    name: str
    raw: str | None  # None: `- NAME` / `NAME:` (taken from the shell)
    line: int


@dataclass
class Service:
    name: str
    line: int
    data: LineDict
    build: BuildSpec | None = None
    image: str | None = None
    command: str | list[str] | None = None
    entrypoint: str | list[str] | None = None
    healthcheck: dict[str, Any] | None = None
    depends_on: list[Dependency] = field(default_factory=list)
    has_ports: bool = False
    replicas: int = 1
    user: str | None = None  # `user:` overrides the image's USER
    profiles: list[str] = field(default_factory=list)  # only started when one is enabled
    environment: list[EnvEntry] = field(default_factory=list)
    bind_mounts: list[str] = field(default_factory=list)  # host paths of `volumes:` binds, as written

    def line_of(self, key: str) -> int:
        return self.data.line_of(key)

    @property
    def healthcheck_disabled(self) -> bool:
        if not self.healthcheck:
            return False
        test = self.healthcheck.get("test")
        return bool(self.healthcheck.get("disable")) or test == ["NONE"] or test == "NONE"


@dataclass
class ComposeFile:
    path: Path
    lines: list[str]
    services: dict[str, Service]
    networks: dict[str, bool] = field(default_factory=dict)  # top-level networks -> external?
    volumes: dict[str, bool] = field(default_factory=dict)  # top-level volumes -> external?

    def builders_of(self, image: str) -> list[Service]:
        """Services of this file that build `image` (`build:` together with `image:`)."""
        return [s for s in self.services.values() if s.build is not None and s.image and same_image(s.image, image)]

    @property
    def development(self) -> str | None:
        """Why this file is a development (or test) stack and not a deployment; None if it is not."""
        return development_reason(self)


def same_image(a: str, b: str) -> bool:
    """Two references to one image: the same repository and tag (no tag means `latest`)."""
    return _split_ref(a) == _split_ref(b)


def _split_ref(ref: str) -> tuple[str, str]:
    ref = ref.split("@", 1)[0]
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon].removeprefix("docker.io/").removeprefix("library/"), ref[colon + 1 :]
    return ref.removeprefix("docker.io/").removeprefix("library/"), "latest"


# Compose files whose name says what they are for: a developer's machine, CI, a test run.
_DEV_WORDS = {"local", "dev", "develop", "development", "override", "debug", "test", "tests", "testing", "ci", "e2e"}
_PROD_WORDS = {"prod", "production", "deploy", "release", "live", "swarm", "stack"}
_TRUE = {"1", "true", "yes", "on"}


def _name_words(path: Path) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", path.name.lower())) - {""}


def development_reason(compose: ComposeFile) -> str | None:
    """Why `compose` is a development or test stack, from what it does, not from its comments:
    its name (local, dev, override, test...), a production sibling (compose.prod.yaml beside
    compose.yaml), a service that mounts the source over the image, Django's runserver, or DEBUG on."""
    words = _name_words(compose.path)
    if words & _DEV_WORDS:
        return f"its name says {sorted(words & _DEV_WORDS)[0]}"
    if not words & _PROD_WORDS:
        try:
            siblings = [p for p in compose.path.parent.iterdir() if p != compose.path and _is_compose_name(p)]
        except OSError:
            siblings = []
        production = [p for p in siblings if _name_words(p) & _PROD_WORDS]
        if production:
            return f"{production[0].name} beside it is the production file"
    for service in compose.services.values():
        if service.build is not None:
            context = service.build.context.resolve()
            for host in service.bind_mounts:
                source = (compose.path.parent / interpolate(host)).resolve()
                if source == context or source in context.parents:
                    return f"service '{service.name}' mounts the source ({host}) over the image"
        for command in (service.command, service.entrypoint):
            words_of = command if isinstance(command, list) else str(command or "").split()
            if "runserver" in words_of and any("manage.py" in w or w == "django-admin" for w in words_of):
                return f"service '{service.name}' runs Django's development server"
        for entry in service.environment:
            if entry.name.upper() in ("DEBUG", "DJANGO_DEBUG") and interpolate(entry.raw or "").lower() in _TRUE:
                return f"service '{service.name}' sets {entry.name}={entry.raw}"
    return None


def _is_compose_name(path: Path) -> bool:
    name = path.name
    prefixes = ("docker-compose", "compose", "docker-stack", "stack")
    return path.suffix in (".yml", ".yaml") and name.startswith(prefixes)


def load_compose(path: Path) -> ComposeFile:
    text = read_text(path)
    return parse_compose(text, path)


def parse_compose(text: str, path: Path) -> ComposeFile:
    """A compose file from its text; `path` names it in messages and anchors relative build contexts."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ComposeError(path, line, f"not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise ComposeError(path, 1, "no services: mapping")
    services = {}
    for name, body in data["services"].items():
        if not isinstance(body, LineDict):
            raise ComposeError(path, data["services"].line_of(name), f"service {name} must be a mapping")
        services[str(name)] = _service(path, str(name), body, data["services"].line_of(name))
    return ComposeFile(
        path=path,
        lines=text.splitlines(),
        services=services,
        networks=_top_level(data.get("networks")),
        volumes=_top_level(data.get("volumes")),
    )


def _top_level(section: Any) -> dict[str, bool]:
    """Names of a top-level `networks:`/`volumes:` mapping -> whether each is `external`."""
    if not isinstance(section, dict):
        return {}
    return {str(name): isinstance(body, dict) and bool(body.get("external")) for name, body in section.items()}


def _service(path: Path, name: str, body: LineDict, line: int) -> Service:
    service = Service(name=name, line=line, data=body)
    if "build" in body and _local_build(body["build"]):
        service.build = _build(path, body["build"], body.line_of("build"))
    if isinstance(body.get("image"), str):
        service.image = interpolate(body["image"])
    for key in ("command", "entrypoint"):
        value = body.get(key)
        if isinstance(value, str):
            setattr(service, key, interpolate(value))
        elif isinstance(value, list):
            setattr(service, key, [interpolate(str(v)) for v in value])
    if isinstance(body.get("healthcheck"), dict):
        service.healthcheck = dict(body["healthcheck"])
    depends = body.get("depends_on")
    if isinstance(depends, LineList):
        service.depends_on = [Dependency(str(d), None, ln) for d, ln in zip(depends, depends.item_lines, strict=False)]
    elif isinstance(depends, LineDict):
        for dep, spec in depends.items():
            condition = spec.get("condition", "service_started") if isinstance(spec, dict) else None
            service.depends_on.append(Dependency(str(dep), condition, depends.line_of(dep)))
    service.has_ports = bool(body.get("ports") or body.get("expose"))
    if body.get("user") is not None:
        service.user = interpolate(str(body["user"]))
    profiles = body.get("profiles")
    if isinstance(profiles, list):
        service.profiles = [str(p) for p in profiles]
    service.environment = _environment(body.get("environment"), body.line_of("environment"))
    for volume in body.get("volumes") or []:
        if isinstance(volume, str) and ":" in volume:
            host = volume.split(":", 1)[0]
            if host.startswith((".", "/", "~", "$")):
                service.bind_mounts.append(host)
        elif isinstance(volume, dict) and volume.get("type") == "bind" and volume.get("source"):
            service.bind_mounts.append(str(volume["source"]))
    deploy = body.get("deploy")
    replicas = deploy.get("replicas") if isinstance(deploy, dict) else None
    replicas = replicas if replicas is not None else body.get("scale")
    try:
        service.replicas = int(interpolate(str(replicas))) if replicas is not None else 1
    except ValueError:
        service.replicas = 1
    return service


def _environment(value: Any, line: int) -> list[EnvEntry]:
    """`environment:` as a mapping (merge keys flattened) or a list of NAME=value."""
    entries = []
    if isinstance(value, LineDict):
        for name, raw in value.items():
            entries.append(EnvEntry(str(name), None if raw is None else str(raw), value.line_of(name)))
    elif isinstance(value, LineList):
        for item, item_line in zip(value, value.item_lines, strict=False):
            name, sep, raw = str(item).partition("=")
            entries.append(EnvEntry(name, raw if sep else None, item_line))
    elif isinstance(value, dict):
        entries = [EnvEntry(str(k), None if v is None else str(v), line) for k, v in value.items()]
    return entries


def _local_build(build: Any) -> bool:
    """A build from a local directory and Dockerfile (not a git URL, not dockerfile_inline)."""
    context = build if isinstance(build, str) else str(build.get("context", ".")) if isinstance(build, dict) else ""
    inline = isinstance(build, dict) and build.get("dockerfile_inline") is not None
    return "://" not in context and not context.startswith("git@") and not inline


def _build(path: Path, build: Any, line: int) -> BuildSpec:
    base = path.parent
    if isinstance(build, str):
        context = base / interpolate(build)
        return BuildSpec(context, context / "Dockerfile", None, {}, line, line, line)
    if not isinstance(build, LineDict):
        raise ComposeError(path, line, "build must be a path or a mapping")
    context = base / interpolate(str(build.get("context", ".")))
    dockerfile = context / interpolate(str(build.get("dockerfile", "Dockerfile")))
    args_raw = build.get("args") or {}
    if isinstance(args_raw, list):
        args = dict(str(a).partition("=")[::2] for a in args_raw)
    else:
        args = {str(k): interpolate(str(v)) for k, v in args_raw.items() if v is not None}
    target = build.get("target")
    return BuildSpec(
        context=context,
        dockerfile=dockerfile,
        target=interpolate(str(target)).lower() if target is not None else None,
        args=args,
        line=line,
        target_line=build.line_of("target"),
        dockerfile_line=build.line_of("dockerfile"),
    )


_COMPOSE_VAR = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<word>[^}]*))?\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


def interpolate(text: str, env: dict[str, str] | None = None) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$$` (from the environment)."""
    env = os.environ if env is None else env

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        value = env.get(name)
        op, word = match.group("op"), match.group("word") or ""
        if op in (":-", "-"):
            return value if (value if op == ":-" else value is not None) else word
        if op in (":+", "+"):
            return word if (value if op == ":+" else value is not None) else ""
        return value or ""

    return _COMPOSE_VAR.sub(one, text)


def service_environment(service: Service, env: dict[str, str] | None = None) -> dict[str, str]:
    """A service's `environment:` (mapping or `KEY=VALUE` list form), interpolated; a key without a
    value takes it from `env` (the process environment) as compose does, or is left out."""
    raw = service.data.get("environment")
    source = os.environ if env is None else env
    pairs: list[tuple[str, Any]] = []
    if isinstance(raw, dict):
        pairs = [(str(k), v) for k, v in raw.items()]
    elif isinstance(raw, list):
        for item in raw:
            key, sep, value = str(item).partition("=")
            pairs.append((key, value if sep else None))
    out = {}
    for key, value in pairs:
        if value is None:
            if key in source:
                out[key] = source[key]
            continue
        text = "true" if value is True else "false" if value is False else str(value)
        out[key] = interpolate(text, dict(source))
    return out
