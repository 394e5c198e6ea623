"""Development dependencies that end up in a shipped image."""

from __future__ import annotations

from collections.abc import Iterator

from dockyard.lint.flows import DEV_MODULES
from dockyard.lint.model import LintFinding
from dockyard.lint.rules.base import LintContext, rule


@rule(
    "DY004",
    "npm-dev-dependencies",
    "warning",
    summary="`npm ci`/`npm install` without --omit=dev whose node_modules reach a shipped image",
    why=(
        "devDependencies (bundlers, linters, test runners) are only needed to build assets. When the stage is "
        "shipped, or its node_modules are COPY --from'd into a shipped stage (over any number of stages, "
        "`${APP_HOME}` paths expanded), they add hundreds of MB and a larger attack surface to the runtime image. "
        "A warning: the image works; the policy (the card's `npm ci --omit=dev`) is the `npm_omit_dev` setting."
    ),
    fix=(
        "Build assets with the full install, then `RUN rm -rf node_modules && npm ci --omit=dev` (or `npm prune "
        "--omit=dev`) before the runtime stage copies them; or copy only the built assets."
    ),
)
def npm_dev_dependencies(ctx: LintContext) -> Iterator[LintFinding]:
    if not ctx.options.npm_omit_dev:
        return
    reported: set[tuple[str, int]] = set()
    for shipped in ctx.deployment.shipped:
        for item in ctx.flows(shipped).shipped(shipped.stage):
            if item.kind != DEV_MODULES:
                continue
            key = (str(shipped.dockerfile.path), item.origin.instruction.line)
            if key in reported:
                continue
            reported.add(key)
            if item.origin.stage is shipped.stage or not item.hops:
                where = f"ship in stage '{shipped.stage.label}' ({shipped.via})"
            else:
                lines = ", ".join(str(h) for h in item.hops)
                where = f"reach stage '{shipped.stage.label}' ({shipped.via}) through COPY --from at line {lines}"
            yield ctx.finding(
                "DY004",
                shipped.dockerfile.path,
                item.origin.instruction.line,
                f"{item.what} without --omit=dev in stage '{item.origin.stage.label}': devDependencies in "
                f"{item.path} {where}",
            )
