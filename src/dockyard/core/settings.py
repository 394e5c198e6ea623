"""`[tool.dockyard]` as typed settings: one schema for every table, validated once when loaded.

Each table is a frozen dataclass whose fields carry their own rule (`kind`, range, choices) in
the field metadata, so the defaults, the types and the error messages live in one place. A
wrong type, an unknown key or an out-of-range value raises ConfigError naming the full key:

    [tool.dockyard.prune] keep_tags must be a list of strings, got "latest"

`[tool.dockyard.services]` is the one table of the site's services: for each, the bake target
that builds it, the image repository it is tagged in, the CapRover app it is deployed to and
its role. Build, test, checks, deploy, rollback and prune read their names from it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from dockyard.core.errors import ConfigError

TOOL = "[tool.dockyard]"

# A service's role says what it is; checks and test messages take their defaults from it.
ROLES = ("web", "worker", "flower", "test", "database", "broker", "service")
ROLE_WORDS = {
    "web": "web server",
    "worker": "worker",
    "flower": "monitor",
    "test": "test image",
    "database": "database",
    "broker": "broker",
    "service": "service",
}


# --------------------------------------------------------------------------- field kinds


def _key(kind: str, default: Any, **rule: Any) -> Any:
    """A dataclass field with its validation rule: kind, and optionally minimum/positive/choices."""
    if isinstance(default, list | tuple):
        value = tuple(default)
        return field(default=value, metadata={"kind": kind, **rule})
    if isinstance(default, dict):
        frozen = MappingProxyType(dict(default))
        return field(default_factory=lambda: frozen, metadata={"kind": kind, **rule})
    return field(default=default, metadata={"kind": kind, **rule})


def text(default: str | None) -> Any:
    return _key("str", default)


def integer(default: int | None, minimum: int | None = None) -> Any:
    return _key("int", default, minimum=minimum)


def number(default: float | None, minimum: float | None = None, positive: bool = False) -> Any:
    return _key("number", default, minimum=minimum, positive=positive)


def flag(default: bool) -> Any:
    return _key("bool", default)


def strings(default: tuple[str, ...] | list[str]) -> Any:
    return _key("strings", default)


def string_table(default: dict[str, str]) -> Any:
    return _key("str_table", default)


def choice(default: str, options: tuple[str, ...]) -> Any:
    return _key("choice", default, choices=options)


def toml_repr(value: Any) -> str:
    """A value as it would be written in pyproject.toml, for error messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_repr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_repr(v)}" for k, v in value.items()) + "}"
    return str(value)


def _check(where: str, name: str, value: Any, meta: Mapping[str, Any]) -> Any:
    """`value` converted to the field's type (lists to tuples), or ConfigError naming the key."""
    kind = meta["kind"]

    def wrong(expected: str) -> ConfigError:
        return ConfigError(f"{where} {name} must be {expected}, got {toml_repr(value)}")

    if kind == "str":
        if not isinstance(value, str):
            raise wrong("a string")
        return value
    if kind == "choice":
        options = meta["choices"]
        if not isinstance(value, str) or value not in options:
            raise wrong("one of " + ", ".join(options))
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if kind in ("int", "number"):
        numeric = (int,) if kind == "int" else (int, float)
        if isinstance(value, bool) or not isinstance(value, numeric):
            raise wrong("an integer" if kind == "int" else "a number")
        if meta.get("positive") and value <= 0:
            raise wrong("a positive number")
        minimum = meta.get("minimum")
        if minimum is not None and value < minimum:
            raise wrong(f"{'an integer' if kind == 'int' else 'a number'} >= {minimum:g}")
        return value
    if kind == "strings":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise wrong("a list of strings")
        return tuple(value)
    if kind == "str_table":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise wrong("a table of strings")
        return MappingProxyType({str(k): v for k, v in value.items()})
    raise AssertionError(f"unknown field kind {kind}")  # pragma: no cover - a schema mistake


def _as_table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table, got {toml_repr(value)}")
    return value


