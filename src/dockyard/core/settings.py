"""`[tool.dockyard]` as typed settings: one schema for every table, validated once when loaded.

Each table is a frozen dataclass whose fields carry their own rule (`kind`, range, choices) in
the field metadata, so the defaults, the types and the error messages live in one place. A
wrong type, an unknown key or an out-of-range value raises ConfigError naming the full key:

    [tool.dockyard.prune] keep_tags must be a list of strings, got "latest"

`[tool.dockyard.services]` is the one table of the site's services: for each, the bake target
that builds it, the image repository it is tagged in, the CapRover app it is deployed to, its
role (read from the compose file or the image's command when not given), and for the web
service its port, health path and healthy answer. With `[tool.dockyard.environment]` and
`[tool.dockyard.celery]` (the Celery app, the round-trip task, the heartbeat) they are the site's
contract: every task reads the site from here, never from the reference site's names.
"""

from __future__ import annotations

import dataclasses
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from dockyard.core.errors import ConfigError

TOOL = "[tool.dockyard]"

# A service's role says what it is; checks and test messages take their defaults from it.
# worker+beat is a worker with an embedded beat (`celery worker --beat`, the card's celery-unified);
# worker and beat are the card's legacy pair (`celery worker`, `celery beat`).
ROLES = ("web", "worker+beat", "worker", "beat", "flower", "test", "database", "broker", "service")
CELERY_ROLES = ("worker+beat", "worker", "beat")
ROLE_WORDS = {
    "web": "web server",
    "worker+beat": "worker (with beat)",
    "worker": "worker",
    "beat": "beat scheduler",
    "flower": "monitor",
    "test": "test image",
    "database": "database",
    "broker": "broker",
    "service": "service",
}

# The web service's answer, unless its [tool.dockyard.services.NAME] table says otherwise
# (the card: gunicorn on port 80, GET /health/ answers 200).
DEFAULT_WEB_PORT = 80
DEFAULT_HEALTH_PATH = "/health/"
DEFAULT_HEALTHY_STATUS = 200

# Placeholders an environment value may use; dockyard fills them from the postgres and redis
# containers it starts itself (test.web, test.celery, the image checks, bench) and the run.
DATABASE_PLACEHOLDERS = (
    "database_url",
    "postgres_host",
    "postgres_port",
    "postgres_db",
    "postgres_user",
    "postgres_password",
)
BROKER_PLACEHOLDERS = ("broker_url", "redis_url", "redis_host", "redis_port")
PLACEHOLDERS = (*DATABASE_PLACEHOLDERS, *BROKER_PLACEHOLDERS, "secret_key")


# --------------------------------------------------------------------------- field kinds


def _key(kind: str, default: Any, **rule: Any) -> Any:
    """A dataclass field with its validation rule: kind, and optionally minimum/positive/choices."""
    if kind == "value" and isinstance(default, list | dict):
        frozen_value = default
        return field(default_factory=lambda: frozen_value, metadata={"kind": kind, **rule})
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


def choice(default: str | None, options: tuple[str, ...]) -> Any:
    return _key("choice", default, choices=options)


def scalar_table(default: dict[str, Any]) -> Any:
    """A table of strings, numbers and booleans (e.g. JSON keys an answer must have)."""
    return _key("scalar_table", default)


def env_table(default: dict[str, str]) -> Any:
    """Environment variables: strings, which may use `{placeholders}` (PLACEHOLDERS)."""
    return _key("env_table", default)


def values(default: list[Any]) -> Any:
    """A list of any TOML values (a task's arguments)."""
    return _key("values", default)


def value(default: Any) -> Any:
    """Any TOML value (a task's expected result)."""
    return _key("value", default)


def table(default: dict[str, Any]) -> Any:
    """A table of any TOML values (a task's keyword arguments)."""
    return _key("table", default)


