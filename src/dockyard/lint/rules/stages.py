"""The stage graph itself: stages that need each other."""

from __future__ import annotations

from collections.abc import Iterator

from dockyard.dockerfile.graph import find_cycle_edge
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule


@rule(
    "DY021",
    "stage-cycle",
    "error",
    summary="stages form a cycle through FROM, `COPY --from` or `RUN --mount=from` (a --from naming a later stage)",
    why=(
        "BuildKit resolves `--from=NAME` against every stage of the file, later ones included, so stage A can copy "
        "from stage B while B is built FROM A. No build can finish; BuildKit 0.13 overflows its stack on such a "
        "file and takes dockerd down with every running container. The linter never builds anything, so it is "
        "safe to find here; dockyard refuses to build such a file."
    ),
    fix=(
        "Break the cycle: copy from an earlier stage (or a pinned image) instead, e.g. keep the pinned "
        "requirements in the build context rather than taking them from the released stage."
    ),
)
def stage_cycle(ctx: LintContext) -> Iterator[LintFinding]:
    dep = ctx.deployment
    for dockerfile in dep.dockerfiles.values():
        found = find_cycle_edge(dep.graph(dockerfile))
        if found is None:
            continue
        edge = found.edge
        source = edge.source_stage.label if edge.source_stage else "?"
        how = "COPY --from" if edge.instruction.cmd in ("COPY", "ADD") else "RUN --mount=from"
        yield ctx.finding(
            "DY021",
            dockerfile.path,
            edge.instruction.line,
            f"stages form a cycle ({' -> '.join(found.stages)}): {how}={source} "
            f"in stage '{edge.stage.label}' needs a stage built from this one; BuildKit 0.13 crashes dockerd on it",
        )
