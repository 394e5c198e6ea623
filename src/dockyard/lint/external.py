"""Start the external tools (`docker buildx bake --print`, hadolint) before anything else, so they
run while Python imports and evaluates the rules."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from dockyard.core.errors import ConfigError
from dockyard.core.settings import LintSettings
from dockyard.dockerfile.bake import PendingBake, start_bake
from dockyard.lint import hadolint
from dockyard.lint.discover import DeploymentFiles, discover


@dataclass
class StartedTools:
    files: DeploymentFiles
    bakes: list[PendingBake]
    hadolint: list[tuple[Path, subprocess.Popen]] | None  # None: not run (disabled / not installed)
    hadolint_wanted: bool
    hadolint_ignore: list[str]
    started_at: float

    def stop(self) -> None:
        """End the tools still running (the run failed or was interrupted): nothing is left behind."""
        processes = [p for _, p in self.hadolint or []] + [b.process for b in self.bakes if b.process is not None]
        for process in processes:
            if process.poll() is None:
                process.kill()
            try:
                process.communicate(timeout=5)
            except (subprocess.TimeoutExpired, ValueError, OSError):
                pass


def start_tools(
    directory: Path,
    root: Path,
    options: LintSettings,
    *,
    run_hadolint: bool = True,
    preferred: dict[str, str] | None = None,
) -> StartedTools:
    started_at = time.perf_counter()
    files = discover(directory, preferred)
    if files.empty:
        raise ConfigError(f"no Dockerfile, bake file (*.hcl) or compose file in {directory}")
    parser = options.bake_parser
    bakes = [start_bake(path, parser=parser, cwd=root) for path in files.bake_files]
    wanted = run_hadolint and options.hadolint
    disabled = [d.upper() for d in options.disable]
    ignore = list(options.hadolint_ignore)
    ignore += sorted(d for d in disabled if d.startswith(("DL", "SC")))
    processes = hadolint.start([p.resolve() for p in files.dockerfiles], ignore) if wanted else None
    return StartedTools(files, bakes, processes, wanted, ignore, started_at)
