"""A sample project adopted as docs/adopting.md says: its copy, its .venv, its commands and their times."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "samples"
TIMINGS: dict[str, dict[str, float]] = {}  # sample -> step -> seconds, for the session's summary
TIMINGS_FILE = ROOT / ".dockyard" / "reports" / "adoption-timings.json"

TASKS_PY = "from dockyard.tasks import ns  # noqa: F401\n"
NOXFILE_PY = "import dockyard.nox\n\ndockyard.nox.sessions()  # nox -s images, nox -s lint\n"


@dataclass
class Adopted:
    """A sample project copied, made a repository, with dockyard installed in its .venv."""

    name: str
    root: Path
    timings: dict[str, float] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DOCKYARD_ROOT", "VIRTUAL_ENV", "BASE_IMAGE")}
        return {**env, "COLUMNS": "200"}

    def record(self, step: str, seconds: float) -> None:
        self.timings[step] = round(seconds, 1)
        TIMINGS.setdefault(self.name, {})[step] = self.timings[step]

    def run(self, *argv: str, timing: str | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
        """`.venv/bin/ARGV...` in the project; its time is recorded under `timing`."""
        start = time.monotonic()
        proc = subprocess.run(
            [str(self.root / ".venv" / "bin" / argv[0]), *argv[1:]],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if timing:
            self.record(timing, time.monotonic() - start)
        return proc


def explain(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
