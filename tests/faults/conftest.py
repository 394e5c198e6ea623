"""Fixtures of the fault-injection suite: a throwaway project per test, run through the real entry points.

Tests in this directory run without the Docker Engine (DOCKER_HOST is a tripwire socket, see
harness.Tripwire); tests in engine/ use the real engine and get the `engine` marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from faults.harness import Sandbox, make_template


@pytest.fixture(scope="session")
def project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's tracked files, committed in a throwaway git repository (made once)."""
    return make_template(tmp_path_factory.mktemp("faults-template") / "site")


@pytest.fixture
def uses_engine() -> bool:
    return False


@pytest.fixture
def sandbox(project_template: Path, tmp_path: Path, uses_engine: bool) -> Iterator[Sandbox]:
    box = Sandbox.create(project_template, tmp_path, engine=uses_engine)
    try:
        yield box
    finally:
        box.close()