def read_table(
    cls: type, raw: Any, where: str, moved: Mapping[str, str] | None = None, tables: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The validated keyword arguments of `cls` from the TOML table `raw` (unknown keys refused;
    `tables` names the sub-tables read elsewhere, for the message)."""
    table = _as_table(raw, where)
    fields = {f.name: f for f in dataclasses.fields(cls) if "kind" in f.metadata}
    values: dict[str, Any] = {}
    for name, value in table.items():
        if moved and name in moved:
            raise ConfigError(f"{where} {name} has moved: {moved[name]}")
        if name not in fields:
            known = ", ".join([*fields, *tables]) or "none"
            raise ConfigError(f"{where} has no key {name!r} (known: {known})")
        values[name] = _check(where, name, value, fields[name].metadata)
    return values


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class ServiceSettings:
    """`[tool.dockyard.services.NAME]`: one service of the site."""

    name: str
    target: str | None = text(None)  # the bake target that builds it (None: not built here)
    image: str | None = text(None)  # its image repository, without a tag
    app: str | None = text(None)  # the CapRover app it is deployed to
    role: str = choice("service", ROLES)

    def image_ref(self, tag: str) -> str | None:
        return f"{self.image}:{tag}" if self.image else None


# The card's layout: one web and one worker service, flower, the test image, and the two
# services the compose test stack runs beside them.
DEFAULT_SERVICES = (
    ServiceSettings("web", "web", "dockyard.local/refsite-web", "refsite-web", "web"),
    ServiceSettings("celery-unified", "celery-unified", "dockyard.local/refsite-celery", "refsite-celery", "worker"),
    ServiceSettings("flower", "flower", "dockyard.local/refsite-flower", None, "flower"),
    ServiceSettings("test", "test", None, None, "test"),
    ServiceSettings("postgres", None, None, None, "database"),
    ServiceSettings("redis", None, None, None, "broker"),
)


@dataclass(frozen=True)
class CapRoverSettings:
    """`[tool.dockyard.caprover]`: the server, its timeouts and the deploy history (docs/rollback.md)."""

    url: str = text("")
    token_file: str = text("")
    timeout: float = number(30, positive=True)  # seconds for a detached deploy request
    wait_timeout: float = number(600, positive=True)  # seconds for --wait
    history_file: str = text(".dockyard/deploy-history.jsonl")
    # the admin password for CapRover's version history (CAPROVER_PASSWORD / CAPROVER_PASSWORD_FILE win);
    # a file holding it, never the password itself
    password_file: str = text("")


@dataclass(frozen=True)
class RegistrySettings:
    """`[tool.dockyard.registry]`: where `invoke push` puts the SHA-tagged images (docs/stage.md)."""

    url: str = text("127.0.0.1:5000")  # host:port (or http(s)://host:port); DOCKYARD_REGISTRY wins
    namespace: str = text("")  # a path under the registry: 127.0.0.1:5000/NAMESPACE/refsite-web
    timeout: float = number(10, positive=True)  # seconds for one request to the registry
    cache: bool = flag(False)  # every build.* takes its cache from the registry (--cache-from-registry)
    cache_tag: str = text("latest")  # the moving tag push also writes and builds take cache from ("": none)


@dataclass(frozen=True)
class StageSettings:
    """`[tool.dockyard.stage]`: the local Swarm stage shaped like CapRover (docs/stage.md)."""

    name: str = text("dockyard-stage")  # prefix of its Swarm services, network and proxy container
    port: int = integer(0, minimum=0)  # the proxy's port on 127.0.0.1 (0: a free one)
    proxy_image: str = text("dockyard-local/nginx:1.22")
    web_port: int = integer(80, minimum=1)  # where the web service listens in its container
    web_replicas: int = integer(2, minimum=1)
    # Swarm's update: how long a new task is watched before the update counts as done
    update_monitor: float = number(15, positive=True)
    # web's health timings (the image's test is kept): a never-healthy task is refused after about
    # start_period + retries x interval
    health_start_period: float = number(30, minimum=0)
    health_interval: float = number(5, positive=True)
    health_timeout: float = number(3, positive=True)
    health_retries: int = integer(3, minimum=1)
    stop_grace_period: float = number(20, minimum=0)  # web: in-flight requests finish on SIGTERM
    worker_stop_grace_period: float = number(30, minimum=0)  # worker: the running task finishes
    timeout: float = number(240, positive=True)  # seconds for the stage to come up, or an update to end
    requests: int = integer(500, minimum=1)  # test.zero-downtime: at least this many per step
    max_seconds: float = number(300, positive=True)  # test.zero-downtime: at most this long per step
    probe_path: str = text("/")  # what test.zero-downtime requests through the proxy
    # the rows a periodic task writes (Django "app_label.Model", "" for no check), their time field
    # and the schedule's interval: test.zero-downtime reads them to show beat survived the updates
    heartbeat_model: str = text("core.Heartbeat")
    heartbeat_time_field: str = text("created_at")
    heartbeat_seconds: float = number(10, positive=True)


@dataclass(frozen=True)
class PruneSettings:
    """`[tool.dockyard.prune]`."""

    keep_tags: tuple[str, ...] = strings(["latest"])  # tags `prune --images` never removes


@dataclass(frozen=True)
class TestSettings:
    """`[tool.dockyard.test]`: what `invoke test.*` runs (docs/testing.md)."""

    web_image: str | None = text(None)  # default: the web service's image, tag latest
    celery_image: str | None = text(None)  # default: the worker service's image, tag latest
    postgres_image: str = text("postgres:15")
    local_postgres_image: str = text("dockyard-local/postgres:15")
    redis_image: str = text("redis:7")
    local_redis_image: str = text("dockyard-local/redis:7")
    timeout: float = number(240, positive=True)  # seconds for the stack to come up healthy
    runtime_group: str = text("production")  # the bake group whose images test.security checks


@dataclass(frozen=True)
class TroubleshootSettings:
    """`[tool.dockyard.troubleshoot]` (docs/troubleshooting.md)."""

    writable_paths: tuple[str, ...] = strings(["/data", "/tmp"])  # the runtime user must write here
    code_dir: str = text("/code")
    log_lines: int = integer(30, minimum=1)
    top_layers: int = integer(12, minimum=1)
    top_paths: int = integer(12, minimum=1)
    min_waste_bytes: int = integer(1_000_000, minimum=0)  # smaller waste is not worth a finding
    min_cache_bytes: int = integer(1_000_000, minimum=0)


@dataclass(frozen=True)
class LintSettings:
    """`[tool.dockyard.lint]` (docs/lint-rules.md)."""

    # rule ids (DY004), rule names (npm-dev-dependencies) or hadolint codes (DL3008) to switch off
    disable: tuple[str, ...] = strings([])
    # opt-in rules (DY009) and hadolint codes outside the recommended list to switch on
    enable: tuple[str, ...] = strings([])
    # bake targets / compose services (or their stages) that never run in production
    ephemeral: tuple[str, ...] = strings(["test"])
    # name the runtime stages yourself instead of deriving them from bake and compose
    runtime_stages: tuple[str, ...] = strings([])
    # The project's policies (warnings). uid: the uid every image must run as; unset, any fixed
    # non-root uid passes (`dockyard init` writes the card's 1000).
    uid: int | None = integer(None, minimum=1)
    npm_omit_dev: bool = flag(True)  # devDependencies must not reach a shipped image (the card's --omit=dev)
    strict: bool = flag(False)  # warnings fail the run too (as `--strict` does)
    hadolint: bool = flag(True)  # run hadolint beside the rules when it is installed
    # recommended: only the hadolint rules that earn their place (docs/lint-rules.md); all: every one
    hadolint_rules: str = choice("recommended", ("recommended", "all"))
    # DL3008 wants every apt package pinned, which breaks the build at each security update
    hadolint_ignore: tuple[str, ...] = strings(["DL3008"])
    hadolint_threshold: str = choice("warning", ("error", "warning", "info", "style"))
    bake_parser: str = choice("auto", ("auto", "buildx", "hcl2"))  # buildx when installed, else hcl2


@dataclass(frozen=True)
class BenchSettings:
    """`[tool.dockyard.bench]` (docs/performance.md)."""

    out_dir: str = text("bench/results")
    edits: Mapping[str, str] = string_table({})  # kind -> file, over dockyard.bench.edits.DEFAULT_EDITS
    settle_seconds: float = number(10, positive=True)  # idle: this long after both services are healthy
    memory_samples: int = integer(5, minimum=1)  # rounds of `docker stats`, one second apart
    startup_timeout: float = number(180, positive=True)  # give up waiting for healthy after this long
    projects: tuple[str, ...] = strings([])  # other projects measured too (directories with a pyproject.toml)


# --------------------------------------------------------------------------- image checks

CHECK_NAMES = (
    "non_root",
    "healthcheck",
    "image_size",
    "shared_layers",
    "node_modules",
    "no_secrets",
    "healthy",
    "probe_fits",
    "idle_memory",
    "celery_starts",
)
CHECK_SERVICES = ("redis", "postgres")  # what a target's container may need beside it
_RUNTIME_CHECKS = ("non_root", "healthcheck", "image_size", "no_secrets", "healthy", "probe_fits", "idle_memory")
# Which budget each check needs; a target running the check without it is a configuration error.
REQUIRED_KEYS = {"image_size": "image_size_mb", "idle_memory": "idle_memory_mb", "shared_layers": "shares_layers_with"}


@dataclass(frozen=True)
class TargetChecks:
    """One target's image checks and budgets (`[tool.dockyard.checks]` and its tables; docs/checks.md).

    Each key may be set for every target in `[tool.dockyard.checks]` and for one target in
    `[tool.dockyard.checks.TARGET]`; what is not set comes from the target's role, then here.
    """

    target: str = ""
    # Card, 40-minute checklist 1: `docker run --rm IMAGE id` -> "should show uid=1000(app)".
    uid: int = integer(1000, minimum=0)
    # Card, Success Metrics: "Startup time: <60s per service" (container start to healthy).
    startup_seconds: float = number(60, minimum=0)
    # Idle means: this long after the container turned healthy (or gave up), then sampled.
    settle_seconds: float = number(5, minimum=0)
    # Card, checklist 3: `du -sh /code/node_modules` -> "should show ~5MB"; 8 MB is "about 5".
    node_modules_path: str = text("/code/node_modules")
    node_modules_mb: float = number(8, minimum=0)
    # Card, "Security": secrets must not ship in images. Where files are looked for:
    secret_paths: tuple[str, ...] = strings(["/code", "/data", "/root", "/home"])
    allow_env: tuple[str, ...] = strings([])  # ENV names that look secret but are not
    allow_files: tuple[str, ...] = strings([])  # glob patterns of image paths that look secret but are not
    celery_app: str = text("config.celery")
    needs: tuple[str, ...] = strings([])  # services the target's container needs: redis, postgres
    environment: Mapping[str, str] = string_table({})  # extra environment for the target's container
    redis_image: str = text("dockyard-local/redis:7")
    postgres_image: str = text("dockyard-local/postgres:15")
    # Card, Performance: "First pull: ~1.1GB (web) + 50MB (celery shared layers)".
    shares_layers_with: str | None = text(None)  # the target whose image this one is built on
    own_layers_mb: float = number(50, minimum=0)
    image_size_mb: float | None = number(None, minimum=0)
    idle_memory_mb: float | None = number(None, minimum=0)
    checks: tuple[str, ...] = strings(["non_root", "healthcheck", "no_secrets"])
    skip: tuple[str, ...] = strings([])


def _role_checks(role: str | None, web_target: str | None) -> dict[str, Any]:
    """Defaults by role. Card, "Image Targets": web ~1.1GB, celery-unified ~1.1GB, flower
    (runtime-minimal) ~300MB; Success Metrics: "Memory usage: ~750MB idle" for web + worker,
    split 400 + 350; flower gets its own 200 MB."""
    if role == "web":
        return {"checks": (*_RUNTIME_CHECKS, "node_modules"), "image_size_mb": 1100, "idle_memory_mb": 400}
    if role == "worker":
        checks = (*_RUNTIME_CHECKS, "node_modules", "shared_layers", "celery_starts")
        if web_target is None:
            checks = tuple(c for c in checks if c != "shared_layers")
        return {
            "checks": checks,
            "image_size_mb": 1100,
            "idle_memory_mb": 350,
            "shares_layers_with": web_target,
            "needs": ("redis", "postgres"),  # card: "Test celery unified (needs Redis + PostgreSQL)"
        }
    if role == "flower":
        return {"checks": _RUNTIME_CHECKS, "image_size_mb": 300, "idle_memory_mb": 200, "needs": ("redis",)}
    if role == "test":  # ephemeral CI image: it still must not run as root or carry secrets
        return {"checks": ("non_root", "no_secrets")}
    return {}


@dataclass(frozen=True)
class ChecksSettings:
    """`[tool.dockyard.checks]`: which targets `nox -s images` checks and each one's settings."""

    targets: tuple[str, ...]
    top: Mapping[str, Any]  # validated keys of [tool.dockyard.checks] (all targets)
    tables: Mapping[str, Mapping[str, Any]]  # validated [tool.dockyard.checks.TARGET] tables
    roles: Mapping[str, str]  # bake target -> role, from the services
    web_target: str | None = None

    def for_target(self, target: str) -> TargetChecks:
        """Defaults, then the target's role, then [tool.dockyard.checks], then its own table."""
        merged: dict[str, Any] = dict(_role_checks(self.roles.get(target), self.web_target))
        merged.update(self.top)
        merged.update(self.tables.get(target, {}))
        skipped = merged.get("skip", ())
        merged["checks"] = tuple(c for c in merged.get("checks", TargetChecks.checks) if c not in skipped)
        merged["target"] = target
        settings = TargetChecks(**merged)
        for check in settings.checks:
            key = REQUIRED_KEYS.get(check)
            if key and getattr(settings, key) in (None, ""):
                raise ConfigError(
                    f"check '{check}' of target '{target}' needs `{key}` in [tool.dockyard.checks.{target}]"
                )
        return settings

    def service_images(self) -> dict[str, str]:
        """The images of the services the checks start (redis, postgres)."""
        base = TargetChecks(**{k: v for k, v in self.top.items() if k in ("redis_image", "postgres_image")})
        return {"redis": base.redis_image, "postgres": base.postgres_image}


def _check_names(where: str, key: str, names: tuple[str, ...], known: tuple[str, ...], what: str) -> None:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(f"{where} {key}: unknown {what} {unknown[0]!r} (known: {', '.join(known)})")


def _target_checks_table(raw: Any, where: str) -> dict[str, Any]:
    values = read_table(TargetChecks, raw, where)
    for key in ("checks", "skip"):
        if key in values:
            _check_names(where, key, values[key], CHECK_NAMES, "check")
    if "needs" in values:
        _check_names(where, "needs", values["needs"], CHECK_SERVICES, "service")
    return values


def checks_settings(raw: Any, services: Mapping[str, ServiceSettings]) -> ChecksSettings:
    where = "[tool.dockyard.checks]"
    table = _as_table(raw, where)
    targets_value = table.get("targets")
    top_raw = {k: v for k, v in table.items() if k != "targets" and (not isinstance(v, dict) or k == "environment")}
    tables_raw = {k: v for k, v in table.items() if isinstance(v, dict) and k != "environment"}
    top = _target_checks_table(top_raw, where)
    tables = {name: _target_checks_table(t, f"[tool.dockyard.checks.{name}]") for name, t in tables_raw.items()}
    built = tuple(s.target for s in services.values() if s.target)
    if targets_value is None:
        targets = built
    else:
        if (
            not isinstance(targets_value, list)
            or not targets_value
            or not all(isinstance(t, str) for t in targets_value)
        ):
            raise ConfigError(
                f"{where} targets must be a non-empty list of bake targets, got {toml_repr(targets_value)}"
            )
        targets = tuple(targets_value)
    roles = {s.target: s.role for s in services.values() if s.target}
    web = next((s.target for s in services.values() if s.role == "web" and s.target), None)
    settings = ChecksSettings(targets=targets, top=top, tables=tables, roles=roles, web_target=web)
    for target in dict.fromkeys([*targets, *tables]):
        settings.for_target(target)  # every target's merge is checked now, not halfway through a run
    return settings


# --------------------------------------------------------------------------- [tool.dockyard]


@dataclass(frozen=True)
class Settings:
    """All of `[tool.dockyard]`."""

    bake_file: str = text("deployment/docker-bake.multistage.hcl")
    dockerfile: str = text("deployment/Dockerfile.multistage")
    compose_file: str = text("deployment/docker-compose.test.yml")
    # Used as-is when present locally or pullable; else the locally bootstrapped stand-in.
    base_image: str = text("python:3.11-slim-bookworm")
    local_base_image: str = text("dockyard-local/python:3.11-bookworm")
    # "auto": the system CA bundle when it exists; a path; "" for none ($DOCKYARD_CA_CERTS wins)
    ca_certs: str = text("auto")
    services: Mapping[str, ServiceSettings] = field(
        default_factory=lambda: MappingProxyType({s.name: s for s in DEFAULT_SERVICES})
    )
    caprover: CapRoverSettings = field(default_factory=CapRoverSettings)
    registry: RegistrySettings = field(default_factory=RegistrySettings)
    stage: StageSettings = field(default_factory=StageSettings)
    prune: PruneSettings = field(default_factory=PruneSettings)
    test: TestSettings = field(default_factory=TestSettings)
    troubleshoot: TroubleshootSettings = field(default_factory=TroubleshootSettings)
    lint: LintSettings = field(default_factory=LintSettings)
    bench: BenchSettings = field(default_factory=BenchSettings)
    checks: ChecksSettings = None  # type: ignore[assignment]  # set from the services in __post_init__

    def __post_init__(self) -> None:
        if self.checks is None:
            object.__setattr__(self, "checks", checks_settings({}, self.services))

    # ----------------------------------------------------------------- services

    def service(self, name: str) -> ServiceSettings:
        try:
            return self.services[name]
        except KeyError:
            known = ", ".join(self.services) or "none"
            raise ConfigError(
                f"no service {name!r} in [tool.dockyard.services] (known: {known})"
            ) from None

    def apps(self) -> dict[str, str]:
        """Service -> CapRover app, for the services that are deployed."""
        return {name: s.app for name, s in self.services.items() if s.app}

    def image_repositories(self) -> dict[str, str]:
        """Service -> image repository, for the services dockyard builds images of."""
        return {name: s.image for name, s in self.services.items() if s.image}

    def image_for_role(self, role: str, tag: str = "latest") -> str | None:
        """The image (with `tag`) of the first service with `role`, e.g. the web image."""
        for service in self.services.values():
            if service.role == role and service.image:
                return service.image_ref(tag)
        return None

    def role_of(self, service: str) -> str:
        found = self.services.get(service)
        return found.role if found is not None else "service"

    @property
    def test_web_image(self) -> str | None:
        return self.test.web_image or self.image_for_role("web")

    @property
    def test_celery_image(self) -> str | None:
        return self.test.celery_image or self.image_for_role("worker")


_TABLES = {
    "caprover": CapRoverSettings,
    "registry": RegistrySettings,
    "stage": StageSettings,
    "prune": PruneSettings,
    "test": TestSettings,
    "troubleshoot": TroubleshootSettings,
    "lint": LintSettings,
    "bench": BenchSettings,
}
_MOVED = {
    "apps": "give each service its app in [tool.dockyard.services.NAME] app = \"...\"",
    "images": "give each service its image in [tool.dockyard.services.NAME] image = \"...\"",
}


def _services(raw: Any) -> Mapping[str, ServiceSettings]:
    table = _as_table(raw, "[tool.dockyard.services]")
    services = {}
    for name, body in table.items():
        where = f"[tool.dockyard.services.{name}]"
        services[name] = ServiceSettings(name=name, **read_table(ServiceSettings, body, where))
    return MappingProxyType(services)


def load_settings(config: Any) -> Settings:
    """Validate the whole `[tool.dockyard]` table (a dict from tomllib) once."""
    table = _as_table(config, TOOL)
    nested = {"services", "checks", *_TABLES}
    top = {k: v for k, v in table.items() if k not in nested}
    values: dict[str, Any] = read_table(Settings, top, TOOL, tables=tuple(sorted(nested)))
    if "services" in table:
        values["services"] = _services(table["services"])
    for name, cls in _TABLES.items():
        if name in table:
            moved = _MOVED if name == "caprover" else None
            values[name] = cls(**read_table(cls, table[name], f"[tool.dockyard.{name}]", moved))
    services = values.get("services", Settings().services)
    return Settings(**values, checks=checks_settings(table.get("checks", {}), services))
