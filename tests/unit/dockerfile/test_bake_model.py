"""The bake model: groups resolved to targets, and what `bake` is asked to run and wrote."""

from pathlib import Path

import pytest

from dockyard.core.errors import UnknownTarget
from dockyard.docker.buildx import bake_argv, image_names, read_metadata
from dockyard.dockerfile.bake import BakeFile, BakeTarget, scan_file


def bake_file(groups: dict[str, list[str]], *targets: str) -> BakeFile:
    return BakeFile(
        path=Path("b.hcl"),
        lines=[],
        targets={t: BakeTarget(name=t, line=1) for t in targets},
        groups=groups,
        parser="buildx",
    )


DEFINITION = bake_file(
    {"default": ["essential"], "essential": ["web", "celery-unified"], "all": ["essential", "flower", "web"]},
    "web",
    "celery-unified",
    "flower",
)


def test_groups_expand_in_order_without_repeats():
    assert DEFINITION.resolve(["all"]) == ["web", "celery-unified", "flower"]
    assert DEFINITION.resolve(["flower", "essential"]) == ["flower", "web", "celery-unified"]


def test_unknown_target_names_the_known_ones():
    with pytest.raises(UnknownTarget, match=r"unknown bake target 'nope' \(known: all, celery-unified, essential"):
        DEFINITION.resolve(["nope"])


def test_argv_asks_for_json_progress_and_a_metadata_file():
    argv = bake_argv(Path("b.hcl"), ["web"], Path("/tmp/m.json"), no_cache=True, overrides=["*.platform=linux/amd64"])
    assert argv == [
        "buildx", "bake", "-f", "b.hcl", "--progress=rawjson", "--metadata-file", "/tmp/m.json",
        "--no-cache", "--set", "*.platform=linux/amd64", "web",
    ]  # fmt: skip


def test_metadata_names_every_tag_without_the_default_registry(tmp_path):
    # written by buildx 0.13.1 for a target with two tags and one in a registry with a dot
    (tmp_path / "m.json").write_text(
        '{"t": {"buildx.build.ref": "default/default/x", "containerimage.digest": "sha256:ce",'
        ' "image.name": "docker.io/library/r10-probe:latest,docker.io/library/r10-probe:v2"},'
        ' "web": {"image.name": "dockyard.local/refsite-web:abc"}}'
    )
    metadata = read_metadata(tmp_path / "m.json")
    assert image_names(metadata["t"]) == ["r10-probe:latest", "r10-probe:v2"]
    assert image_names(metadata["web"]) == ["dockyard.local/refsite-web:abc"]
    assert read_metadata(tmp_path / "absent.json") == {}


def test_text_scan_finds_targets_groups_and_literal_stages(tmp_path):
    path = tmp_path / "docker-bake.hcl"
    path.write_text(
        'variable "TAG" { default = "latest" }\n'
        'target "_common" {\n  dockerfile = "Dockerfile"\n}\n'
        'target "api" {\n  inherits = ["_common"]\n  target = "runtime"\n  tags = ["x/api:${TAG}"]\n}\n'
        'target "worker" {\n  inherits = ["_common"]\n  target = "${STAGE}"\n}\n'
        'group "all" {\n  targets = ["api", "worker"]\n}\n'
    )
    scanned = scan_file(path)
    assert list(scanned.groups) == ["all"] and scanned.groups["all"] == ["api", "worker"]
    assert scanned.targets["api"].stage == "runtime" and scanned.targets["worker"].stage is None
    assert scanned.is_template("_common") and not scanned.is_template("api")
