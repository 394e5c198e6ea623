"""The site's health endpoint, found in its URL configuration (ROOT_URLCONF and what it includes).

A route counts when its path or its view's name says health, healthz, ready/readiness, live/liveness,
status or ping, or when it includes a health app's URLs (django-health-check's `health_check.urls`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from dockyard.core.errors import ConfigError
from dockyard.init.detect.found import Found
from dockyard.init.facts import Evidence
from dockyard.init.pysource import PythonRoot, Source, dotted, string

HEALTH_WORDS = re.compile(
    r"(?<![a-z])(healthz?|health[-_]?check|ready|readiness|readyz|live|liveness|livez|status|ping)(?![a-z])", re.I
)
# Best first: a path that says health beats one that says ready, then status, then ping.
RANK = ("health", "ready", "live", "status", "ping")
ADDED_HEALTH_PATH = "/healthz/"
ROUTE_CALLS = {"path", "re_path", "url", "django.urls.path", "django.urls.re_path", "urls.path", "urls.re_path"}


@dataclass(frozen=True)
class Route:
    path: str  # "/healthz"
    view: str  # "health.healthz" as written
    evidence: Evidence

    @property
    def rank(self) -> int:
        text = (self.path + " " + self.view).lower()
        for index, word in enumerate(RANK):
            if word in text:
                return index
        return len(RANK)


def _regex_route(pattern: str) -> str | None:
    """A literal route from a simple regex (`^health/$` -> `health/`), None when it has groups."""
    body = pattern.removeprefix("^").removesuffix("$")
    if re.search(r"[()\[\]*+?{}|\\]", body.replace("\\.", "")):
        return None
    return body.replace("\\.", ".")


def _include_target(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call) and dotted(node.func) in ("include", "django.urls.include", "urls.include"):
        if node.args:
            first = node.args[0]
            if isinstance(first, ast.Tuple) and first.elts:
                first = first.elts[0]
            return string(first) or (dotted(first) or None)
    return None


def _patterns(source: Source) -> list[ast.expr]:
    """The elements of `urlpatterns = [...]` and `urlpatterns += [...]`."""
    out: list[ast.expr] = []
    for node in source.tree.body:
        targets: list[ast.expr] = []
        value = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AugAssign):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        if any(isinstance(t, ast.Name) and t.id == "urlpatterns" for t in targets):
            for part in _list_parts(value):
                out.extend(part.elts)
    return out


def _list_parts(value: ast.expr | None) -> list[ast.List | ast.Tuple]:
    if isinstance(value, ast.List | ast.Tuple):
        return [value]
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        return _list_parts(value.left) + _list_parts(value.right)
    return []


def routes(root: PythonRoot, module: str, prefix: str = "", depth: int = 0) -> list[Route]:
    """Every route of `module`'s urlpatterns that looks like a health endpoint, includes followed."""
    source = root.module(module)
    if source is None or depth > 5:
        return []
    found: list[Route] = []
    for element in _patterns(source):
        if not isinstance(element, ast.Call) or dotted(element.func) not in ROUTE_CALLS or not element.args:
            continue
        raw = string(element.args[0])
        if raw is None:
            continue
        route = (
            raw
            if dotted(element.func).endswith("path") and not dotted(element.func).endswith("re_path")
            else _regex_route(raw)
        )
        if route is None or "<" in route:
            continue
        target = _include_target(element.args[1]) if len(element.args) > 1 else None
        full = prefix + route
        where = Evidence(source.path, element.lineno, source.line(element.lineno))
        if target is not None:
            included = routes(root, target, full, depth + 1)
            found.extend(included)
            if not included and root.module(target) is None and "health" in target.lower():
                found.append(Route("/" + full.lstrip("/"), target, where))  # a health app's URLs
            continue
        view = ast.unparse(element.args[1]) if len(element.args) > 1 else ""
        if HEALTH_WORDS.search(route) or HEALTH_WORDS.search(view.rsplit(".", 1)[-1]):
            found.append(Route("/" + full.lstrip("/"), view, where))
    return found


def health_route(root: PythonRoot, urlconf: str) -> Route | None:
    candidates = routes(root, urlconf)
    if not candidates:
        return None
    return sorted(candidates, key=lambda r: (r.rank, len(r.path)))[0]


def settle_health(
    root: PythonRoot, urlconf: str | None, named: str | None, add_view: bool, found: Found
) -> tuple[str | None, bool]:
    """(the path the web HEALTHCHECK probes, whether init adds the view): --health-path, else the
    site's own route, else the view --add-health-view writes, else None (nothing claimed)."""
    if named is not None:
        if not named.startswith("/"):
            raise ConfigError(f"--health-path must start with /, got {named!r}")
        found.cite("health_path", Evidence("", 0, "--health-path"))
        return named, False
    route = health_route(root, urlconf) if urlconf else None
    if route is not None:
        found.cite("health_path", route.evidence)
        return route.path, False
    if add_view:
        found.cite("health_path", Evidence("", 0, "--add-health-view"))
        return ADDED_HEALTH_PATH, True
    return None, False
