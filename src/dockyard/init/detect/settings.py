"""The settings module as syntax: where a setting is assigned, and what a path setting comes to.

`STATIC_ROOT = BASE_DIR / "staticfiles"` with `BASE_DIR = Path(__file__).resolve().parent.parent`
is evaluated with `__file__` set to where the settings file will be in the image, so the
Dockerfile can copy the collected files to the same path. Only what can be known without
running the code is evaluated: Path arithmetic, os.path calls, string constants, and the default
of an environment lookup; anything else gives None.
"""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.init.detect.found import Found
from dockyard.init.facts import Evidence
from dockyard.init.pysource import PythonRoot, Source, assignments, dotted, keyword, string

ENV_GETTERS = {"os.environ.get", "os.getenv", "environ.get", "getenv"}
PATH_CALLS = {"Path", "pathlib.Path", "PurePath", "PosixPath", "pathlib.PurePath"}


@dataclass(frozen=True)
class Setting:
    name: str
    value: ast.expr
    source: Source
    line: int


class SettingsView:
    """The settings module and the project modules it imports (a settings package split over files)."""

    def __init__(self, root: PythonRoot, module: Source) -> None:
        self.root = root
        self.module = module
        self.modules = root.closure(module)

    def find(self, name: str) -> Setting | None:
        """The assignment of `name` that wins: the settings module's own last one, else the first
        imported module (in import order) that assigns it."""
        for source in self.modules:
            last = None
            for assigned, value, line in assignments(source):
                if assigned == name:
                    last = Setting(name, value, source, line)
            if last is not None:
                return last
        return None

    def augmented(self, name: str) -> list[Setting]:
        """`NAME += [...]` statements for a list setting."""
        out = []
        for source in self.modules:
            for node in source.tree.body:
                if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
                    out.append(Setting(name, node.value, source, node.lineno))
        return out

    def strings(self, name: str) -> list[str] | None:
        """A list/tuple-of-strings setting (INSTALLED_APPS), with `+=` additions; None when unknown."""
        found = self.find(name)
        if found is None or not isinstance(found.value, ast.List | ast.Tuple):
            return None
        values = [string(e) for e in found.value.elts]
        for extra in self.augmented(name):
            if isinstance(extra.value, ast.List | ast.Tuple):
                values += [string(e) for e in extra.value.elts]
        return [v for v in values if v is not None]


class PathEvaluator:
    """Evaluates path-valued expressions of the settings, with `__file__` mapped into the image."""

    def __init__(self, view: SettingsView, image_path: Callable[[str], str]) -> None:
        self.view = view
        self.image_path = image_path
        self._depth = 0

    def setting(self, name: str) -> tuple[str | None, Setting | None]:
        found = self.view.find(name)
        if found is None:
            return None, None
        return self.value(found.value, found.source, found.line), found

    def value(self, node: ast.expr | None, source: Source, line: int) -> str | None:
        self._depth += 1
        try:
            if self._depth > 40 or node is None:
                return None
            return self._value(node, source, line)
        finally:
            self._depth -= 1

    def _name(self, name: str, source: Source, line: int) -> str | None:
        if name == "__file__":
            return self.image_path(source.path)
        last = None
        for assigned, value, assigned_line in assignments(source):
            if assigned == name and assigned_line < line:
                last = (value, assigned_line)
        if last is not None:
            return self.value(last[0], source, last[1])
        for other in self.view.modules:  # star imports: the base module's name
            if other is source:
                continue
            for assigned, value, assigned_line in assignments(other):
                if assigned == name:
                    return self.value(value, other, assigned_line + 1)
        return None

    def _value(self, node: ast.expr, source: Source, line: int) -> str | None:
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            return self._name(node.id, source, line)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, right = self.value(node.left, source, line), self.value(node.right, source, line)
            return posixpath.join(left, right) if left is not None and right is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(node.left, source, line), self.value(node.right, source, line)
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for part in node.values:
                if isinstance(part, ast.Constant):
                    parts.append(str(part.value))
                elif isinstance(part, ast.FormattedValue):
                    inner = self.value(part.value, source, line)
                    if inner is None:
                        return None
                    parts.append(inner)
            return "".join(parts)
        if isinstance(node, ast.Attribute):
            inner = self.value(node.value, source, line)
            if inner is None:
                return None
            if node.attr == "parent":
                return posixpath.dirname(inner.rstrip("/")) or "/"
            return None
        if isinstance(node, ast.Call):
            return self._call(node, source, line)
        return None

    def _call(self, node: ast.Call, source: Source, line: int) -> str | None:
        name = dotted(node.func)
        args = node.args
        if name in PATH_CALLS or name == "str":
            values = [self.value(a, source, line) for a in args]
            if not values or any(v is None for v in values):
                return None
            return posixpath.join(*values)  # type: ignore[arg-type]
        if name in ("os.path.join", "path.join", "join"):
            values = [self.value(a, source, line) for a in args]
            return posixpath.join(*values) if values and all(v is not None for v in values) else None  # type: ignore[arg-type]
        if name in ("os.path.dirname", "path.dirname", "dirname") and args:
            inner = self.value(args[0], source, line)
            return posixpath.dirname(inner) if inner is not None else None
        if name in ("os.path.abspath", "os.path.realpath", "os.path.normpath", "abspath", "realpath") and args:
            inner = self.value(args[0], source, line)
            return posixpath.normpath(inner) if inner is not None else None
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute", "expanduser"):
            return self.value(node.func.value, source, line)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "joinpath":
            base = self.value(node.func.value, source, line)
            values = [self.value(a, source, line) for a in args]
            if base is None or any(v is None for v in values):
                return None
            return posixpath.join(base, *values)  # type: ignore[arg-type]
        if name in ENV_GETTERS or name.endswith(("env", "env.str", "env.path", "config")):
            default = args[1] if len(args) > 1 else keyword(node, "default")
            return self.value(default, source, line) if default is not None else None
        return None


def celery_conf_path(root: PythonRoot, source: Source, image_path: Callable[[str], str], key: str) -> str | None:
    """`app.conf.update(KEY=...)` (or `app.conf.KEY = ...`) in the Celery app's module, evaluated."""
    evaluator = PathEvaluator(SettingsView(root, source), image_path)
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Call):
            for item in node.keywords:
                if item.arg == key:
                    return evaluator.value(item.value, source, node.lineno)
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == key:
                    return evaluator.value(node.value, source, node.lineno)
    return None


def static_root(view: SettingsView, evaluator: PathEvaluator, found: Found) -> str | None:
    """STATIC_ROOT in the image, or None when the images run no collectstatic (and why, in a note)."""
    value, setting = evaluator.setting("STATIC_ROOT")
    apps = view.strings("INSTALLED_APPS")
    if apps is not None and "django.contrib.staticfiles" not in apps:
        return None
    if setting is None:
        found.note("STATIC_ROOT is not set: the images run no collectstatic")
        return None
    if value is None:
        found.note(
            f"STATIC_ROOT ({setting.source.path}:{setting.line}) could not be worked out: "
            "the images run no collectstatic"
        )
        return None
    found.cite("static_root", Evidence(setting.source.path, setting.line, setting.source.line(setting.line)))
    return value
