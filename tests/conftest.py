"""Suite-wide settings: tests under tests/engine/ (and tests/faults/engine/) need a real Docker Engine and
get the `engine` marker; tests under tests/faults/ (the fault-injection suite, dockyard's entry points
in subprocesses) get the `faults` marker."""

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests (tests/faults/test_properties.py, tests/unit/...): the same examples on every run
# and every machine, no example database written into the checkout, no per-example deadline on a
# shared 2-core CI machine. Each test still bounds its own max_examples.
settings.register_profile("dockyard", derandomize=True, database=None, deadline=None, print_blob=True)
settings.load_profile("dockyard")

ENGINE_DIRS = (Path(__file__).parent / "engine", Path(__file__).parent / "faults" / "engine")
FAULTS_DIR = Path(__file__).parent / "faults"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(d in Path(str(item.fspath)).parents for d in ENGINE_DIRS):
            item.add_marker(pytest.mark.engine)
        if FAULTS_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)
