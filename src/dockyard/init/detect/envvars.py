"""The environment variables a site reads, found in its settings and Celery app with `ast`.

Recognised: `os.environ["X"]`, `os.environ.get("X", d)`, `os.getenv("X")`, django-environ
(`env("X")`, `env.bool/int/list/db/url/...("X")`, `env.db()` meaning DATABASE_URL), python-decouple
(`config("X")`) and dj-database-url (`dj_database_url.config()` meaning DATABASE_URL). A name read
without a default somewhere is required.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from dockyard.init.facts import EnvVar, Evidence
from dockyard.init.pysource import Source, dotted, keyword, string

ENVIRON_GET = {"os.environ.get", "environ.get", "os.getenv", "getenv"}
ENVIRON_ITEM = {"os.environ", "environ"}
DJANGO_ENVIRON_METHODS = {
    "str", "bool", "int", "float", "list", "tuple", "dict", "json", "url", "path",
    "db", "db_url", "cache", "cache_url", "email", "email_url", "search_url", "bytes", "parse_value",
}  # fmt: skip
DEFAULT_VARIABLE = {
    "db": "DATABASE_URL",
    "db_url": "DATABASE_URL",
    "cache": "CACHE_URL",
    "cache_url": "CACHE_URL",
    "email": "EMAIL_URL",
    "email_url": "EMAIL_URL",
    "search_url": "SEARCH_URL",
}
NOT_SITE_SETTINGS = {"DJANGO_SETTINGS_MODULE", "PATH", "HOME", "HOSTNAME", "PYTHONPATH"}


def role_of(name: str) -> str:
    """What a variable is for, from its name (the project's own naming, e.g. REDIS_URL is the broker)."""
    upper = name.upper()
    if "SECRET_KEY" in upper:
        return "secret"
    if "RESULT_BACKEND" in upper:
        return "result-backend"
    if "BROKER" in upper or upper in ("REDIS_URL", "RABBITMQ_URL", "AMQP_URL", "CELERY_URL"):
        return "broker"
    if upper in ("DATABASE_URL", "DB_URL") or upper.endswith("_DATABASE_URL"):
        return "database"
    database_prefix = re.match(r"^(POSTGRES(QL)?|PG|DB|DATABASE|MYSQL)_?", upper)
    if database_prefix:
        rest = upper[database_prefix.end() :]
        for suffix, role in (
            ("HOST", "database-host"),
            ("PORT", "database-port"),
            ("USER", "database-user"),
            ("USERNAME", "database-user"),
            ("PASSWORD", "database-password"),
            ("PASS", "database-password"),
            ("NAME", "database-name"),
            ("DB", "database-name"),
            ("DATABASE", "database-name"),
        ):
            if rest == suffix:
                return role
    if "ALLOWED_HOSTS" in upper:
        return "allowed-hosts"
    if upper.endswith("DEBUG"):
        return "debug"
    return "other"


def _environ_instances(source: Source) -> set[str]:
    """Names bound to a django-environ `Env(...)` (or decouple's `config`/`AutoConfig`)."""
    names = (
        {"env"}
        if any(isinstance(n, ast.Import | ast.ImportFrom) and _imports_environ(n) for n in source.tree.body)
        else set()
    )
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            callee = dotted(node.value.func)
            if callee in ("environ.Env", "Env", "environ.FileAwareEnv", "AutoConfig", "decouple.AutoConfig"):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _imports_environ(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] in ("environ", "decouple")
    return any(alias.name.split(".")[0] == "environ" for alias in node.names)


def read_env_vars(sources: Iterable[Source]) -> list[EnvVar]:
    """Every variable the sources read, in order of first appearance, each once (required if any read
    has no default)."""
    found: dict[str, EnvVar] = {}
    guarded: set[str] = set()  # names also read with .get(): os.environ["X"] is then inside a check
    sources = list(sources)
    instances: set[str] = set()  # an Env() made in base.py and imported by production.py counts in both
    for source in sources:
        instances |= _environ_instances(source)
    for source in sources:
        decouple = any(
            isinstance(n, ast.ImportFrom)
            and (n.module or "") == "decouple"
            and any(a.name == "config" for a in n.names)
            for n in source.tree.body
        )
        for node in ast.walk(source.tree):
            hit = _read(node, instances, decouple)
            if hit is None:
                continue
            name, required = hit
            if name in NOT_SITE_SETTINGS:
                continue
            if not required:
                guarded.add(name)
            line = getattr(node, "lineno", 0)
            current = found.get(name)
            if current is None:
                found[name] = EnvVar(name, role_of(name), required, Evidence(source.path, line, source.line(line)))
            elif required and not current.required:
                found[name] = EnvVar(name, current.role, True, Evidence(source.path, line, source.line(line)))
    out = []
    for var in found.values():
        # `os.environ["X"]` next to `os.environ.get("X")` is a guarded read (if X is set, use it)
        item_only = var.required and var.name in guarded and "environ[" in var.evidence.text.replace(" ", "")
        out.append(EnvVar(var.name, var.role, False, var.evidence) if item_only else var)
    return sorted(out, key=lambda v: (v.evidence.path, v.evidence.line))


def _read(node: ast.AST, instances: set[str], decouple: bool) -> tuple[str, bool] | None:
    """(variable name, required) when `node` reads an environment variable."""
    if isinstance(node, ast.Subscript) and dotted(node.value) in ENVIRON_ITEM:
        name = string(node.slice)
        return (name, True) if name else None
    if not isinstance(node, ast.Call):
        return None
    callee = dotted(node.func)
    first = string(node.args[0]) if node.args else string(keyword(node, "var"))
    has_default = len(node.args) > 1 or keyword(node, "default") is not None
    if callee in ENVIRON_GET:
        return (first, False) if first else None
    if callee in ("dj_database_url.config",):
        name = string(keyword(node, "env")) or "DATABASE_URL"
        return name, keyword(node, "default") is None
    head, _, method = callee.partition(".")
    if head in instances and (callee == head or method in DJANGO_ENVIRON_METHODS):
        if first:
            return first, not has_default
        if method in DEFAULT_VARIABLE and not node.args:
            return DEFAULT_VARIABLE[method], keyword(node, "default") is None
        return None
    if decouple and callee == "config" and first:
        return first, not has_default
    return None
