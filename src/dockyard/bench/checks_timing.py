"""Wall time of `nox -s images`, with its checks concurrent (as typed) and sequential.

`nox -s images` is timed as a user types it, on a warm build cache and nox's kept virtualenv (a
not-timed `--install-only` run first makes sure it is there), twice: as it is, and with
`-- --sequential`, the pipeline's switch that checks one target after another, as it did before
the checks ran concurrently. Each run's own report (JSON) is written into the bench's output
directory, not over the developer's.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dockyard.core.errors import DockyardError
from dockyard.core.run import run_id
from dockyard.core.signals import shield


class NoxUnavailable(DockyardError):
    """nox, the noxfile or its `images` session is missing."""


@dataclass
class NoxRun:
    argv: list[str]
    wall_seconds: float
    returncode: int
    log_path: str
    report: dict[str, Any] = field(default_factory=dict)  # images_run's JSON, when it wrote one

    @property
    def checks(self) -> tuple[int, int]:
        """(checks run, checks failed) from the session's report."""
        summary = self.report.get("summary") or {}
        return int(summary.get("checks", 0)), int(summary.get("failed", 0))

    def detail(self) -> str:
        total, failed = self.checks
        parts = []
        build = self.report.get("build_seconds")
        if build is not None:
            parts.append(f"build {build:.0f} s")
        inner = self.report.get("wall_seconds")
        if inner is not None and build is not None:
            parts.append(f"checks and clean-up {inner - build:.0f} s")
        if inner is not None:
            parts.append(f"nox and Python start-up {self.wall_seconds - inner:.0f} s")
        if total:
            parts.append(f"{total - failed}/{total} checks passed")
        if self.returncode != 0:
            parts.append(f"exit {self.returncode}" + (f": {self.report['error']}" if self.report.get("error") else ""))
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "argv": self.argv,
            "wall_seconds": self.wall_seconds,
            "returncode": self.returncode,
            "log_path": self.log_path,
            "build_seconds": self.report.get("build_seconds"),
            "session_wall_seconds": self.report.get("wall_seconds"),
            "checks": self.report.get("summary"),
        }


def nox_command() -> str:
    found = shutil.which("nox") or str(Path(sys.executable).with_name("nox"))
    if not Path(found).is_file():
        raise NoxUnavailable("nox is not installed: pip install nox (it is one of dockyard's dependencies)")
    return found


def nox_images_argv(nox: str, report_dir: Path, install_only: bool = False, sequential: bool = False) -> list[str]:
    argv = [nox, "--non-interactive", "-s", "images"]
    if install_only:
        return argv[:1] + ["--install-only"] + argv[1:]
    name = "nox-images-sequential" if sequential else "nox-images"
    return argv + [
        "--",
        *(["--sequential"] if sequential else []),
        "--json",
        str(report_dir / f"{name}.json"),
        "--junit",
        str(report_dir / f"{name}-junit.xml"),
    ]


def has_images_session(root: Path, nox: str) -> bool:
    noxfile = root / "noxfile.py"
    if not noxfile.is_file():
        return False
    proc = subprocess.run([nox, "--list", "--json"], cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        return False
    try:
        sessions = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return False
    return any(s.get("session") == "images" or s.get("name") == "images" for s in sessions)


def run_passing_interrupts(argv: list[str], cwd: Path, sink: IO[str], grace: float = 120) -> int:
    """Run a child (nox) in this run (same run id, so its leftovers are named like ours); when
    this run is interrupted, pass it a Ctrl-C and give it `grace` seconds to clean up first."""
    proc = subprocess.Popen(
        argv, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "DOCKYARD_RUN_ID": run_id()}
    )
    try:
        return proc.wait()
    except BaseException:
        with shield():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        raise


def warm_nox_images(root: Path, out_dir: Path) -> Path:
    """Make sure nox's virtualenv for the images session is there (not timed); returns the log."""
    nox = nox_command()
    if not has_images_session(root, nox):
        raise NoxUnavailable(f"{root / 'noxfile.py'} has no `images` session")
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path = out_dir / "nox-images.log"
    with open(log_path, "a", encoding="utf-8") as sink:
        warm = run_passing_interrupts(nox_images_argv(nox, out_dir, install_only=True), root, sink)
    if warm != 0:
        raise NoxUnavailable(f"nox could not set up the images session (exit {warm}; log: {log_path})")
    return log_path


def time_nox_images(root: Path, out_dir: Path, sequential: bool = False) -> NoxRun:
    """Time `nox -s images` (with `-- --sequential` when asked); run `warm_nox_images` first."""
    nox = nox_command()
    log_path = out_dir / "nox-images.log"
    argv = nox_images_argv(nox, out_dir, sequential=sequential)
    with open(log_path, "a", encoding="utf-8") as sink:
        sink.write(f"\n----- timed run: {' '.join(argv[1:])} -----\n")
        sink.flush()
        start = time.monotonic()
        returncode = run_passing_interrupts(argv, root, sink)
        wall = time.monotonic() - start
    report: dict[str, Any] = {}
    report_path = Path(argv[argv.index("--json") + 1])
    if report_path.is_file():
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            report = {}
    return NoxRun(
        argv=argv,
        wall_seconds=round(wall, 1),
        returncode=returncode,
        log_path=str(log_path),
        report=report,
    )
