"""The bake model: the one reader of bake files, for builds, tasks and lint.

`docker buildx bake --print` evaluates the file when buildx is there (variables from the
environment, functions, inherits: exactly as a build sees it); python-hcl2 stands in where it
is not (lint only). Either way each target comes back with its context, Dockerfile, target
stage, args and tags, plus the line numbers of its block so findings can point at them.
`scan` reads only the text (names, groups, lines) and is cheap enough for `invoke --list`.
`bake --print` only evaluates the file; it needs no running Docker Engine.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.core.errors import ConfigError, UnknownTarget
from dockyard.core.files import read_text
from dockyard.docker import buildx, cli


class BakeError(ConfigError):
    """The bake file cannot be evaluated."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.detail = message


class BuildxUnavailable(Exception):
    """No docker CLI or no buildx plugin: use the HCL parser instead."""


@dataclass
class BakeTarget:
    name: str
    line: int  # the `target "name" {` line
    # "target", "dockerfile", "context" ... -> line
    attr_lines: dict[str, int] = field(default_factory=dict)
    context: str | None = None
    dockerfile: str | None = None
    stage: str | None = None  # the `target` attribute: the Dockerfile stage it builds
    args: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    inherits: list[str] = field(default_factory=list)
    inline: bool = False  # dockerfile-inline: nothing on disk to read
    inline_text: str | None = None  # the dockerfile-inline text itself
    block: str | None = None  # the `target "block"` it comes from, when a matrix expanded it
    matrix: bool = False  # a `matrix` block: it names a group of generated targets, not one target

    @property
    def local(self) -> bool:
        """Built from a local Dockerfile (not inline, not a remote or named context)."""
        context = self.context or "."
        return not self.inline and "://" not in context and not context.startswith("target:")

    def line_of(self, attribute: str) -> int:
        return self.attr_lines.get(attribute, self.line)


@dataclass
class BakeFile:
    path: Path
    lines: list[str]
    targets: dict[str, BakeTarget]
    groups: dict[str, list[str]]
    parser: str  # "buildx" or "hcl2"

    def is_template(self, name: str) -> bool:
        """A target that only exists to be inherited from (`_common`), not one that is built."""
        return is_template(name, self.targets, self.groups)

    def resolve(self, names: list[str]) -> list[str]:
        """Target names for the given targets/groups, groups expanded, order kept, no repeats."""
        resolved: list[str] = []
        for name in names:
            for target in self._expand(name, trail=()):
                if target not in resolved:
                    resolved.append(target)
        return resolved

    def _expand(self, name: str, trail: tuple[str, ...]) -> list[str]:
        if name in self.targets:
            return [name]
        if name in self.groups and name not in trail:
            out: list[str] = []
            for member in self.groups[name]:
                out.extend(self._expand(member, (*trail, name)))
            return out
        names = {t for t in self.targets if not self.is_template(t)} | set(self.groups) - {"default"}
        known = ", ".join(sorted(names))
        raise UnknownTarget(f"unknown bake target '{name}' (known: {known})")


def is_template(name: str, targets: Mapping[str, BakeTarget], groups: Mapping[str, list[str]]) -> bool:
    """A target that only exists to be inherited from (`_common`), not one that is built."""
    if name.startswith("_"):
        return True
    inherited = any(name in t.inherits for t in targets.values())
    grouped = any(name in members for members in groups.values())
    return inherited and not grouped


# --- the HCL text: blocks and line numbers -------------------------------------------------------
_BLOCK = re.compile(r'^\s*(target|group|variable|function)\s+"([^"]+)"\s*\{', re.MULTILINE)
_ATTR = r"(?:^|[{\s;])(%s)\s*="
_INHERITS = re.compile(r"inherits\s*=\s*\[([^\]]*)\]", re.DOTALL)
_QUOTED = re.compile(r'"([^"]*)"')
_LITERAL_STAGE = re.compile(r'(?:^|[{\s;])target\s*=\s*"([^"$]*)"', re.MULTILINE)
_MATRIX = re.compile(r"(?:^|[{\s;])matrix\s*=", re.MULTILINE)


@dataclass
class _Block:
    kind: str
    name: str
    line: int
    start: int  # offset of the block header in the text
    end: int  # offset where the next block starts


def _blocks(text: str) -> list[_Block]:
    found = list(_BLOCK.finditer(text))
    blocks = []
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        line = text.count("\n", 0, match.start(1)) + 1
        blocks.append(_Block(match.group(1), match.group(2), line, match.start(1), end))
    return blocks


