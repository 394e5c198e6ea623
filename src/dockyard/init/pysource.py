"""Python sources as syntax trees (`ast`): which file a module is, what a call is named, which
project modules a module imports. Nothing here imports or runs the project's code."""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from dockyard.core.errors import ConfigError
from dockyard.init.snapshot import Snapshot


@dataclass(frozen=True)
class Source:
    path: str  # repository-relative
    module: str  # dotted name, relative to the Python root (the directory of manage.py)
    tree: ast.Module
    text: str

    def line(self, number: int) -> str:
        lines = self.text.splitlines()
        return lines[number - 1].strip() if 0 < number <= len(lines) else ""


class PythonRoot:
    """The project's Python sources under one import root (the directory holding manage.py)."""

    def __init__(self, snapshot: Snapshot, root: str) -> None:
        self.snapshot = snapshot
        self.root = posixpath.normpath(root)
        self._cache: dict[str, Source | None] = {}
        self.skipped: list[str] = []  # files that did not parse (a newer Python's syntax, say)

    def relative(self, path: str) -> str:
        return path if self.root == "." else posixpath.relpath(path, self.root)

    def path_of(self, module: str) -> str | None:
        """The file of a dotted module under the root (a module file or a package's __init__)."""
        base = module.replace(".", "/")
        for candidate in (f"{base}.py", f"{base}/__init__.py"):
            full = candidate if self.root == "." else f"{self.root}/{candidate}"
            if self.snapshot.text(full) is not None or full in self.snapshot.unreadable:
                return full
        return None

    def module_of(self, path: str) -> str:
        relative = self.relative(path)
        module = relative[: -len(".py")].replace("/", ".")
        return module[: -len(".__init__")] if module.endswith(".__init__") else module

    def source(self, path: str, required: bool = False) -> Source | None:
        """The parsed file; a file that does not parse is skipped, or one error line when `required`."""
        if path in self._cache:
            found = self._cache[path]
            if found is None and required:
                self.snapshot.require(path)
                raise ConfigError(f"cannot parse {path}")
            return found
        text = self.snapshot.require(path) if required else self.snapshot.text(path)
        if text is None:
            return None
        try:
            tree = ast.parse(text, filename=path)
        except SyntaxError as exc:
            self._cache[path] = None
            if required:
                raise ConfigError(f"cannot parse {path}:{exc.lineno}: {exc.msg}") from None
            self.skipped.append(path)
            return None
        found = Source(path, self.module_of(path), tree, text)
        self._cache[path] = found
        return found

    def module(self, name: str, required: bool = False) -> Source | None:
        path = self.path_of(name)
        if path is None:
            if required:
                raise ConfigError(f"module {name} not found under {self.root}/")
            return None
        return self.source(path, required=required)

    def sources(self) -> Iterator[Source]:
        """Every Python file under the root that parses."""
        prefix = "" if self.root == "." else self.root + "/"
        for path in sorted(self.snapshot.files):
            if path.endswith(".py") and path.startswith(prefix):
                found = self.source(path)
                if found is not None:
                    yield found

    def closure(self, start: Source, limit: int = 30) -> list[Source]:
        """`start` and the project modules it imports, transitively (settings split over files)."""
        seen = {start.path}
        order = [start]
        todo = [start]
        while todo and len(order) < limit:
            current = todo.pop(0)
            for name in imported_modules(current):
                found = self.module(name)
                if found is not None and found.path not in seen:
                    seen.add(found.path)
                    order.append(found)
                    todo.append(found)
        return order


def imported_modules(source: Source) -> list[str]:
    """Dotted names of what `source` imports (relative imports resolved; both the module and the
    `module.name` candidate for `from module import name`)."""
    package = source.module if source.path.endswith("__init__.py") else source.module.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*parts, node.module] if node.module else parts)
            else:
                base = node.module or ""
            if base:
                names.append(base)
            names += [f"{base}.{alias.name}" if base else alias.name for alias in node.names if alias.name != "*"]
    return names


def dotted(node: ast.AST) -> str:
    """`os.environ.get` for the callee of `os.environ.get(...)`; "" when it is not a plain name chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # environ.Env()("X") and the like
        inner = dotted(node.func)
        return f"{inner}()" + ("." + ".".join(reversed(parts)) if parts else "") if inner else ""
    return ""


def string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def assignments(source: Source) -> Iterator[tuple[str, ast.expr, int]]:
    """Module-level `NAME = value` (and `NAME: T = value`), in order: (name, value, line)."""
    for node in source.tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value, node.lineno
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            yield node.target.id, node.value, node.lineno
