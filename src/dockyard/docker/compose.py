"""`docker compose` for one project name: up, down, exec, and its containers (by compose's labels).

A project may carry an override file (dockyard writes one with the run's labels for every service,
network and volume: dockyard.runtime.stack); `command()` shows the commands without it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.core.redact import redact
from dockyard.docker import cli
from dockyard.docker.client import Container, client

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


@dataclass(frozen=True)
class ComposeProject:
    name: str
    compose_file: Path
    variables: dict[str, str] = field(default_factory=dict)
    override: Path | None = None  # a second file merged over the first (the run's labels, chosen images)

    def args(self, *args: str) -> list[str]:
        files = ["-f", str(self.compose_file)] + (["-f", str(self.override)] if self.override else [])
        return ["compose", "-p", self.name, *files, *args]

    def hint_args(self, *args: str) -> list[str]:
        """Without the override: a command for people, after the run (and its temp dir) is gone."""
        return ["compose", "-p", self.name, "-f", str(self.compose_file), *args]

    def command(self, *args: str) -> str:
        """`docker compose -p NAME -f FILE ARGS...` as a person would type it."""
        return " ".join(["docker", *self.hint_args(*args)])

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.variables}

    def down_hint(self) -> str:
        """What takes the project down later (by its name: no file is needed for that)."""
        return " ".join(["docker", "compose", "-p", self.name, "down", "-v", "--remove-orphans"])

    def up(self, on_line: Callable[[str], None] = lambda line: None) -> tuple[int, list[str]]:
        """`docker compose up -d` (never pulls or builds); (exit code, its output lines, secrets masked)."""
        cli.require_cli("compose")
        proc = cli.start(
            self.args("up", "--detach", "--pull", "never", "--no-build"), env=self.env(), merge_stderr=True
        )
        lines: list[str] = []
        assert proc.stdout is not None
        try:
            for raw in proc.stdout:
                line = redact(raw.rstrip())
                if line:
                    lines.append(line)
                    on_line(line)
            return proc.wait(), lines
        except BaseException:  # interrupted: compose must stop creating before the stack is taken down
            cli.stop(proc)
            raise

    def down(self) -> bool:
        """Remove the project's containers, networks and volumes; True when compose reported success.
        Without the docker CLI nothing was brought up, so there is nothing to take down."""
        if not cli.available():
            return False
        proc = cli.run(self.args("down", "--volumes", "--remove-orphans", "--timeout", "5"), env=self.env())
        return proc.returncode == 0

    def exec(self, service: str, argv: list[str], timeout: float) -> tuple[int | None, str]:
        """`docker compose exec -T SERVICE ARGV`: (exit code, output, secrets masked); None on timeout."""
        try:
            proc = cli.run(self.args("exec", "-T", service, *argv), env=self.env(), timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout or ""
            return None, redact(out.decode() if isinstance(out, bytes) else out)
        return proc.returncode, redact(proc.stdout + proc.stderr)

    def containers(self) -> dict[str, Container]:
        """Service name -> its container (stopped ones too)."""
        found = client().containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={self.name}"})
        return {c.labels.get(SERVICE_LABEL, c.name): c for c in found}
