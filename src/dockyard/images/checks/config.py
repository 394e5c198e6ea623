"""Which checks apply to which target, and their budgets: `[tool.dockyard.checks]` over the
card's defaults.

[tool.dockyard.checks]
targets = ["web", "celery-unified", "flower", "test"]   # what `nox -s images` builds and checks
startup_seconds = 60                                    # a key here applies to every target

[tool.dockyard.checks.flower]                           # a table per target overrides for it
image_size_mb = 450
skip = ["idle_memory"]                                  # or `checks = [...]` to replace the list
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockyard.core.errors import ConfigError
from dockyard.core.project import Project

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
SERVICES = ("redis", "postgres")

# Keys valid for every target (and in [tool.dockyard.checks] itself). Numbers from the card.
GLOBAL_DEFAULTS: dict[str, Any] = {
    "targets": ["web", "celery-unified", "flower", "test"],
    # Card, 40-minute checklist 1: `docker run --rm IMAGE id` -> "should show uid=1000(app)".
    "uid": 1000,
    # Card, Success Metrics: "Startup time: <60s per service" (container start to healthy).
    "startup_seconds": 60,
    # Idle means: this long after the container turned healthy (or gave up), then sampled.
    "settle_seconds": 5,
    # Card, checklist 3: `du -sh /code/node_modules` -> "should show ~5MB"; 8 MB is "about 5",
    # while dev dependencies (esbuild's binary alone is ~10 MB) are well over it.
    "node_modules_path": "/code/node_modules",
    "node_modules_mb": 8,
    # Card, "Security": secrets must not ship in images. Where files are looked for:
    "secret_paths": ["/code", "/data", "/root", "/home"],
    "allow_env": [],  # ENV names that look secret but are not (e.g. a public key id)
    "allow_files": [],  # glob patterns of image paths that look secret but are not
    # How the services are started for the runtime checks.
    "celery_app": "config.celery",
    "needs": [],  # services a target's container needs: "redis", "postgres"
    "environment": {},  # extra environment for the target's container
    "redis_image": "dockyard-local/redis:7",
    "postgres_image": "dockyard-local/postgres:15",
    # Card, Performance: "First pull: ~1.1GB (web) + 50MB (celery shared layers)".
    "shares_layers_with": None,  # the target whose image this one is built on
    "own_layers_mb": 50,
    "checks": ["non_root", "healthcheck", "no_secrets"],  # for a target not listed below
    "skip": [],
}

# Card, "Image Targets" and "Architecture Overview": web ~1.1GB, celery-unified ~1.1GB,
# flower (runtime-minimal) ~300MB; "First pull: ~1.1GB (web) + 50MB (celery shared layers)".
# Card, Success Metrics: "Memory usage: ~750MB idle" for the two services (web + celery-unified),
# split here 400 + 350; flower is optional and gets its own 200 MB.
_RUNTIME = [
    "non_root",
    "healthcheck",
    "image_size",
    "no_secrets",
    "healthy",
    "probe_fits",
    "idle_memory",
]
TARGET_DEFAULTS: dict[str, dict[str, Any]] = {
    "web": {
        "checks": [*_RUNTIME, "node_modules"],
        "image_size_mb": 1100,
        "idle_memory_mb": 400,
    },
    "celery-unified": {
        "checks": [*_RUNTIME, "node_modules", "shared_layers", "celery_starts"],
        "image_size_mb": 1100,
        "idle_memory_mb": 350,
        "shares_layers_with": "web",
        "needs": ["redis", "postgres"],  # card: "Test celery unified (needs Redis + PostgreSQL)"
    },
    "flower": {
        "checks": list(_RUNTIME),
        "image_size_mb": 300,
        "idle_memory_mb": 200,
        "needs": ["redis"],
    },
    "test": {  # ephemeral CI image: it still must not run as root or carry secrets
        "checks": ["non_root", "no_secrets"],
    },
}

# Keys only meaningful per target (budgets); allowed at the top level too, as a default for all.
TARGET_KEYS = ("image_size_mb", "idle_memory_mb")
# Which budget each check needs; a target running the check without it is a configuration error.
REQUIRED_KEYS = {
    "image_size": "image_size_mb",
    "idle_memory": "idle_memory_mb",
    "shared_layers": "shares_layers_with",
}


@dataclass(frozen=True)
class Settings:
    targets: list[str]
    per_target: dict[str, dict[str, Any]]
    top: dict[str, Any]  # [tool.dockyard.checks] without the per-target tables

    @property
    def common(self) -> dict[str, Any]:
        """Settings of the whole run (service images): defaults, then [tool.dockyard.checks]."""
        return {**GLOBAL_DEFAULTS, **self.top}

    def for_target(self, target: str) -> dict[str, Any]:
        """One target's settings: defaults, then [tool.dockyard.checks], then the target's table."""
        if target not in self.per_target:
            return _merge_target(target, self.top, {})
        return self.per_target[target]


def load_settings(project: Project) -> Settings:
    return settings_from(project.get("checks", {}))


def settings_from(config: Any) -> Settings:
    """Validate `[tool.dockyard.checks]` (a dict) and merge it over the defaults."""
    if not isinstance(config, dict):
        raise ConfigError("[tool.dockyard.checks] in pyproject.toml must be a table")
    top = {k: v for k, v in config.items() if not isinstance(v, dict) or k == "environment"}
    tables = {k: v for k, v in config.items() if isinstance(v, dict) and k != "environment"}
    _validate(top, "[tool.dockyard.checks]")
    targets = top.get("targets", GLOBAL_DEFAULTS["targets"])
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets) or not targets:
        raise ConfigError("[tool.dockyard.checks] targets must be a non-empty list of bake target names")
    names = list(dict.fromkeys([*targets, *tables]))
    per_target = {}
    for name in names:
        _validate(tables.get(name, {}), f"[tool.dockyard.checks.{name}]")
        per_target[name] = _merge_target(name, top, tables.get(name, {}))
    return Settings(targets=list(targets), per_target=per_target, top=top)


def _merge_target(target: str, top: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = {**GLOBAL_DEFAULTS, **TARGET_DEFAULTS.get(target, {})}
    merged.update({k: v for k, v in top.items() if k != "targets"})
    merged.update(own)
    checks = [c for c in merged["checks"] if c not in merged["skip"]]
    for check in checks:
        key = REQUIRED_KEYS.get(check)
        if key and merged.get(key) in (None, ""):
            raise ConfigError(f"check '{check}' of target '{target}' needs `{key}` in [tool.dockyard.checks.{target}]")
    merged["checks"] = checks
    merged["target"] = target
    return merged


def _validate(table: dict[str, Any], where: str) -> None:
    known = set(GLOBAL_DEFAULTS) | set(TARGET_KEYS)
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key '{key}' (known: {', '.join(sorted(known))})")
        default = GLOBAL_DEFAULTS.get(key)
        if isinstance(default, list | str | dict) and not isinstance(value, type(default)):
            raise ConfigError(f"{where}: {key} must be a {type(default).__name__}")
        if key == "shares_layers_with" and not isinstance(value, str):
            raise ConfigError(f"{where}: shares_layers_with must be a bake target name")
        if key in ("checks", "skip"):
            if not isinstance(value, list):
                raise ConfigError(f"{where}: {key} must be a list of check names")
            unknown = [c for c in value if c not in CHECK_NAMES]
            if unknown:
                raise ConfigError(f"{where}: unknown check '{unknown[0]}' (known: {', '.join(CHECK_NAMES)})")
        if key == "needs":
            if not isinstance(value, list) or any(s not in SERVICES for s in value):
                raise ConfigError(f"{where}: needs must list services among {', '.join(SERVICES)}")
        if key.endswith(("_mb", "_seconds")) or key == "uid":
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"{where}: {key} must be a non-negative number")
        if key == "environment" and not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
            raise ConfigError(f"{where}: environment must be a table of strings")
