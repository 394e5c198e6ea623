"""What every build checks before it contacts the Engine: that it can be built at all.

The bake file is evaluated (`buildx bake --print`, or python-hcl2 without buildx: neither talks
to the Engine), the names resolve to its targets, and the Dockerfile of each target exists, is
UTF-8, parses, and its stages form no cycle through `COPY --from` / `RUN --mount=from=`. A cycle
matters most: BuildKit 0.13 overflows its stack on such a file and dockerd dies with every
container on the machine, so such a file must never reach the Engine (dockerfile.graph).

`run_build` calls this first, so every build dockyard starts (build.*, troubleshoot.build,
`nox -s images`, rollback.full, bench) is checked the same way, each with one error line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dockyard.dockerfile.bake import BakeTarget, load_bake
from dockyard.dockerfile.graph import refuse_cycles
from dockyard.dockerfile.parser import Dockerfile, parse_dockerfile, parse_dockerfile_text


def target_dockerfile(root: Path, target: BakeTarget) -> Path:
    """The Dockerfile a bake target builds: `dockerfile` relative to `context`, relative to the root."""
    context = root / (target.context or ".")
    dockerfile = Path(target.dockerfile or "Dockerfile")
    return dockerfile if dockerfile.is_absolute() else context / dockerfile


def refuse_unbuildable(
    root: Path, bake_file: Path, names: list[str], variables: Mapping[str, str] | None = None
) -> dict[str, Dockerfile]:
    """Raise a ConfigError (StageCycle for a cycle) unless `names` can be handed to the Engine;
    returns each local target's parsed Dockerfile."""
    env = {**os.environ, **(variables or {})}
    definition = load_bake(bake_file, parser="auto", cwd=root, env=env)
    parsed: dict[Path, Dockerfile] = {}
    out: dict[str, Dockerfile] = {}
    for name in definition.resolve(names):
        target = definition.targets[name]
        if target.inline_text is not None:
            dockerfile = parse_dockerfile_text(target.inline_text, Path(f"{bake_file.name}:{name}:dockerfile-inline"))
        elif target.local:
            path = target_dockerfile(root, target)
            if path not in parsed:
                parsed[path] = parse_dockerfile(path)
            dockerfile = parsed[path]
        else:  # a remote context: BuildKit fetches that Dockerfile, dockyard cannot read it first
            continue
        refuse_cycles(dockerfile, target.args)
        out[name] = dockerfile
    return out
