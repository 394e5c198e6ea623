"""Find a deployment directory's Dockerfiles, bake file, compose files and entrypoint scripts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.errors import ConfigError


@dataclass
class DeploymentFiles:
    directory: Path
    dockerfiles: list[Path] = field(default_factory=list)
    bake_files: list[Path] = field(default_factory=list)
    compose_files: list[Path] = field(default_factory=list)
    scripts: list[Path] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.dockerfiles or self.bake_files or self.compose_files)


def discover(directory: Path, preferred: dict[str, str] | None = None) -> DeploymentFiles:
    """The deployment files directly in `directory` (not in sub-directories such as local-images/).

    `preferred` maps "dockerfile"/"bake_file"/"compose_file" to configured file names: when such a
    file exists in `directory` it is the only one of its kind taken.
    """
    if not directory.is_dir():
        raise ConfigError(f"{directory} is not a directory")
    preferred = preferred or {}
    files = sorted(p for p in directory.iterdir() if p.is_file())
    found = DeploymentFiles(directory=directory)
    found.dockerfiles = _pick(directory, preferred.get("dockerfile"), [p for p in files if _is_dockerfile(p)])
    found.bake_files = _pick(directory, preferred.get("bake_file"), [p for p in files if p.suffix == ".hcl"])
    found.compose_files = _pick(directory, preferred.get("compose_file"), [p for p in files if _is_compose(p)])
    entrypoints = directory / "entrypoints"
    scripts = [p for p in files if p.suffix == ".sh"]
    if entrypoints.is_dir():
        scripts += sorted(p for p in entrypoints.iterdir() if p.is_file())
    found.scripts = scripts
    return found


def _pick(directory: Path, preferred: str | None, candidates: list[Path]) -> list[Path]:
    if preferred:
        chosen = directory / Path(preferred).name
        if chosen.is_file():
            return [chosen]
    return candidates


def _is_dockerfile(path: Path) -> bool:
    name = path.name
    if name.endswith(".dockerignore"):
        return False
    return name == "Dockerfile" or name.startswith("Dockerfile.") or name.lower().endswith(".dockerfile")


def _is_compose(path: Path) -> bool:
    """docker-compose*.yml, compose*.yaml, and swarm stack files (docker-stack.yml, stack.prod.yml)."""
    name = path.name
    prefixes = ("docker-compose", "compose", "docker-stack", "stack")
    return path.suffix in (".yml", ".yaml") and name.startswith(prefixes)
