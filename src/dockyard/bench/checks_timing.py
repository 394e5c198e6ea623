"""Wall time of `nox -s images`, and of the same image checks with the card's HEALTHCHECKs.

`nox -s images` is timed as a user types it (nox recreates the session's virtualenv, as it does by
default; a not-timed `--install-only` run first fills pip's cache), on a warm build cache. Its
own report (JSON) is written into the bench's output directory, not over the developer's.

The comparison with "the card's way" runs the same checks (`dockyard.images.pipeline.check_targets`)
twice in this process: on the images as built, and on the same images with the card's
HEALTHCHECKs (see `cardway`). Both get the same, generous startup budget, so the checks wait until
each container is healthy instead of giving up at the card's 60 s. The card's way for the whole
`nox -s images` is then derived: its wall time, less the checks as built, plus the checks the
card's way.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dockyard.core.errors import DockyardError
from dockyard.core.run import run_id
from dockyard.core.settings import ChecksSettings
from dockyard.core.signals import shield

if TYPE_CHECKING:
    from dockyard.runtime.site import Site

CHECK_STARTUP_SECONDS = 240  # startup budget in both check runs: long enough for the card's 60 s interval


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
        if inner is not None:
            parts.append(f"session overhead (virtualenv, install) {self.wall_seconds - inner:.0f} s")
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


def nox_images_argv(nox: str, report_dir: Path, install_only: bool = False) -> list[str]:
    argv = [nox, "--non-interactive", "-s", "images"]
    if install_only:
        return argv[:1] + ["--install-only"] + argv[1:]
    return argv + [
        "--",
        "--json",
        str(report_dir / "nox-images.json"),
        "--junit",
        str(report_dir / "nox-images-junit.xml"),
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


def time_nox_images(root: Path, out_dir: Path, log: Callable[[str], None]) -> NoxRun:
    """Warm nox's virtualenv and pip's cache (not timed), then time `nox -s images`."""
    nox = nox_command()
    if not has_images_session(root, nox):
        raise NoxUnavailable(f"{root / 'noxfile.py'} has no `images` session")
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path = out_dir / "nox-images.log"
    with open(log_path, "w", encoding="utf-8") as sink:
        warm = run_passing_interrupts(nox_images_argv(nox, out_dir, install_only=True), root, sink)
        if warm != 0:
            raise NoxUnavailable(f"nox could not set up the images session (exit {warm}; log: {log_path})")
        sink.write("\n----- timed run -----\n")
        sink.flush()
        argv = nox_images_argv(nox, out_dir)
        start = time.monotonic()
        returncode = run_passing_interrupts(argv, root, sink)
        wall = time.monotonic() - start
    report: dict[str, Any] = {}
    report_path = out_dir / "nox-images.json"
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


def with_startup_budget(settings: ChecksSettings, seconds: float) -> ChecksSettings:
    """The same settings with every target's startup budget set to `seconds`."""
    return dataclasses.replace(
        settings,
        top={**settings.top, "startup_seconds": seconds},
        tables={name: {**values, "startup_seconds": seconds} for name, values in settings.tables.items()},
    )


@dataclass
class ChecksRun:
    images: dict[str, str]
    wall_seconds: float
    results: list[dict[str, Any]]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.results if not r.get("passed")]

    def healthy_seconds(self) -> dict[str, float | None]:
        return {r["target"]: r.get("value") for r in self.results if r.get("name") == "healthy"}

    def detail(self) -> str:
        healthy = ", ".join(
            f"{t} healthy {v:.0f} s" if v is not None else f"{t} not healthy" for t, v in self.healthy_seconds().items()
        )
        return f"{len(self.results) - len(self.failed)}/{len(self.results)} checks passed" + (
            f"; {healthy}" if healthy else ""
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "wall_seconds": self.wall_seconds,
            "results": [
                {k: r.get(k) for k in ("target", "name", "passed", "measured", "seconds")} for r in self.results
            ],
        }


def time_checks(
    targets: list[str],
    images: dict[str, str],
    settings: ChecksSettings,
    run_id: str,
    log: Callable[[str], None],
    site: Site | None = None,
) -> ChecksRun:
    """Run `nox -s images`'s checks (not its build) on the given images; wall time and results.
    `site` gives the checks the site's environment and its postgres/redis images."""
    from dockyard.images.pipeline import check_targets

    start = time.monotonic()
    results = check_targets(targets, images, settings, run_id, log, site=site)
    wall = time.monotonic() - start
    return ChecksRun(images=dict(images), wall_seconds=round(wall, 1), results=[r.to_dict() for r in results])


def derived_card_way(nox_wall: float, own_checks: float, card_checks: float) -> float:
    """`nox -s images` with the card's HEALTHCHECKs: its wall time with the checks swapped."""
    return round(max(0.0, nox_wall - own_checks) + card_checks, 1)
