"""Add the health route to urls.py, when the file is simple enough to edit without guessing.

Simple means: it parses; `urlpatterns` is assigned once, at module level, to a list literal that
spans several lines with one element per line; and `path` is imported from django.urls. Then one
import line goes after the last top-level import and one route line after the list's last element.
Anything else: init prints the two lines for the user to add.
"""

from __future__ import annotations

import ast


def add_route(text: str, import_line: str, route_line: str) -> str | None:
    """The edited text, or None when the file is not simple enough."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    has_path = any(
        isinstance(n, ast.ImportFrom)
        and n.module == "django.urls"
        and any(a.name == "path" and not a.asname for a in n.names)
        for n in imports
    )
    assigned = [
        n
        for n in tree.body
        if isinstance(n, ast.Assign | ast.AugAssign | ast.AnnAssign)
        and any(isinstance(t, ast.Name) and t.id == "urlpatterns" for t in _targets(n))
    ]
    if not has_path or len(assigned) != 1 or not isinstance(assigned[0], ast.Assign):
        return None
    value = assigned[0].value
    if not isinstance(value, ast.List) or not value.elts or value.lineno == value.end_lineno:
        return None
    lines = text.splitlines(keepends=True)
    last = value.elts[-1]
    element_lines = [e.lineno for e in value.elts]
    if len(set(element_lines)) != len(element_lines) or last.end_lineno >= value.end_lineno:
        return None
    indent = lines[last.lineno - 1][: len(lines[last.lineno - 1]) - len(lines[last.lineno - 1].lstrip())]
    end_line = lines[last.end_lineno - 1]
    tail = end_line[last.end_col_offset :].strip()
    if tail not in ("", ","):
        return None  # a comment or something else after the element: leave it to the user
    if tail == "":
        end_line = end_line[: last.end_col_offset] + "," + end_line[last.end_col_offset :]
        lines[last.end_lineno - 1] = end_line
    lines.insert(last.end_lineno, f"{indent}{route_line}\n")
    last_import = max(n.end_lineno for n in imports) if imports else 0
    if last_import >= value.lineno:
        return None
    lines.insert(last_import, f"{import_line}\n")
    edited = "".join(lines)
    try:
        ast.parse(edited)
    except SyntaxError:  # pragma: no cover - the checks above should make this impossible
        return None
    return edited


def _targets(node: ast.stmt) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return node.targets
    return [node.target]  # type: ignore[attr-defined]
