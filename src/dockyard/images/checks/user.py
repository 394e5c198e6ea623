"""Card checklist 1: the image runs as the non-root user `app`, uid 1000."""

from __future__ import annotations

from dockyard.core.identity import parse_id
from dockyard.images.checks.context import TargetContext
from dockyard.images.checks.result import CheckResult

_ROOT_NAMES = {"", "root", "0"}


def judge(config_user: str, id_output: str, id_exit: int, uid: int) -> tuple[bool, str, str]:
    """(passed, measured, detail) from the image's USER and what `id` printed in a container."""
    user_part = config_user.split(":")[0]
    declared = f"USER {config_user}" if config_user else "no USER"
    parsed = parse_id(id_output)
    if parsed is None:
        tail = id_output.strip().splitlines()[-1:] or ["no output"]
        return (
            False,
            f"{declared}; id failed",
            f"`id` in a container exited {id_exit}: {tail[0][:160]}",
        )
    actual, line = parsed.uid, parsed.line
    measured = f"{declared}; {line}"
    if user_part in _ROOT_NAMES:
        sets = f"sets {declared}" if config_user else "sets no USER"
        return (
            False,
            measured,
            f"the image config {sets}, so containers start as root (add `USER app`)",
        )
    if actual != uid:
        return (
            False,
            measured,
            f"a container runs as uid {actual}, {abs(actual - uid)} away from {uid}",
        )
    return True, measured, f"{declared} and a container runs as uid {actual}"


def non_root(ctx: TargetContext) -> CheckResult:
    """The image's USER is not root, and `docker run --rm IMAGE id` shows the expected uid."""
    uid = int(ctx.settings.uid)
    code, output = ctx.run_once(["id"])
    passed, measured, detail = judge(ctx.config.get("User") or "", output, code, uid)
    return CheckResult("non_root", ctx.target, passed, measured, f"uid {uid}, not root", detail)
