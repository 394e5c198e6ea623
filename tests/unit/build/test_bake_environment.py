"""Which BASE_IMAGE a build gets (issue 14, defect 8: BASE_IMAGE from the environment was ignored)."""

from pathlib import Path

import pytest

from dockyard.build import runner
from dockyard.core.project import Project


@pytest.fixture
def chosen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """dockyard's own choice (upstream or local stand-in) stubbed: it asks the Engine and a registry."""
    calls: list[str] = []

    def choose(upstream: str, local: str, log=None) -> str:  # noqa: ANN001
        calls.append(upstream)
        return "dockyard-choice:1"

    monkeypatch.setattr(runner, "choose_base_image", choose)
    monkeypatch.setenv("DOCKYARD_CA_CERTS", "")
    return calls


def test_base_image_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch, chosen: list[str]) -> None:
    monkeypatch.setenv("BASE_IMAGE", "dockyard-local/redis:7")
    env = runner.bake_environment(Project(Path("/p")), {}, log=lambda message: None)
    assert env["BASE_IMAGE"] == "dockyard-local/redis:7"
    assert chosen == []


def test_a_bake_variable_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch, chosen: list[str]) -> None:
    monkeypatch.setenv("BASE_IMAGE", "from-env:1")
    env = runner.bake_environment(Project(Path("/p")), {"BASE_IMAGE": "from-caller:2"}, log=lambda message: None)
    assert env["BASE_IMAGE"] == "from-caller:2"


@pytest.mark.parametrize("value", [None, "", "  "])
def test_without_one_dockyard_chooses(monkeypatch: pytest.MonkeyPatch, chosen: list[str], value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("BASE_IMAGE", raising=False)
    else:
        monkeypatch.setenv("BASE_IMAGE", value)
    env = runner.bake_environment(Project(Path("/p")), {}, log=lambda message: None)
    assert env["BASE_IMAGE"] == "dockyard-choice:1"
    assert chosen == [Project(Path("/p")).settings.base_image]
