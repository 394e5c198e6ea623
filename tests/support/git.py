"""`git` for tests that make throwaway repositories: a fixed identity, no signing."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(repo: Path | str, *args: str) -> str:
    """Run git in `repo`; its stdout without surrounding whitespace (raises on failure)."""
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid",
         "-c", "commit.gpgsign=false", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
