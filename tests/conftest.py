"""Suite-wide settings: tests under tests/engine/ (and tests/faults/engine/) need a real Docker Engine and
get the `engine` marker."""

from pathlib import Path

import pytest

ENGINE_DIRS = (Path(__file__).parent / "engine", Path(__file__).parent / "faults" / "engine")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(d in Path(str(item.fspath)).parents for d in ENGINE_DIRS):
            item.add_marker(pytest.mark.engine)
