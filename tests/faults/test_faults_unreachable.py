"""The engine does not answer: every task that needs it says so in one `error:` line (naming where
it looked), exits non-zero, and leaves no temp dir behind. (A missing docker CLI, with the engine
up: engine/test_faults_build.py.)"""

from __future__ import annotations

import os
import shutil
import sys

import pytest
from faults.harness import Sandbox, expect_failure, expect_success

ENGINE_TASKS = [
    "build.web",
    "build.essential --progress plain",
    "test.web",
    "test.celery",
    "test.compose",
    "test.security",
    "test.health",
    "test.health --name some-name",
    "troubleshoot.container some-name",
    "troubleshoot.beat some-name",
    "troubleshoot.size some-image",
    "troubleshoot.build web",
    "prune --dry-run",
    "deploy web --tag abc1234 --dry-run",
    "images_run web",
]


def run(sandbox: Sandbox, command: str, **kwargs):  # noqa: ANN003, ANN201
    words = command.split()
    if words[0] == "images_run":
        return sandbox.module("dockyard.images_run", *words[1:], **kwargs)
    return sandbox.invoke(*words, **kwargs)


ENV = {"CAPROVER_URL": "http://127.0.0.1:9", "CAPROVER_APP_TOKEN": "token-for-unreachable-tests"}


@pytest.mark.parametrize("command", ENGINE_TASKS)
def test_an_engine_that_does_not_answer(sandbox: Sandbox, command: str) -> None:
    result = run(sandbox, command, env=ENV, timeout=90)
    expect_failure(result, "not reachable", sandbox.tripwire.path)
    sandbox.assert_no_leaks(within=0)


def test_rollback_full_with_an_engine_that_does_not_answer(sandbox: Sandbox) -> None:
    """rollback.full exports the ref into a temp dir before it builds: the dir must go too."""
    sha = sandbox.commit("a ref to roll back to")
    result = sandbox.invoke("rollback.full", sha, "--yes", env=ENV, timeout=90)
    expect_failure(result, "not reachable")
    sandbox.assert_no_leaks(within=0)


@pytest.fixture
def path_without_docker(tmp_path) -> str:  # noqa: ANN001
    """A PATH holding git, sh and coreutils-like tools but no `docker`."""
    bin_dir = tmp_path / "bin-without-docker"
    bin_dir.mkdir()
    for tool in ("git", "sh", "env", "id", "uname"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, bin_dir / tool)
    return f"{bin_dir}:{os.path.dirname(sys.executable)}"


def test_lint_without_docker_cli_still_lints(sandbox: Sandbox, path_without_docker: str) -> None:
    """lint reads the bake file with python-hcl2 when buildx is missing: still a clean result."""
    result = sandbox.invoke("lint", "--no-hadolint", env={"PATH": path_without_docker}, timeout=60)
    expect_success(result)