def placeholders(text: str) -> list[str]:
    """The `{name}` fields of a template (`{{` and `}}` are literal braces); ValueError when malformed."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def fill(text: str, values_: Mapping[str, str]) -> str:
    """`text` with its placeholders replaced (every one must be in `values_`)."""
    return text.format_map(dict(values_))


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
    if kind == "env_table":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise wrong('a table of strings (variable = "value")')
        for variable, text in value.items():
            _check_template(where, f"{name}.{variable}", text)
        return MappingProxyType({str(k): v for k, v in value.items()})
    if kind == "scalar_table":
        if not isinstance(value, dict) or not all(isinstance(v, str | int | float | bool) for v in value.values()):
            raise wrong("a table of strings, numbers or booleans")
        return MappingProxyType({str(k): v for k, v in value.items()})
    if kind == "values":
        if not isinstance(value, list):
            raise wrong("a list")
        return tuple(value)
    if kind == "table":
        if not isinstance(value, dict):
            raise wrong("a table")
        return MappingProxyType(dict(value))
    if kind == "value":
        return value
    raise AssertionError(f"unknown field kind {kind}")  # pragma: no cover - a schema mistake


def _check_template(where: str, key: str, text: str) -> None:
    """ConfigError naming the key when `text` uses an unknown or malformed placeholder."""
    try:
        names = placeholders(text)
    except ValueError as exc:
        raise ConfigError(
            f"{where} {key}: {exc} in {toml_repr(text)} (write {{{{ and }}}} for literal braces)"
        ) from None
    for name in names:
        if name not in PLACEHOLDERS:
            raise ConfigError(f"{where} {key}: unknown placeholder {{{name}}} (known: {', '.join(PLACEHOLDERS)})")


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
    """`[tool.dockyard.services.NAME]`: one service of the site (NAME: its compose service, if any)."""

    name: str
    target: str | None = text(None)  # the bake target that builds it (None: not built here)
    image: str | None = text(None)  # its image repository, without a tag
    app: str | None = text(None)  # the CapRover app it is deployed to
    # None: read from the compose file (its command, its image) or the image's own command
    role: str | None = choice(None, ROLES)
    # The web service: the port its container listens on, the path that tells whether it is
    # healthy, and what a healthy answer is (status; a text it contains; JSON keys it has).
    port: int | None = integer(None, minimum=1)  # default DEFAULT_WEB_PORT
    health_path: str | None = text(None)  # default DEFAULT_HEALTH_PATH
    healthy_status: int | None = integer(None, minimum=100)  # default DEFAULT_HEALTHY_STATUS
    healthy_body: str | None = text(None)  # a text the answer contains
    healthy_json: Mapping[str, Any] = scalar_table({})  # key = value the JSON answer has (a.b: nested)
    # Added to [tool.dockyard.environment] for this service's containers ({placeholders} allowed)
    environment: Mapping[str, str] = env_table({})

    def image_ref(self, tag: str) -> str | None:
        return f"{self.image}:{tag}" if self.image else None

    @property
    def web_port(self) -> int:
        return self.port or DEFAULT_WEB_PORT

    @property
    def web_health_path(self) -> str:
        path = self.health_path or DEFAULT_HEALTH_PATH
        return path if path.startswith("/") else f"/{path}"

    @property
    def web_healthy_status(self) -> int:
        return self.healthy_status or DEFAULT_HEALTHY_STATUS


# The card's layout: one web service, celery-unified (a worker with embedded beat), flower, the
# test image, and the two services the compose test stack runs beside them. The reference site's
# web falls back to sqlite; its worker needs the database (DatabaseScheduler) and the broker and,
# started alone, applies the migrations itself.
_WORKER_ENVIRONMENT = {"DATABASE_URL": "{database_url}", "CELERY_BROKER_URL": "{broker_url}", "DJANGO_MIGRATE": "1"}
DEFAULT_SERVICES = (
    ServiceSettings("web", "web", "dockyard.local/refsite-web", "refsite-web", "web"),
    ServiceSettings(
        "celery-unified",
        "celery-unified",
        "dockyard.local/refsite-celery",
        "refsite-celery",
        "worker+beat",
        environment=MappingProxyType(_WORKER_ENVIRONMENT),
    ),
    ServiceSettings(
        "flower",
        "flower",
        "dockyard.local/refsite-flower",
        None,
        "flower",
        environment=MappingProxyType({"CELERY_BROKER_URL": "{broker_url}"}),
    ),
    # The card's legacy targets: worker and beat apart, never deployed beside celery-unified.
    ServiceSettings(
        "celery-worker",
        "celery-worker",
        "dockyard.local/refsite-celery-worker",
        None,
        "worker",
        environment=MappingProxyType(_WORKER_ENVIRONMENT),
    ),
    ServiceSettings(
        "celery-beat",
        "celery-beat",
        "dockyard.local/refsite-celery-beat",
        None,
        "beat",
        environment=MappingProxyType(_WORKER_ENVIRONMENT),
    ),
    ServiceSettings("test", "test", None, None, "test"),
    ServiceSettings("postgres", None, None, None, "database"),
    ServiceSettings("redis", None, None, None, "broker"),
)
DEFAULT_ENVIRONMENT = {"DJANGO_SECRET_KEY": "{secret_key}", "DJANGO_ALLOWED_HOSTS": "*"}


@dataclass(frozen=True)
class RoundTripSettings:
    """`[tool.dockyard.celery.round_trip]`: a task sent through the broker whose result comes back."""

    task: str = text("core.tasks.add")  # its registered (dotted) name
    args: tuple[Any, ...] = values([2, 3])
    kwargs: Mapping[str, Any] = table({})
    expected: Any = value(5)  # the result it must return (compared as JSON)
    timeout: float = number(30, positive=True)  # seconds for the result
    has_expected: bool = True  # not a key: False when the table names no `expected` (any result passes)


@dataclass(frozen=True)
class PeriodicSettings:
    """`[tool.dockyard.celery.heartbeat]`: a task beat schedules, and what shows that it ran.

    With `model`, a new row of that model (app_label.ModelName); else with `log`, a line of the
    worker's log matching that regular expression (JSON lines: their message); else Celery's own
    `Task TASK[...] succeeded` in the worker's log.
    """

    task: str | None = text("core.tasks.record_heartbeat")
    model: str | None = text("core.Heartbeat")
    log: str | None = text(None)
    timeout: float = number(30, positive=True)  # seconds to wait for it


@dataclass(frozen=True)
class CelerySettings:
    """`[tool.dockyard.celery]`: the Celery app and the tasks that prove the site works."""

    # `celery --app` value; None: read from the worker's command (the container's own, the
    # compose file, the Dockerfile's CMD)
    app: str | None = text(None)
    round_trip: RoundTripSettings | None = field(default_factory=RoundTripSettings)  # None: no round trip
    heartbeat: PeriodicSettings | None = field(default_factory=PeriodicSettings)  # None: no heartbeat


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
    namespace: str = text("")  # a path under the registry: 127.0.0.1:5000/NAMESPACE/mysite-web
    timeout: float = number(10, positive=True)  # seconds for one request to the registry
    cache: bool = flag(False)  # every build.* takes its cache from the registry (--cache-from-registry)
    cache_tag: str = text("latest")  # the moving tag push also writes and builds take cache from ("": none)


@dataclass(frozen=True)
class StageSettings:
    """`[tool.dockyard.stage]`: the local Swarm stage shaped like CapRover (docs/stage.md)."""

    name: str = text("dockyard-stage")  # prefix of its Swarm services, network and proxy container
    port: int = integer(0, minimum=0)  # the proxy's port on 127.0.0.1 (0: a free one)
    proxy_image: str = text("dockyard-local/nginx:1.22")
    # where the web service listens in its container (unset: its [tool.dockyard.services.NAME] port)
    web_port: int | None = integer(None, minimum=1)
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
    # the rows a periodic task writes (Django "app_label.Model", "" for no check; unset: the model of
    # [tool.dockyard.celery.heartbeat]), their time field and the schedule's interval:
    # test.zero-downtime reads them to show beat survived the updates
    heartbeat_model: str | None = text(None)
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
    # The postgres and redis dockyard starts itself (test.web, test.celery, the image checks):
    # "" means the image of the compose file's database (broker) service, else postgres:15 (redis:7).
    postgres_image: str = text("")
    redis_image: str = text("")
    # Where the upstream image cannot be pulled: "" means dockyard's stand-in for it
    # (dockyard-local/postgres:MAJOR, dockyard-local/redis:MAJOR; invoke base.bootstrap).
    local_postgres_image: str = text("")
    local_redis_image: str = text("")
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
    # starts of web and of celery-unified, one after another; their time to healthy is the median
    startup_rounds: int = integer(3, minimum=1)
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
    "celery_starts",
    "idle_memory",
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
    celery_app: str | None = text(None)  # None: [tool.dockyard.celery] app, else the container's command
    # services the target's container needs (redis, postgres); default: those its environment's
    # placeholders name ({database_url} -> postgres, {broker_url} -> redis)
    needs: tuple[str, ...] | None = strings(None)  # type: ignore[arg-type]
    environment: Mapping[str, str] = env_table({})  # over the site's and the service's environment
    redis_image: str = text("")  # "" : [tool.dockyard.test] redis_image (or its stand-in)
    postgres_image: str = text("")
    # Card, Performance: "First pull: ~1.1GB (web) + 50MB (celery shared layers)".
    shares_layers_with: str | None = text(None)  # the target whose image this one is built on
    own_layers_mb: float = number(50, minimum=0)
    image_size_mb: float | None = number(None, minimum=0)
    idle_memory_mb: float | None = number(None, minimum=0)
    checks: tuple[str, ...] = strings(["non_root", "healthcheck", "no_secrets"])
    skip: tuple[str, ...] = strings([])
    role: str | None = None  # the target's role (not a key: from its service)

    @property
    def services_needed(self) -> tuple[str, ...]:
        """redis/postgres the container needs: `needs`, else what the environment's placeholders name."""
        if self.needs is not None:
            return self.needs
        return needs_of(self.environment)