def _attr_lines(text: str, block: _Block) -> dict[str, int]:
    body = text[block.start : block.end]
    header_end = body.index("{") + 1
    lines = {}
    for attribute in ("target", "dockerfile", "context", "args", "tags", "inherits"):
        match = re.compile(_ATTR % re.escape(attribute), re.MULTILINE).search(body, header_end - 1)
        if match:
            lines[attribute] = text.count("\n", 0, block.start + match.start(1)) + 1
    return lines


def scan(text: str) -> tuple[dict[str, BakeTarget], dict[str, list[str]]]:
    """Target skeletons (name, lines, inherits) and groups, from the text alone."""
    targets: dict[str, BakeTarget] = {}
    groups: dict[str, list[str]] = {}
    for block in _blocks(text):
        body = text[block.start : block.end]
        if block.kind == "target":
            inherits = _INHERITS.search(body)
            stage = _LITERAL_STAGE.search(body)
            targets[block.name] = BakeTarget(
                name=block.name,
                line=block.line,
                attr_lines=_attr_lines(text, block),
                inherits=_QUOTED.findall(inherits.group(1)) if inherits else [],
                stage=stage.group(1) if stage else None,  # a literal; evaluation may replace it
                matrix=bool(_MATRIX.search(body)),
            )
        elif block.kind == "group":
            members = re.search(r"targets\s*=\s*\[([^\]]*)\]", body, re.DOTALL)
            groups[block.name] = _QUOTED.findall(members.group(1)) if members else []
    return targets, groups


# --- loading -------------------------------------------------------------------------------------
def load_bake(
    path: Path, parser: str = "auto", cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> BakeFile:
    """Evaluate `path`. parser: "auto" (buildx, else HCL), "buildx" or "hcl2"; `env` holds the
    variables buildx reads (default: this process's environment)."""
    if not path.is_file():
        raise ConfigError(f"bake file not found: {path}")
    return start_bake(path, parser, cwd, env).result()


class PendingBake:
    """A bake file whose `buildx bake --print` runs in the background while other files are read."""

    def __init__(self, path: Path, parser: str, cwd: Path | None, env: Mapping[str, str] | None = None) -> None:
        if parser not in ("auto", "buildx", "hcl2"):
            raise ConfigError(f"[tool.dockyard.lint] bake_parser must be auto, buildx or hcl2, not {parser!r}")
        self.text = read_text(path)
        self.path, self.parser = path, parser
        self.targets, self.groups = scan(self.text)
        self.process = None
        self.unavailable: str | None = None
        self.printed_groups: dict[str, list[str]] = {}
        if parser in ("auto", "buildx") and self.targets:
            if not cli.available():
                self.unavailable = "the docker CLI is not on PATH"
            else:
                names = list(dict.fromkeys([*self.targets, *self.groups]))
                self.process = buildx.start_bake_print(path.resolve(), names, cwd or path.parent, env)

    def result(self) -> BakeFile:
        used = "hcl2" if self.parser == "hcl2" else "buildx"
        if self.parser == "hcl2":
            resolved = _evaluate_hcl(self.path, self.text)
        else:
            try:
                resolved = self._buildx_result()
            except BuildxUnavailable as exc:
                if self.parser == "buildx":
                    raise ConfigError(f"bake_parser is buildx but {exc}") from None
                resolved = _evaluate_hcl(self.path, self.text)
                used = "hcl2"
        targets: dict[str, BakeTarget] = {}
        groups = dict(self.groups)
        for name, skeleton in self.targets.items():
            members = self._members(name, skeleton, resolved)
            if skeleton.matrix:
                groups[name] = members  # buildx too treats a matrix block's name as a group
            for member in members:
                spec = resolved.get(member, {})
                target = BakeTarget(
                    name=member,
                    line=skeleton.line,
                    attr_lines=dict(skeleton.attr_lines),
                    inherits=list(skeleton.inherits),
                    block=name if member != name else None,
                )
                # buildx's defaults, which --print shows and the HCL fallback has to fill in
                target.context = _str_or_none(spec.get("context", "."))
                target.inline = spec.get("dockerfile-inline") is not None
                target.inline_text = _str_or_none(spec.get("dockerfile-inline"))
                target.dockerfile = _str_or_none(spec.get("dockerfile", "Dockerfile"))
                target.stage = _str_or_none(spec.get("target"))
                args = spec.get("args") or {}
                target.args = {str(k): str(v) for k, v in args.items() if v is not None}
                tags = spec.get("tags") or []
                target.tags = [str(t) for t in tags] if isinstance(tags, list) else []
                targets[member] = target
        # `bake --print NAMES...` reports the names it was given as its own group "default"
        groups.update({k: v for k, v in self.printed_groups.items() if k in self.groups and k != "default"})
        return BakeFile(
            path=self.path,
            lines=self.text.splitlines(),
            targets=targets,
            groups=groups,
            parser=used,
        )

    def _members(self, name: str, skeleton: BakeTarget, resolved: dict[str, Any]) -> list[str]:
        """The targets a block stands for: itself, or the ones its matrix generated."""
        if not skeleton.matrix:
            return [name]
        printed = self.printed_groups.get(name)
        if printed is not None:
            return printed
        return [n for n, spec in resolved.items() if isinstance(spec, dict) and spec.get("__block__") == name]

    def _buildx_result(self) -> dict[str, Any]:
        if self.unavailable:
            raise BuildxUnavailable(self.unavailable)
        if self.process is None:  # no targets
            return {}
        path = self.path
        try:
            data = buildx.finish_bake_print(self.process, path)
        except buildx.BakePrintFailed as exc:
            error = _BUILDX_ERROR.search(exc.stderr)
            if error is None:  # no buildx plugin: docker itself complains about the flags
                if "did not answer" in exc.stderr:
                    raise BuildxUnavailable(exc.stderr) from None
                if exc.stderr.startswith("unexpected output"):
                    raise BakeError(path, 1, exc.stderr) from None
                raise BuildxUnavailable("docker buildx is not installed") from None
            message = error.group("msg").strip()
            position = _HCL_POS.search(message)
            if position:
                raise BakeError(path, int(position.group("line")), position.group("msg").strip()) from None
            raise BakeError(path, 1, message) from None
        self.printed_groups = {
            name: [str(t) for t in spec.get("targets", [])]
            for name, spec in (data.get("group") or {}).items()
            if isinstance(spec, dict)
        }
        return data.get("target", {})


def start_bake(
    path: Path, parser: str = "auto", cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> PendingBake:
    return PendingBake(path, parser, cwd, env)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


_BUILDX_ERROR = re.compile(r"^ERROR:\s*(?P<msg>.*)$", re.MULTILINE)
_HCL_POS = re.compile(r":(?P<line>\d+),\d+(?:-\d+(?:,\d+)?)?:\s*(?P<msg>.*)$")


# --- the HCL fallback ----------------------------------------------------------------------------
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_INTERP = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)\s*\}")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)+$")
_CALL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\((.*)\)$", re.DOTALL)
_ARG = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*)\s*(?:,|$)')


