"""Which stand-in an upstream image gets, and the one error line a Dockerfile that needs an image
this machine cannot get earns (hard-coded FROM, # syntax=, a bake target that does not pass
BASE_IMAGE)."""

from pathlib import Path

import pytest

from dockyard.build.base_images import (
    STAND_INS,
    base_arg_default,
    check_pullable,
    local_stand_in,
    parser_directives,
    project_base_image,
    stand_in_for,
    uses_base_arg,
)
from dockyard.core.errors import ConfigError
from dockyard.dockerfile.parser import parse_dockerfile_text


def dockerfile(text: str):
    return parse_dockerfile_text(text, Path("deployment/Dockerfile"))


@pytest.mark.parametrize(
    "upstream, tag",
    [
        ("python:3.11-slim-bookworm", "dockyard-local/python:3.11-bookworm"),
        ("python:3.11", "dockyard-local/python:3.11-bookworm"),
        ("python:3.13-slim", "dockyard-local/python:3.13-trixie"),
        ("docker.io/library/python:3.13-slim-trixie", "dockyard-local/python:3.13-trixie"),
        ("postgres:17-alpine", "dockyard-local/postgres:17"),
        ("postgres:15.4", "dockyard-local/postgres:15"),
        ("redis:7.2", "dockyard-local/redis:7"),
        ("redis:8", "dockyard-local/redis:8"),
        ("dockyard-local/redis:8", "dockyard-local/redis:8"),
        ("python:3.12-slim", None),
        ("postgres:16", None),
        ("redis", None),
        ("node:20", None),
    ],
)
def test_stand_in_for(upstream, tag):
    found = stand_in_for(upstream)
    assert (found.tag if found else None) == tag


def test_stand_ins_come_from_the_suite_that_has_the_version():
    suites = {i.tag: i.suite for i in STAND_INS}
    assert suites["dockyard-local/python:3.13-trixie"] == "trixie"
    assert suites["dockyard-local/postgres:17"] == "trixie"
    assert suites["dockyard-local/postgres:15"] == "bookworm"
    assert dict(next(i for i in STAND_INS if i.tag.endswith("postgres:17")).build_args) == {"PG_MAJOR": "17"}


def test_local_stand_in_names_what_exists_when_there_is_none():
    assert local_stand_in("postgres:17") == "dockyard-local/postgres:17"
    assert local_stand_in("postgres:16", "my/postgres:16") == "my/postgres:16"
    with pytest.raises(ConfigError, match=r"postgres:16 cannot be pulled here and dockyard has no stand-in"):
        local_stand_in("postgres:16")


def test_the_base_image_is_the_dockerfiles_base_image_argument():
    parsed = dockerfile("ARG BASE_IMAGE=python:3.13-slim-trixie\nFROM ${BASE_IMAGE} AS base\nFROM base AS web\n")
    assert base_arg_default(parsed) == "python:3.13-slim-trixie" and uses_base_arg(parsed)
    assert project_base_image("", parsed) == "python:3.13-slim-trixie"
    assert project_base_image("python:3.11-slim", parsed) == "python:3.11-slim"
    assert not uses_base_arg(dockerfile("FROM python:3.13-slim\n"))


def test_a_hard_coded_base_that_cannot_be_pulled_is_one_line_saying_what_to_change():
    parsed = dockerfile("# a comment\nFROM python:3.13-slim AS base\nRUN true\n")
    with pytest.raises(ConfigError) as error:
        check_pullable(parsed, {}, exists=lambda ref: False)
    assert str(error.value) == (
        "deployment/Dockerfile:2: FROM python:3.13-slim cannot be pulled here and is hard-coded: write "
        "`ARG BASE_IMAGE=python:3.13-slim` before the first FROM and `FROM ${BASE_IMAGE}` here, so dockyard "
        "can pass its stand-in dockyard-local/python:3.13-trixie"
    )
    check_pullable(parsed, {}, exists=lambda ref: True)  # a registry answers: nothing to say


def test_a_syntax_line_needs_a_registry():
    parsed = dockerfile("# syntax=docker/dockerfile:1\nARG BASE_IMAGE=python:3.11\nFROM ${BASE_IMAGE}\n")
    assert [(d.line, d.name, d.value) for d in parser_directives(parsed)] == [(1, "syntax", "docker/dockerfile:1")]
    with pytest.raises(ConfigError, match=r"^deployment/Dockerfile:1: `# syntax=docker/dockerfile:1` makes BuildKit"):
        check_pullable(parsed, {"BASE_IMAGE": "dockyard-local/python:3.11-bookworm"}, exists=lambda r: "local" in r)
    later = dockerfile("# a comment first\n# syntax=docker/dockerfile:1\nFROM scratch\n")
    assert parser_directives(later) == []  # BuildKit reads directives only at the very top


def test_the_stand_in_must_reach_the_dockerfile_through_the_bake_target():
    parsed = dockerfile("ARG BASE_IMAGE=python:3.13-slim-trixie\nFROM ${BASE_IMAGE}\n")
    check_pullable(parsed, {"BASE_IMAGE": "dockyard-local/python:3.13-trixie"}, exists=lambda r: "local" in r)
    with pytest.raises(ConfigError, match="the bake target does not pass BASE_IMAGE"):
        check_pullable(parsed, {}, exists=lambda r: "local" in r)
    with pytest.raises(
        ConfigError, match="base image python:3.13-slim-trixie cannot be pulled .*invoke base.bootstrap"
    ):
        check_pullable(parsed, {"BASE_IMAGE": "python:3.13-slim-trixie"}, exists=lambda r: False)


def test_base_image_from_the_environment_is_used_as_it_is(tmp_path, monkeypatch):
    """Issue 14, defect 8: BASE_IMAGE in the environment wins; nothing is chosen (nor asked of the engine)."""
    from dockyard.build.runner import bake_environment
    from dockyard.core.project import Project

    (tmp_path / "deployment").mkdir()
    (tmp_path / "deployment" / "Dockerfile.multistage").write_text(
        "ARG BASE_IMAGE=python:3.13-slim\nFROM ${BASE_IMAGE}\n"
    )
    monkeypatch.setenv("BASE_IMAGE", "registry.example/python:3.13-custom")
    env = bake_environment(Project(tmp_path), {}, log=lambda m: None)
    assert env["BASE_IMAGE"] == "registry.example/python:3.13-custom"


def test_a_dockerfile_without_the_argument_gets_no_stand_in(tmp_path, monkeypatch):
    from dockyard.build.runner import bake_environment
    from dockyard.core.project import Project

    (tmp_path / "deployment").mkdir()
    (tmp_path / "deployment" / "Dockerfile.multistage").write_text("FROM python:3.13-slim\n")
    monkeypatch.delenv("BASE_IMAGE", raising=False)
    notes: list[str] = []
    env = bake_environment(Project(tmp_path), {}, log=notes.append)
    assert "BASE_IMAGE" not in env and notes == []  # never "using the local stand-in" when it will not be used
