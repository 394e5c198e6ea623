"""`troubleshoot.container NAME`: why a container will not start or stay healthy.

Reads what the engine recorded (state, restarts, OOM kill, health log), the log tail, and
probes `/code` and the directories the runtime user must write to, from inside the
container when it runs, else from a throw-away container of the same image and user.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from dockyard.core.settings import TroubleshootSettings
from dockyard.docker.client import APIError, Container
from dockyard.docker.containers import (
    ContainerError,
    exec_text,
    get_container,
    logs_tail,
    refresh,
    temporary_container,
    unique_name,
)
from dockyard.runtime.health import health_probes

# Runs inside the container: who am I, and for each path its mode/owner and whether I can write it.
# The script is a constant; paths arrive as positional arguments, never spliced into it.
PERMISSIONS_SCRIPT = r"""
echo "id: $(id)"
code="$1"; shift
for p in "$code" "$@"; do
  if [ -e "$p" ]; then
    if [ -w "$p" ]; then w=yes; else w=no; fi
    echo "path: $(stat -c '%A %U(%u):%G(%g)' "$p") $w $p"
  else
    echo "path: missing - - $p"
  fi
done
echo "listing:"
ls -la "$code" 2>&1 | head -n 40
"""

_PATH_LINE = re.compile(r"^path: (?P<mode>\S+) (?P<owner>\S+) (?P<writable>yes|no|-) (?P<path>.+)$")
# A line a process dies with: "SomeError:", "fatal", "panic", and the messages of the C
# library and coreutils ("Permission denied", "cannot ...", "No such file or directory").
_ERROR_LINE = re.compile(
    r"(?:^|\s)(?:[\w.]*(?:Error|Exception)|error|fatal|FATAL|ERROR|PANIC|panic)\b[: ]"
    r"|Permission denied|No such file or directory|Connection refused|(?:^|\s)cannot\s",
    re.IGNORECASE,
)


@dataclass
class PathInfo:
    path: str
    mode: str
    owner: str
    writable: bool | None  # None: missing


@dataclass
class Permissions:
    source: str  # "exec" (inside the container) or "image" (throw-away container of the same image)
    identity: str
    paths: list[PathInfo]
    listing: list[str]


@dataclass
class ContainerProblem:
    """What is wrong with a container, and what to do about it."""

    severity: str  # error | warning | info
    summary: str
    fix: str


@dataclass
class ContainerReport:
    name: str
    image: str
    status: str
    exit_code: int | None
    error: str
    started_at: str | None
    finished_at: str | None
    restart_count: int
    restart_policy: str
    oom_killed: bool
    user: str
    health: str | None
    failing_streak: int
    probes: list[dict]
    log_tail: list[str]
    permissions: Permissions | None
    findings: list[ContainerProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def parse_permissions(output: str, source: str) -> Permissions:
    identity, paths, listing, in_listing = "", [], [], False
    for line in output.splitlines():
        if in_listing:
            listing.append(line)
        elif line.startswith("id: "):
            identity = line[4:].strip()
        elif m := _PATH_LINE.match(line):
            writable = None if m.group("writable") == "-" else m.group("writable") == "yes"
            paths.append(PathInfo(m.group("path"), m.group("mode"), m.group("owner"), writable))
        elif line.strip() == "listing:":
            in_listing = True
    return Permissions(source=source, identity=identity, paths=paths, listing=listing)


def probe_permissions(
    container: Container, code_dir: str, writable_paths: list[str]
) -> Permissions | None:
    argv = ["sh", "-c", PERMISSIONS_SCRIPT, "sh", code_dir, *writable_paths]
    if container.attrs["State"].get("Running") and not container.attrs["State"].get("Restarting"):
        try:
            code, output = exec_text(container, argv)
            if code == 0:
                return parse_permissions(output, "exec")
        except ContainerError:
            pass
    # Not running (or exec failed): the same image, as the same user, with the same volumes.
    image = container.attrs.get("Image") or container.attrs["Config"]["Image"]
    user = container.attrs["Config"].get("User") or None
    try:
        with temporary_container(
            image,
            name=unique_name("dockyard-ts-perm"),
            entrypoint=argv[:1],
            command=argv[1:],
            user=user,
            volumes_from=[container.id] if container.attrs.get("Mounts") else None,
        ) as probe:
            probe.wait(timeout=60)
            output = probe.logs(stdout=True, stderr=True).decode("utf-8", "replace")
    except (ContainerError, APIError):
        return None
    return parse_permissions(output, "image")


def inspect_container(
    name: str,
    *,
    code_dir: str = TroubleshootSettings.code_dir,
    writable_paths: list[str] | None = None,
    log_lines: int = TroubleshootSettings.log_lines,
) -> ContainerReport:
    container = get_container(name)
    refresh(container)
    attrs = container.attrs
    state = attrs.get("State") or {}
    health = state.get("Health") or {}
    report = ContainerReport(
        name=container.name,
        image=attrs["Config"].get("Image", ""),
        status=state.get("Status", "unknown"),
        exit_code=None if state.get("Status") == "running" else state.get("ExitCode"),
        error=state.get("Error") or "",
        started_at=state.get("StartedAt"),
        finished_at=None if state.get("Status") == "running" else state.get("FinishedAt"),
        restart_count=int(attrs.get("RestartCount") or 0),
        restart_policy=(attrs.get("HostConfig", {}).get("RestartPolicy") or {}).get("Name") or "no",
        oom_killed=bool(state.get("OOMKilled")),
        user=attrs["Config"].get("User") or "",
        health=health.get("Status"),
        failing_streak=int(health.get("FailingStreak") or 0),
        probes=[asdict(p) for p in health_probes(attrs)],
        log_tail=logs_tail(container, log_lines),
        permissions=probe_permissions(
            container, code_dir, writable_paths or list(TroubleshootSettings.writable_paths)
        ),
    )
    report.findings = findings(report, code_dir)
    return report


def findings(report: ContainerReport, code_dir: str = TroubleshootSettings.code_dir) -> list[ContainerProblem]:
    """What is wrong, each with what to do; from the recorded state, probes, logs and permissions."""
    out: list[ContainerProblem] = []
    last_error = next(
        (line for line in reversed(report.log_tail) if _ERROR_LINE.search(line)), None
    )
    tail_hint = (
        f"; last error in the log: {last_error}"
        if last_error
        else (f"; last log line: {report.log_tail[-1]}" if report.log_tail else "")
    )
    if report.oom_killed:
        out.append(
            ContainerProblem(
                "error",
                "the container was killed for running out of memory (OOMKilled)",
                "raise its memory limit or lower the worker/gunicorn concurrency",
            )
        )
    if report.status == "restarting" or (
        report.restart_count > 0 and report.restart_policy != "no"
    ):
        out.append(
            ContainerProblem(
                "error" if report.status != "running" or report.restart_count >= 3 else "warning",
                f"crash loop: restarted {report.restart_count} time(s) (policy {report.restart_policy}), "
                f"last exit code {report.exit_code if report.exit_code is not None else '?'}{tail_hint}",
                "read the log tail below for the error the process dies with; fix it and recreate the container",
            )
        )
    elif report.status in ("exited", "dead"):
        if report.exit_code not in (0, None):
            out.append(
                ContainerProblem(
                    "error",
                    f"the container exited with code {report.exit_code}{tail_hint}",
                    _exit_code_fix(report.exit_code),
                )
            )
        else:
            out.append(
                ContainerProblem(
                    "warning",
                    "the container exited with code 0: its command finished",
                    "a service's command must keep running in the foreground",
                )
            )
    elif report.status == "created":
        out.append(
            ContainerProblem(
                "error",
                f"the container was created but never started{': ' + report.error if report.error else ''}",
                "start it (docker start) and read the error the engine gives",
            )
        )
    if report.error and report.status != "created":
        out.append(
            ContainerProblem(
                "error", f"the engine reported: {report.error}", "fix the container's configuration"
            )
        )
    # a stopped container's health log is stale: its exit above is the finding, not its probes
    probes_failing = report.health == "unhealthy" or (report.health == "starting" and report.failing_streak > 0)
    if report.status == "running" and probes_failing:
        last = report.probes[-1] if report.probes else None
        said = (
            f"exit {last['exit_code']}: {_first_line(last['output'])}"
            if last
            else "no probe recorded"
        )
        out.append(
            ContainerProblem(
                "error" if report.health == "unhealthy" else "warning",
                f"health probe failing ({report.failing_streak} in a row); last probe {said}",
                "run the HEALTHCHECK command by hand in the container (docker exec) and fix what it reports",
            )
        )
    elif report.health is None and report.status == "running":
        out.append(
            ContainerProblem(
                "info",
                "the image defines no HEALTHCHECK",
                "add one so orchestrators can tell a running container from a working one",
            )
        )
    perms = report.permissions
    if perms is not None:
        if "uid=0(" in perms.identity:
            out.append(
                ContainerProblem(
                    "warning",
                    "the container runs as root",
                    "add `USER app` (uid 1000) to the image",
                )
            )
        for info in perms.paths:
            if info.writable is None and info.path == code_dir:
                out.append(
                    ContainerProblem(
                        "error", f"{code_dir} does not exist in the image", "check WORKDIR and COPY"
                    )
                )
            elif info.writable is None:
                out.append(
                    ContainerProblem(
                        "warning",
                        f"{info.path} does not exist",
                        "create it in the image and chown it to the runtime user",
                    )
                )
            elif info.writable is False and info.path != code_dir:
                out.append(
                    ContainerProblem(
                        "error",
                        f"the runtime user ({_short_id(perms.identity)}) cannot write "
                        f"{info.path} ({info.mode} {info.owner})",
                        f"chown {info.path} to the runtime user in the image, or mount a volume "
                        "it owns",
                    )
                )
    elif report.status != "running":
        out.append(
            ContainerProblem(
                "warning",
                "could not inspect permissions (no shell in the image?)",
                f"run `docker run --rm --entrypoint ls IMAGE -la {code_dir}` by hand",
            )
        )
    return out


def _exit_code_fix(code: int) -> str:
    return {
        1: "the process failed: the log tail shows the error",
        2: "the command was misused (bad arguments?): check CMD/ENTRYPOINT",
        126: "the command is not executable: check file modes (chmod +x) and the runtime user's rights",
        127: "the command was not found: check CMD/ENTRYPOINT and PATH",
        137: "killed by SIGKILL (OOM or `docker kill`/stop timeout)",
        139: "segmentation fault in the process",
        143: "stopped by SIGTERM",
    }.get(code, "the log tail shows why the process ended")


def _first_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no output)"


def _short_id(identity: str) -> str:
    m = re.match(r"uid=\d+(?:\([^)]*\))?", identity)
    return m.group(0) if m else identity or "unknown user"