@dataclass
class _Scope:
    variables: dict[str, Any]
    functions: dict[str, tuple[list[str], Any]]  # name -> (params, result expression)

    def with_values(self, values: dict[str, Any]) -> _Scope:
        return _Scope({**self.variables, **values}, self.functions)


def _evaluate_hcl(path: Path, text: str) -> dict[str, Any]:
    """Targets as `bake --print` would give them, for what a plain HCL parser can evaluate.

    Variables (default, overridden by the environment like buildx does), `${VAR}` in strings,
    `inherits`, and calls of the file's own `function` blocks with literal or variable arguments
    are resolved; other expressions (conditionals, operators, stdlib functions) are left out.
    """
    try:
        import hcl2
    except ImportError:
        raise ConfigError(
            f"cannot read {path}: neither docker buildx nor the python-hcl2 package is available"
        ) from None
    try:
        data = hcl2.loads(text)
    except Exception as exc:  # lark raises many kinds; all mean the same to the user
        line = getattr(exc, "line", 1) or 1
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BakeError(path, int(line), f"not valid HCL: {first}") from None

    scope = _Scope({}, {})
    for block in data.get("function", []):
        for raw_name, body in block.items():
            if isinstance(body, dict):
                params = [str(p) for p in body.get("params") or []]
                scope.functions[_unquote(raw_name)] = (params, body.get("result"))
    for block in data.get("variable", []):
        for raw_name, body in block.items():
            name = _unquote(raw_name)
            default = body.get("default") if isinstance(body, dict) else None
            scope.variables[name] = os.environ.get(name, _eval(default, scope))

    raw_targets: dict[str, dict[str, Any]] = {}
    for block in data.get("target", []):
        for raw_name, body in block.items():
            raw_targets[_unquote(raw_name)] = {k: v for k, v in body.items() if not k.startswith("__")}

    def resolved(name: str, trail: tuple[str, ...], local: _Scope) -> dict[str, Any]:
        if name in trail:
            raise BakeError(path, 1, f"inherits cycle: {' -> '.join(trail + (name,))}")
        if name not in raw_targets:
            raise BakeError(path, 1, f"failed to find target {name}")
        body = raw_targets[name]
        merged: dict[str, Any] = {}
        for parent in _eval(body.get("inherits"), local) or []:
            parent_spec = resolved(str(parent), trail + (name,), scope)
            for key, value in parent_spec.items():
                merged[key] = {**merged.get(key, {}), **value} if key == "args" else value
        for key, value in body.items():
            if key in ("inherits", "matrix", "name"):
                continue
            value = _eval(value, local)
            if key == "args" and isinstance(value, dict):
                merged["args"] = {**merged.get("args", {}), **value}
            elif value is not None:
                merged[key] = value
        return merged

    out: dict[str, Any] = {}
    for name, body in raw_targets.items():
        if "matrix" not in body:
            out[name] = resolved(name, (), scope)
            continue
        for values in _matrix_values(body["matrix"], scope):
            local = scope.with_values(values)
            generated = _eval(body.get("name"), local)
            if not isinstance(generated, str) or not generated or "${" in generated:
                raise BakeError(path, 1, f"target {name}: a matrix needs a `name` that tells its targets apart")
            out[generated] = {**resolved(name, (), local), "__block__": name}
    return out


