"""The bake file as buildx resolves it (`docker buildx bake --print`), and bake command lines."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dockyard.core.errors import ConfigError, UnknownTarget
from dockyard.docker.client import require_cli


@dataclass(frozen=True)
class BakeTarget:
    name: str
    stage: str
    tags: tuple[str, ...]
    dockerfile: str
    context: str


@dataclass(frozen=True)
class BakeDefinition:
    targets: dict[str, BakeTarget]
    groups: dict[str, tuple[str, ...]]

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
                out.extend(self._expand(member, trail + (name,)))
            return out
        known = ", ".join(sorted(set(self.targets) | set(self.groups) - {"default"}))
        raise UnknownTarget(f"unknown bake target '{name}' (known: {known})")


def parse_print_output(text: str) -> BakeDefinition:
    """Parse the JSON that `docker buildx bake --print` writes."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"unexpected output from docker buildx bake --print: {exc}") from None
    targets = {
        name: BakeTarget(
            name=name,
            stage=spec.get("target", ""),
            tags=tuple(spec.get("tags", [])),
            dockerfile=spec.get("dockerfile", "Dockerfile"),
            context=spec.get("context", "."),
        )
        for name, spec in data.get("target", {}).items()
    }
    groups = {name: tuple(spec.get("targets", [])) for name, spec in data.get("group", {}).items()}
    return BakeDefinition(targets=targets, groups=groups)


def load_definition(bake_file: Path, cwd: Path, env: dict[str, str] | None = None) -> BakeDefinition:
    """Every target and group of `bake_file`, with variables resolved as buildx would."""
    if not bake_file.is_file():
        raise ConfigError(f"bake file not found: {bake_file}")
    require_cli("buildx")
    argv = ["docker", "buildx", "bake", "-f", str(bake_file), "--print"]
    # --print with no target only shows the default group, so list every name first.
    names = _names_in(bake_file)
    proc = subprocess.run(argv + names, cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise ConfigError(f"{bake_file}: buildx cannot read it: {_last_error_line(proc.stderr)}")
    return parse_print_output(proc.stdout)


def bake_argv(bake_file: Path, targets: list[str], *, no_cache: bool = False,
              metadata_file: Path | None = None, overrides: list[str] | None = None) -> list[str]:
    argv = ["docker", "buildx", "bake", "-f", str(bake_file), "--progress=plain"]
    if no_cache:
        argv.append("--no-cache")
    if metadata_file is not None:
        argv += ["--metadata-file", str(metadata_file)]
    for override in overrides or []:
        argv += ["--set", override]
    return argv + list(targets)


def _names_in(bake_file: Path) -> list[str]:
    import re

    text = bake_file.read_text(encoding="utf-8")
    names = re.findall(r'^\s*(?:target|group)\s+"([^"]+)"', text, flags=re.MULTILINE)
    return [n for n in dict.fromkeys(names) if not n.startswith("_")]


def _last_error_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip() and not ln.startswith("#")]
    return lines[-1] if lines else "no error message"