def needs_of(environment: Mapping[str, str]) -> tuple[str, ...]:
    """("redis", "postgres") as far as `environment`'s placeholders need them."""
    names = {name for text_ in environment.values() for name in placeholders(text_)}
    out = []
    if names & set(BROKER_PLACEHOLDERS):
        out.append("redis")
    if names & set(DATABASE_PLACEHOLDERS):
        out.append("postgres")
    return tuple(out)


def _role_checks(role: str | None, web_target: str | None) -> dict[str, Any]:
    """Defaults by role. Card, "Image Targets": web ~1.1GB, celery-unified ~1.1GB, flower
    (runtime-minimal) ~300MB; Success Metrics: "Memory usage: ~750MB idle" for web + worker,
    split 400 + 350; flower gets its own 200 MB, a beat alone (the legacy target) 200 MB too.
    Celery images are built on the web image: they add their own HEALTHCHECK and CMD only."""
    if role == "web":
        return {"checks": (*_RUNTIME_CHECKS, "node_modules"), "image_size_mb": 1100, "idle_memory_mb": 400}
    if role in CELERY_ROLES:
        checks = (*_RUNTIME_CHECKS, "node_modules", "shared_layers", "celery_starts")
        if web_target is None:
            checks = tuple(c for c in checks if c != "shared_layers")
        return {
            "checks": checks,
            "image_size_mb": 1100,
            "idle_memory_mb": 200 if role == "beat" else 350,
            "shares_layers_with": web_target,
        }
    if role == "flower":
        return {"checks": _RUNTIME_CHECKS, "image_size_mb": 300, "idle_memory_mb": 200}
    if role == "test":  # ephemeral CI image: it still must not run as root or carry secrets
        return {"checks": ("non_root", "no_secrets")}
    return {}


