"""The docker CLI (and its plugins buildx and compose) as argv lists, never shell strings.

Only modules of this package start `docker`; they do it through `run` and `start`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from dockyard.core.errors import EngineUnavailable

START_HINT = "start it with: dockyard engine (installs and starts one where none answers)"


def ensure_engine() -> int:
    """Run dockyard's packaged ensure-docker-engine.sh: install (Debian, as root) and start a Docker
    Engine with buildx and compose when none answers; nothing when one does. Its exit code."""
    from dockyard.core.resources import resource

    script = resource("host", "ensure-docker-engine.sh")
    return subprocess.run(["bash", str(script)]).returncode


def available() -> bool:
    """Is the docker CLI on PATH?"""
    return shutil.which("docker") is not None


def require_cli(plugin: str | None = None) -> None:
    """Fail with one line when the docker CLI (or one of its plugins) is missing."""
    if shutil.which("docker") is None:
        raise EngineUnavailable(f"the docker CLI is not on PATH; {START_HINT}")
    if plugin:
        probe = subprocess.run(["docker", plugin, "version"], capture_output=True, text=True)
        if probe.returncode != 0:
            raise EngineUnavailable(f"docker {plugin} is not installed; {START_HINT}")


def run(
    args: list[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,  # noqa: A002
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """`docker ARGS...`, output captured as text."""
    return subprocess.run(
        ["docker", *args],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start(
    args: list[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    merge_stderr: bool = False,
) -> subprocess.Popen[str]:
    """`docker ARGS...` started in the background, stdout (and stderr) piped, line buffered."""
    return subprocess.Popen(
        ["docker", *args],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True,
        bufsize=1,
    )


def last_line(text: str | None, default: str = "no output") -> str:
    """The last non-empty line of a tool's output (its error, usually), at most 200 characters."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:200] if lines else default
