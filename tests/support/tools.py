"""Which outside tools this machine has (tests that need one skip without it)."""

from __future__ import annotations

import shutil
import subprocess


def buildx_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "buildx", "version"], capture_output=True, text=True)
    return probe.returncode == 0