@dataclass(frozen=True)
class ChecksSettings:
    """`[tool.dockyard.checks]`: which targets `nox -s images` checks and each one's settings."""

    targets: tuple[str, ...]
    top: Mapping[str, Any]  # validated keys of [tool.dockyard.checks] (all targets)
    tables: Mapping[str, Mapping[str, Any]]  # validated [tool.dockyard.checks.TARGET] tables
    roles: Mapping[str, str]  # bake target -> role, from the services (configured or read)
    web_target: str | None = None
    # bake target -> the environment of its service ([tool.dockyard.environment] + the service's own)
    environments: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    site_environment: Mapping[str, str] = field(default_factory=dict)

    def for_target(self, target: str) -> TargetChecks:
        """Defaults, then the target's role, then [tool.dockyard.checks], then its own table."""
        role = self.roles.get(target)
        merged: dict[str, Any] = dict(_role_checks(role, self.web_target))
        merged.update(self.top)
        merged.update(self.tables.get(target, {}))
        skipped = merged.get("skip", ())
        merged["checks"] = tuple(c for c in merged.get("checks", TargetChecks.checks) if c not in skipped)
        merged["target"] = target
        merged["role"] = role
        merged["environment"] = MappingProxyType(
            {
                **self.environments.get(target, self.site_environment),
                **self.top.get("environment", {}),
                **self.tables.get(target, {}).get("environment", {}),
            }
        )
        settings = TargetChecks(**merged)
        for check in settings.checks:
            key = REQUIRED_KEYS.get(check)
            if key and getattr(settings, key) in (None, ""):
                raise ConfigError(
                    f"check '{check}' of target '{target}' needs `{key}` in [tool.dockyard.checks.{target}]"
                )
        return settings

    def with_roles(self, roles: Mapping[str, str]) -> ChecksSettings:
        """These settings with the roles read from the project's files for targets whose service
        names none (a configured role wins)."""
        merged = {**roles, **self.roles}
        web = self.web_target or next((t for t, r in merged.items() if r == "web"), None)
        updated = dataclasses.replace(self, roles=MappingProxyType(merged), web_target=web)
        for target in dict.fromkeys([*updated.targets, *updated.tables]):
            updated.for_target(target)
        return updated

    def helper_images(self) -> dict[str, str]:
        """[tool.dockyard.checks] redis_image / postgres_image when set ("" : the test settings')."""
        return {"redis": self.top.get("redis_image", ""), "postgres": self.top.get("postgres_image", "")}


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


