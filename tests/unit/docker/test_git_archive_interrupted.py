"""An export interrupted mid-stream ends at once (issue 14, defect 3: `rollback.full` hung after a
SIGTERM sent to its process only, waiting for a `git archive` blocked on a pipe no one read)."""

from __future__ import annotations

import os
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from dockyard.docker import git


@pytest.fixture
def big_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.txt").write_text("first\n")
    (repo / "big.bin").write_bytes(os.urandom(4 * 1024 * 1024))  # far more than a pipe holds
    run = lambda *args: subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    run("add", ".")
    run("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "c")
    return repo


def test_an_interrupted_archive_stops_git_and_returns(big_repo: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self, member, path="", **kwargs):  # noqa: ANN001, ANN202
        raise KeyboardInterrupt

    monkeypatch.setattr(tarfile.TarFile, "extract", interrupted)
    outcome: list[BaseException] = []

    def export() -> None:
        try:
            git.archive(big_repo, "HEAD", tmp_path / "out")
        except BaseException as exc:  # noqa: BLE001 - the interruption is what is looked for
            outcome.append(exc)

    worker = threading.Thread(target=export, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "archive() waited for a git that could not finish"
    assert len(outcome) == 1 and isinstance(outcome[0], KeyboardInterrupt)


def test_an_archive_still_exports_every_file(big_repo: Path, tmp_path: Path) -> None:
    files, size = git.archive(big_repo, "HEAD", tmp_path / "out")
    assert files == 2 and size == 4 * 1024 * 1024 + len("first\n")
    assert (tmp_path / "out" / "a.txt").read_text() == "first\n"