def _matrix_values(matrix: Any, scope: _Scope) -> list[dict[str, Any]]:
    """Every combination of a `matrix = {var = [...], ...}` (values may be maps: `item.field`)."""
    if not isinstance(matrix, dict):
        return []
    combinations: list[dict[str, Any]] = [{}]
    for raw_key, raw_values in matrix.items():
        if str(raw_key).startswith("__"):
            continue
        values = _eval(raw_values, scope)
        if not isinstance(values, list):
            return []
        key = _unquote(str(raw_key))
        combinations = [{**combo, key: value} for combo in combinations for value in values]
    return combinations


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _eval(value: Any, scope: _Scope) -> Any:
    """Evaluate what python-hcl2 gives for an attribute; None when it needs more than we have."""
    if isinstance(value, list):
        items = [_eval(v, scope) for v in value]
        return None if any(i is None for i in items) else items
    if isinstance(value, dict):
        return {_unquote(str(k)): _eval(v, scope) for k, v in value.items() if not str(k).startswith("__")}
    if not isinstance(value, str):
        return value
    if len(value) >= 2 and value[0] == value[-1] == '"':  # a string literal (python-hcl2 >= 5)
        return _interpolate(value[1:-1], scope.variables)
    whole = re.fullmatch(r"\$\{\s*(.*?)\s*\}", value, re.DOTALL)
    expression = whole.group(1) if whole else value
    if _IDENT.match(expression) and expression in scope.variables:  # a variable reference
        return scope.variables[expression]
    if _DOTTED.match(expression):  # a field of a map value (a matrix item: item.tgt)
        return _lookup(scope.variables, expression)
    call = _CALL.match(expression.strip())
    if call and call.group(1) in scope.functions:
        return _call(call.group(1), call.group(2), scope)
    if whole:
        return None  # a conditional, an operator, a stdlib function: not evaluated
    return _interpolate(value, scope.variables)  # older python-hcl2 gives string literals unquoted


def _call(name: str, arguments: str, scope: _Scope) -> Any:
    """A call of a `function` block of the bake file, with literal or variable arguments."""
    params, result = scope.functions[name]
    values: list[Any] = []
    position = 0
    while position < len(arguments.strip()):
        match = _ARG.match(arguments, position)
        if match is None:
            return None
        values.append(_eval(match.group(1), scope))
        position = match.end()
    if len(values) != len(params) or any(v is None for v in values):
        return None
    return _eval(result, scope.with_values(dict(zip(params, values, strict=True))))


def _lookup(variables: dict[str, Any], dotted: str) -> Any:
    first, *fields = dotted.split(".")
    value = variables.get(first)
    for name in fields:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _interpolate(text: str, variables: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        value = _lookup(variables, match.group(1))
        return match.group(0) if value is None else str(value)

    return _INTERP.sub(one, text)


def scan_file(path: Path) -> BakeFile:
    """A bake file from its text alone (no buildx, no evaluation): names, groups, literal stages.
    Cheap enough to run on every `invoke --list`."""
    text = read_text(path)
    targets, groups = scan(text)
    return BakeFile(path=path, lines=text.splitlines(), targets=targets, groups=groups, parser="text")