def checks_settings(
    raw: Any,
    services: Mapping[str, ServiceSettings],
    environment: Mapping[str, str] | None = None,
) -> ChecksSettings:
    where = "[tool.dockyard.checks]"
    table_ = _as_table(raw, where)
    targets_value = table_.get("targets")
    top_raw = {k: v for k, v in table_.items() if k != "targets" and (not isinstance(v, dict) or k == "environment")}
    tables_raw = {k: v for k, v in table_.items() if isinstance(v, dict) and k != "environment"}
    top = _target_checks_table(top_raw, where)
    tables = {name: _target_checks_table(t, f"[tool.dockyard.checks.{name}]") for name, t in tables_raw.items()}
    built = tuple(dict.fromkeys(s.target for s in services.values() if s.target))
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
    roles = {s.target: s.role for s in services.values() if s.target and s.role}
    web = next((s.target for s in services.values() if s.role == "web" and s.target), None)
    site_env = dict(DEFAULT_ENVIRONMENT if environment is None else environment)
    environments = {s.target: MappingProxyType({**site_env, **s.environment}) for s in services.values() if s.target}
    settings = ChecksSettings(
        targets=targets,
        top=top,
        tables=tables,
        roles=MappingProxyType(roles),
        web_target=web,
        environments=MappingProxyType(environments),
        site_environment=MappingProxyType(site_env),
    )
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
    # The upstream base image: "" means the default of the Dockerfile's `ARG BASE_IMAGE`.
    # Used as-is when present locally or pullable; else the local stand-in.
    base_image: str = text("")
    # "" means dockyard's stand-in for base_image (dockyard-local/python:3.11-bookworm for
    # python:3.11-slim-bookworm, dockyard-local/python:3.13-trixie for python:3.13-slim-trixie).
    local_base_image: str = text("")
    # "auto": the system CA bundle when it exists; a path; "" for none ($DOCKYARD_CA_CERTS wins)
    ca_certs: str = text("auto")
    services: Mapping[str, ServiceSettings] = field(
        default_factory=lambda: MappingProxyType({s.name: s for s in DEFAULT_SERVICES})
    )
    # Every container of the site dockyard starts itself; a service's own table adds to it.
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(dict(DEFAULT_ENVIRONMENT)))
    celery: CelerySettings = field(default_factory=CelerySettings)
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
            object.__setattr__(self, "checks", checks_settings({}, self.services, self.environment))

    # ----------------------------------------------------------------- services

    def service(self, name: str) -> ServiceSettings:
        try:
            return self.services[name]
        except KeyError:
            known = ", ".join(self.services) or "none"
            raise ConfigError(f"no service {name!r} in [tool.dockyard.services] (known: {known})") from None

    def apps(self) -> dict[str, str]:
        """Service -> CapRover app, for the services that are deployed."""
        return {name: s.app for name, s in self.services.items() if s.app}

    def image_repositories(self) -> dict[str, str]:
        """Service -> image repository, for the services dockyard builds images of."""
        return {name: s.image for name, s in self.services.items() if s.image}

    def image_for_role(self, *roles: str, tag: str = "latest") -> str | None:
        """The image (with `tag`) of the first service with one of `roles` (in that order of preference)."""
        for role in roles:
            for service in self.services.values():
                if service.role == role and service.image:
                    return service.image_ref(tag)
        return None

    def role_of(self, service: str) -> str | None:
        """The role [tool.dockyard.services] gives `service` (None: not given; read it from the files)."""
        found = self.services.get(service)
        return found.role if found is not None else None

    def service_environment(self, name: str | None) -> dict[str, str]:
        """[tool.dockyard.environment] with the service's own environment over it."""
        own = self.services[name].environment if name in self.services else {}
        return {**self.environment, **own}

    @property
    def test_web_image(self) -> str | None:
        return self.test.web_image or self.image_for_role("web")

    @property
    def test_celery_image(self) -> str | None:
        return self.test.celery_image or self.image_for_role("worker+beat", "worker")


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
    "apps": 'give each service its app in [tool.dockyard.services.NAME] app = "..."',
    "images": 'give each service its image in [tool.dockyard.services.NAME] image = "..."',
}


