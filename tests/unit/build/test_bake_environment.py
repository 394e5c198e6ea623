"""Which BASE_IMAGE a build gets (issue 14, defect 8: BASE_IMAGE from the environment was ignored)."""

from pathlib import Path

import pytest

from dockyard.build import runner
from dockyard.core.project import Project


@pytest.fixture
def chosen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """dockyard's own choice (upstream or local stand-in) stubbed: it asks the Engine and a registry."""
    calls: list[str] = []

    def choose(upstream: str, local: str = "", log=None) -> str:  # noqa: ANN001
        calls.append(upstream)
        return "dockyard-choice:1"

    monkeypatch.setattr(runner, "choose_image", choose)
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


def _project_with(root: Path, dockerfile: str) -> Project:
    project = Project(root)
    path = root / project.settings.dockerfile
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dockerfile)
    return project


@pytest.mark.parametrize("value", [None, "", "  "])
def test_without_one_dockyard_chooses(
    monkeypatch: pytest.MonkeyPatch, chosen: list[str], value: str | None, tmp_path: Path
) -> None:
    if value is None:
        monkeypatch.delenv("BASE_IMAGE", raising=False)
    else:
        monkeypatch.setenv("BASE_IMAGE", value)
    project = _project_with(tmp_path, "ARG BASE_IMAGE=python:3.13-slim-trixie\nFROM ${BASE_IMAGE} AS base\n")
    env = runner.bake_environment(project, {}, log=lambda message: None)
    assert env["BASE_IMAGE"] == "dockyard-choice:1"
    assert chosen == ["python:3.13-slim-trixie"]  # the Dockerfile's own default


def test_a_dockerfile_without_the_argument_gets_no_choice(
    monkeypatch: pytest.MonkeyPatch, chosen: list[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("BASE_IMAGE", raising=False)
    project = _project_with(tmp_path, "FROM python:3.13-slim-trixie AS base\n")
    env = runner.bake_environment(project, {}, log=lambda message: None)
    assert "BASE_IMAGE" not in env and chosen == []
