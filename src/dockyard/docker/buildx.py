"""BuildKit through buildx and the Engine: `bake --print`, `bake` itself (progress as rawjson,
results in a metadata file), `buildx build` from stdin, and the build cache.

The build cache is read and pruned through the Engine API (`GET /system/df` build-cache records,
`POST /build/prune`): the same records `docker buildx du` and `docker buildx prune` show for the
default builder, as JSON instead of tables, so `invoke prune` and `troubleshoot.build` agree.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.core.errors import ConfigError, DockyardError
from dockyard.docker import cli

PRINT_TIMEOUT_S = 30


class BakePrintFailed(ConfigError):
    """buildx cannot evaluate the bake file; `stderr` is what it said."""

    def __init__(self, bake_file: Path, stderr: str) -> None:
        super().__init__(f"{bake_file}: buildx cannot read it: {cli.last_line(stderr, 'no error message')}")
        self.stderr = stderr


def bake_print_argv(bake_file: Path, names: list[str]) -> list[str]:
    return ["buildx", "bake", "-f", str(bake_file), "--print", *names]


def start_bake_print(bake_file: Path, names: list[str], cwd: Path, env: Mapping[str, str] | None = None):
    """`docker buildx bake --print NAMES` started in the background (it needs no engine)."""
    return cli.start(bake_print_argv(bake_file, names), cwd=cwd, env=env)


def finish_bake_print(process: subprocess.Popen[str], bake_file: Path) -> dict[str, Any]:
    """The JSON a started `bake --print` writes; BakePrintFailed when buildx refuses the file."""
    try:
        stdout, stderr = process.communicate(timeout=PRINT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise BakePrintFailed(bake_file, f"docker buildx bake --print did not answer in {PRINT_TIMEOUT_S} s") from None
    if process.returncode != 0:
        raise BakePrintFailed(bake_file, stderr)
    try:
        return json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise BakePrintFailed(bake_file, f"unexpected output from docker buildx bake --print ({exc})") from None


def bake_print(bake_file: Path, names: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`docker buildx bake --print NAMES` as JSON (variables resolved as buildx resolves them)."""
    cli.require_cli("buildx")
    return finish_bake_print(start_bake_print(bake_file, names, cwd, env), bake_file)


@dataclass(frozen=True)
class BakeRun:
    """What `start_bake` runs: BuildKit's progress as JSON on stderr, results in `metadata_file`."""

    argv: list[str]
    metadata_file: Path


def bake_argv(
    bake_file: Path,
    targets: list[str],
    metadata_file: Path,
    *,
    no_cache: bool = False,
    overrides: list[str] | None = None,
) -> list[str]:
    argv = ["buildx", "bake", "-f", str(bake_file), "--progress=rawjson", "--metadata-file", str(metadata_file)]
    if no_cache:
        argv.append("--no-cache")
    for override in overrides or []:
        argv += ["--set", override]
    return argv + list(targets)


def start_bake(argv: list[str], cwd: Path, env: Mapping[str, str]) -> subprocess.Popen[str]:
    """Start `docker buildx bake` (argv from `bake_argv`); its progress comes on stdout+stderr."""
    cli.require_cli("buildx")
    return cli.start(argv, cwd=cwd, env=env, merge_stderr=True)


def read_metadata(path: Path) -> dict[str, dict[str, Any]]:
    """The `--metadata-file` bake wrote: target -> {"image.name": "a:1,a:latest", ...}; {} when absent."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def image_names(metadata: Mapping[str, Any]) -> list[str]:
    """The tags one target's metadata names (`image.name` is comma-separated), docker.io/ prefix off."""
    names = str(metadata.get("image.name") or "")
    out = []
    for name in names.split(","):
        name = name.strip().removeprefix("docker.io/").removeprefix("library/")
        if name:
            out.append(name)
    return out


def build_stdin_args(tag: str) -> list[str]:
    """`docker buildx build` reading the Dockerfile from stdin, with no build context."""
    return ["buildx", "build", "--quiet", "--tag", tag, "-"]


def build_from_stdin(dockerfile: str, tag: str) -> None:
    """`docker buildx build --quiet --tag TAG -` with the Dockerfile on stdin and no context."""
    cli.require_cli("buildx")
    proc = cli.run(build_stdin_args(tag), input=dockerfile)
    if proc.returncode != 0:
        raise DockyardError(f"docker buildx build of {tag} failed: {cli.last_line(proc.stderr, 'no output')}")


def version() -> str | None:
    """buildx's version (`v0.13.1`), None when it is not installed."""
    proc = cli.run(["buildx", "version"])
    words = proc.stdout.split()
    return words[1] if proc.returncode == 0 and len(words) > 1 else None


# --------------------------------------------------------------------------- build cache


def cache_records() -> list[dict[str, Any]]:
    """The engine's build-cache records (ID, Type, Description, InUse, Shared, Size, LastUsedAt...)."""
    from dockyard.docker.client import client

    return list(client().df().get("BuildCache") or [])


def prune_cache(
    *, all_cache: bool = False, keep_storage: int | None = None, filters: Mapping[str, str] | None = None
) -> int:
    """`docker buildx prune --force` through the Engine API; returns the bytes it reclaimed."""
    from dockyard.docker.client import APIError, client, explain

    try:
        result = client().api.prune_builds(
            filters=dict(filters) if filters else None, keep_storage=keep_storage, all=all_cache or None
        )
    except APIError as exc:
        raise DockyardError(f"the engine refused to prune the build cache: {explain(exc)}") from None
    return int((result or {}).get("SpaceReclaimed") or 0)


def prune_records(ids: list[str]) -> int:
    """Remove exactly these build-cache records (and nothing else); the bytes reclaimed.

    The Engine matches the `id` filter as a pattern (`id~=`), one value per call: each call names
    one full record id, never an empty one, so no other record can match. A record another one
    was built on goes only once its children are gone: repeated passes take them leaves first."""
    from dockyard.docker.client import APIError, client, explain

    wanted = [i for i in dict.fromkeys(ids) if i and i.isalnum()]
    reclaimed = 0
    for _ in range(len(wanted) + 1):
        present = {str(r.get("ID")) for r in cache_records()}
        left = [i for i in wanted if i in present]
        if not left:
            break
        for record in left:
            try:
                result = client().api.prune_builds(filters={"id": record}, all=True)
            except APIError as exc:
                raise DockyardError(f"the engine refused to remove cache record {record}: {explain(exc)}") from None
            reclaimed += int((result or {}).get("SpaceReclaimed") or 0)
            stray = set((result or {}).get("CachesDeleted") or []) - set(wanted)
            if stray:  # never expected: stop at once rather than go on
                raise DockyardError(f"the engine removed build-cache records it was not asked to: {sorted(stray)[:3]}")
    return reclaimed