def _services(raw: Any) -> Mapping[str, ServiceSettings]:
    table_ = _as_table(raw, "[tool.dockyard.services]")
    services = {}
    for name, body in table_.items():
        where = f"[tool.dockyard.services.{name}]"
        services[name] = ServiceSettings(name=name, **read_table(ServiceSettings, body, where))
    return MappingProxyType(services)


def _environment(raw: Any) -> Mapping[str, str]:
    where = "[tool.dockyard.environment]"
    table_ = _as_table(raw, where)
    for variable, text_ in table_.items():
        if not isinstance(text_, str):
            raise ConfigError(f"{where} {variable} must be a string, got {toml_repr(text_)}")
        _check_template(where, variable, text_)
    return MappingProxyType(dict(table_))


def _celery(raw: Any) -> CelerySettings:
    where = "[tool.dockyard.celery]"
    table_ = _as_table(raw, where)
    parts: dict[str, Any] = {}
    for key, cls in (("round_trip", RoundTripSettings), ("heartbeat", PeriodicSettings)):
        if key not in table_:
            continue
        body = table_[key]
        if body is False:
            parts[key] = None
        elif isinstance(body, dict):
            # A table of its own replaces the reference site's task, model and arguments entirely.
            given = read_table(cls, body, f"[tool.dockyard.celery.{key}]")
            if cls is RoundTripSettings:
                blank: dict[str, Any] = {"task": "", "args": (), "kwargs": MappingProxyType({}), "expected": None}
                blank["has_expected"] = "expected" in given
            else:
                blank = {"task": None, "model": None, "log": None}
            parts[key] = cls(**{**blank, **given})
        else:
            raise ConfigError(f"{where} {key} must be a table or false (none), got {toml_repr(body)}")
    rest = {k: v for k, v in table_.items() if k not in ("round_trip", "heartbeat")}
    values_ = read_table(CelerySettings, rest, where, tables=("round_trip", "heartbeat"))
    settings = CelerySettings(**values_, **parts)
    _check_celery(settings)
    return settings


def _check_celery(settings: CelerySettings) -> None:
    beat = settings.heartbeat
    if beat is not None:
        where = "[tool.dockyard.celery.heartbeat]"
        if not (beat.task or beat.model or beat.log):
            raise ConfigError(f"{where} needs a task, a model or a log pattern (or write heartbeat = false)")
        if beat.model and beat.model.count(".") != 1:
            raise ConfigError(f'{where} model must be "app_label.ModelName", got {toml_repr(beat.model)}')
        if beat.log:
            try:
                re.compile(beat.log)
            except re.error as exc:
                raise ConfigError(
                    f"{where} log is not a valid regular expression ({exc}): {toml_repr(beat.log)}"
                ) from None
    trip = settings.round_trip
    if trip is not None and not trip.task:
        raise ConfigError("[tool.dockyard.celery.round_trip] task must name a task (or write round_trip = false)")


def load_settings(config: Any) -> Settings:
    """Validate the whole `[tool.dockyard]` table (a dict from tomllib) once."""
    table_ = _as_table(config, TOOL)
    nested = {"services", "checks", "environment", "celery", *_TABLES}
    top = {k: v for k, v in table_.items() if k not in nested}
    values_: dict[str, Any] = read_table(Settings, top, TOOL, tables=tuple(sorted(nested)))
    if "services" in table_:
        values_["services"] = _services(table_["services"])
    if "environment" in table_:
        values_["environment"] = _environment(table_["environment"])
    if "celery" in table_:
        values_["celery"] = _celery(table_["celery"])
    for name, cls in _TABLES.items():
        if name in table_:
            moved = _MOVED if name == "caprover" else None
            values_[name] = cls(**read_table(cls, table_[name], f"[tool.dockyard.{name}]", moved))
    defaults = Settings()
    services = values_.get("services", defaults.services)
    environment = values_.get("environment", defaults.environment)
    return Settings(**values_, checks=checks_settings(table_.get("checks", {}), services, environment))
