"""Bake files: buildx --print and the python-hcl2 fallback agree; lines map back to blocks."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support.tools import buildx_available

from dockyard.core.errors import ConfigError
from dockyard.dockerfile.bake import BakeError, load_bake, scan

BAKE = """# a bake file like the project's
variable "REGISTRY" {
  default = "dockyard.local"
}
variable "TAG" {
  default = "latest"
}
variable "BASE_IMAGE" {
  default = "python:3.11-slim-bookworm"
}
variable "CA_CERTS" {
  default = ""
}

function "image" {
  params = [name]
  result = ["${REGISTRY}/refsite-${name}:${TAG}"]
}

group "default" {
  targets = ["essential"]
}

group "essential" {
  targets = ["web", "celery-unified"]
}

target "_common" {
  context    = "."
  dockerfile = "deployment/Dockerfile.multistage"
  args = {
    BASE_IMAGE = BASE_IMAGE
    PLAIN      = "x-${TAG}"
  }
  secret = CA_CERTS != "" ? ["id=ca-certs,src=${CA_CERTS}"] : []
}

target "web" {
  inherits = ["_common"]
  target   = "runtime-full"
  tags     = ["${REGISTRY}/refsite-web:${TAG}"]
}

target "celery-unified" {
  inherits = ["_common"]
  target = "celery-unified"
  args = { EXTRA = "1" }
}

target "lone" { target = "lone-stage" }

target "test" {
  inherits = [
    "_common",
  ]
  target = "test"
  tags   = image("test")
}
"""

needs_buildx = pytest.mark.skipif(not buildx_available(), reason="docker buildx is not installed")
PARSERS = [pytest.param("buildx", marks=needs_buildx), "hcl2"]


@pytest.fixture
def bake_file(tmp_path: Path) -> Path:
    path = tmp_path / "docker-bake.hcl"
    path.write_text(BAKE, encoding="utf-8")
    return path


def test_scan_maps_blocks_and_attributes_to_lines() -> None:
    targets, groups = scan(BAKE)
    assert groups == {"default": ["essential"], "essential": ["web", "celery-unified"]}
    assert targets["web"].line == 38
    assert targets["web"].line_of("target") == 40
    assert targets["web"].inherits == ["_common"]
    assert targets["celery-unified"].line_of("target") == 46
    assert targets["lone"].line == targets["lone"].line_of("target") == 50  # a one-line block
    assert targets["test"].inherits == ["_common"]  # a list over several lines
    assert targets["_common"].line_of("dockerfile") == 30
    assert targets["test"].line_of("context") == targets["test"].line  # not set: the block line


@pytest.mark.parametrize("parser", PARSERS)
def test_targets_resolve_context_dockerfile_stage_args(bake_file: Path, parser: str, monkeypatch) -> None:
    monkeypatch.delenv("TAG", raising=False)
    monkeypatch.delenv("BASE_IMAGE", raising=False)
    bake = load_bake(bake_file, parser=parser)
    assert bake.parser == parser
    web = bake.targets["web"]
    assert (web.context, web.dockerfile, web.stage) == (
        ".",
        "deployment/Dockerfile.multistage",
        "runtime-full",
    )
    assert web.args == {"BASE_IMAGE": "python:3.11-slim-bookworm", "PLAIN": "x-latest"}
    assert web.tags == ["dockyard.local/refsite-web:latest"]
    celery = bake.targets["celery-unified"]
    assert celery.stage == "celery-unified"
    assert celery.args["EXTRA"] == "1" and celery.args["BASE_IMAGE"] == "python:3.11-slim-bookworm"
    assert bake.is_template("_common") and not bake.is_template("web")
    assert bake.targets["test"].tags == ["dockyard.local/refsite-test:latest"]  # a function call
    assert bake.targets["lone"].stage == "lone-stage"


@pytest.mark.parametrize("parser", PARSERS)
def test_variables_come_from_the_environment_like_buildx(bake_file: Path, parser: str, monkeypatch) -> None:
    monkeypatch.setenv("BASE_IMAGE", "dockyard-local/python:3.11-bookworm")
    monkeypatch.setenv("TAG", "abc123")
    bake = load_bake(bake_file, parser=parser)
    assert bake.targets["web"].args["BASE_IMAGE"] == "dockyard-local/python:3.11-bookworm"
    assert bake.targets["web"].tags == ["dockyard.local/refsite-web:abc123"]


@needs_buildx
def test_buildx_print_needs_no_engine(bake_file: Path, monkeypatch) -> None:
    """`bake --print` only evaluates the file: it works with DOCKER_HOST pointing at nothing."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    bake = load_bake(bake_file, parser="buildx")
    assert bake.parser == "buildx"
    assert bake.targets["test"].stage == "test"
    assert bake.targets["test"].tags == ["dockyard.local/refsite-test:latest"]  # functions evaluated too


def test_auto_falls_back_to_hcl2_without_docker(bake_file: Path, monkeypatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("docker") is None
    bake = load_bake(bake_file, parser="auto")
    assert bake.parser == "hcl2"
    assert bake.targets["web"].stage == "runtime-full"
    with pytest.raises(ConfigError, match="bake_parser is buildx"):
        load_bake(bake_file, parser="buildx")


@pytest.mark.parametrize("parser", PARSERS)
def test_errors_carry_the_line(tmp_path: Path, parser: str) -> None:
    path = tmp_path / "docker-bake.hcl"
    path.write_text('target "a" {\n  dockerfile = "Dockerfile"\n  target =\n}\n', encoding="utf-8")
    with pytest.raises(BakeError) as caught:
        load_bake(path, parser=parser)
    assert caught.value.line == 3


@needs_buildx
def test_unknown_inherits_is_a_bake_error(tmp_path: Path) -> None:
    path = tmp_path / "docker-bake.hcl"
    path.write_text('target "a" {\n  inherits = ["nope"]\n}\n', encoding="utf-8")
    with pytest.raises(BakeError, match="nope"):
        load_bake(path, parser="buildx")
    with pytest.raises(BakeError, match="nope"):
        load_bake(path, parser="hcl2")


def test_unknown_parser_setting_is_rejected(bake_file: Path) -> None:
    with pytest.raises(ConfigError, match="auto, buildx or hcl2"):
        load_bake(bake_file, parser="magic")


def test_environment_is_not_changed(bake_file: Path) -> None:
    before = dict(os.environ)
    load_bake(bake_file, parser="hcl2")
    assert dict(os.environ) == before


@needs_buildx
@pytest.mark.parametrize("name", ["project", "fixtures"])
def test_the_fallback_reads_real_bake_files_like_buildx(name: str) -> None:
    """python-hcl2 + dockyard's evaluation give what `buildx bake --print` gives, per target."""
    root = Path(__file__).resolve().parents[3]
    files = (
        [root / "deployment" / "docker-bake.multistage.hcl"]
        if name == "project"
        else sorted((root / "tests" / "unit" / "lint" / "fixtures").glob("*/good*/*.hcl"))
    )
    files = [f for f in files if f.is_file()]
    if not files:
        pytest.skip("no bake file")
    for path in files:
        ours, theirs = load_bake(path, parser="hcl2"), load_bake(path, parser="buildx")
        assert set(ours.targets) == set(theirs.targets)
        for target in ours.targets:
            a, b = ours.targets[target], theirs.targets[target]
            assert (a.context, a.dockerfile, a.stage, a.args, a.tags) == (
                b.context,
                b.dockerfile,
                b.stage,
                b.args,
                b.tags,
            ), f"{path}: {target}"
