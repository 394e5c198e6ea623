"""The docker CLI (and its plugins buildx and compose) as argv lists, never shell strings.

Only modules of this package start `docker`; they do it through `run` and `start`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from dockyard.core.errors import EngineUnavailable
from dockyard.core.signals import shield

START_HINT = "start it with: dockyard engine (installs and starts one where none answers)"


def ensure_engine() -> int:
    """Run dockyard's packaged ensure-docker-engine.sh: install (Debian, as root) and start a Docker
    Engine with buildx and compose when none answers; nothing when one does. Its exit code."""
    from dockyard.core.resources import resource

    script = resource("host", "ensure-docker-engine.sh")
    return subprocess.run(["bash", str(script)]).returncode

# Run once, just before the run first talks to the Engine (the start-of-run sweep): whatever a
# task checks before that (settings, arguments, the Dockerfile) is checked without an Engine.
_first_contact: list[Callable[[], None]] = []
_contacted = False


def before_first_contact(hook: Callable[[], None]) -> Callable[[], None]:
    """Run `hook` once, before this process's first request to the Engine; returns its remover."""
    _first_contact.append(hook)
    return lambda: _first_contact.remove(hook) if hook in _first_contact else None


def engine_contact() -> None:
    """Called by every way to the Engine (the SDK client, docker commands) before it is used."""
    global _contacted
    if _contacted:
        return
    _contacted = True
    for hook in list(_first_contact):
        hook()


def engine_contacted() -> bool:
    """Has this process talked to the Engine (so it may have made something there)?"""
    return _contacted


def _contacts_engine(args: list[str]) -> bool:
    """False for the commands that only read files or the CLI itself (`buildx bake --print`,
    `version`): they need no Engine, so they do not start the sweep."""
    return "version" not in args[:2] and not (args[:2] == ["buildx", "bake"] and "--print" in args)


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
    if _contacts_engine(args):
        engine_contact()
    try:
        return subprocess.run(
            ["docker", *args],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except FileNotFoundError:
        raise EngineUnavailable(f"the docker CLI is not on PATH; {START_HINT}") from None


def start(
    args: list[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    merge_stderr: bool = False,
) -> subprocess.Popen[str]:
    """`docker ARGS...` started in the background, stdout (and stderr) piped, line buffered."""
    if _contacts_engine(args):
        engine_contact()
    try:
        return subprocess.Popen(
            ["docker", *args],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            text=True,
            bufsize=1,
        )
    except FileNotFoundError:
        raise EngineUnavailable(f"the docker CLI is not on PATH; {START_HINT}") from None


def stop(proc: subprocess.Popen, grace: float = 20) -> None:
    """End a child that is still running: SIGTERM, `grace` seconds to finish, then SIGKILL.
    Shielded from further signals (the caller is usually cleaning up after one)."""
    with shield():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def last_line(text: str | None, default: str = "no output") -> str:
    """The last non-empty line of a tool's output (its error, usually), at most 200 characters."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:200] if lines else default
