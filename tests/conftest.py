"""Suite-wide settings: tests under tests/engine/ need a real Docker Engine and get the `engine` marker."""

from pathlib import Path

import pytest

ENGINE_DIR = Path(__file__).parent / "engine"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if ENGINE_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.engine)
