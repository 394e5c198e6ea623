import json

import pytest

from dockyard.build.bake_print import bake_argv, parse_print_output
from dockyard.core.errors import ConfigError, UnknownTarget

PRINTED = json.dumps({
    "group": {"default": {"targets": ["essential"]}, "essential": {"targets": ["web", "celery-unified"]},
              "all": {"targets": ["essential", "flower", "web"]}},
    "target": {
        "web": {"context": ".", "dockerfile": "d", "target": "runtime-full", "tags": ["r/web:1"]},
        "celery-unified": {"context": ".", "dockerfile": "d", "target": "celery-unified", "tags": ["r/c:1"]},
        "flower": {"context": ".", "dockerfile": "d", "target": "runtime-minimal", "tags": ["r/f:1"]},
    },
})


def test_groups_expand_in_order_without_repeats():
    definition = parse_print_output(PRINTED)
    assert definition.resolve(["all"]) == ["web", "celery-unified", "flower"]
    assert definition.resolve(["flower", "essential"]) == ["flower", "web", "celery-unified"]


def test_unknown_target_names_the_known_ones():
    with pytest.raises(UnknownTarget, match=r"unknown bake target 'nope' \(known: all, celery-unified"):
        parse_print_output(PRINTED).resolve(["nope"])


def test_malformed_print_output_is_a_config_error():
    with pytest.raises(ConfigError):
        parse_print_output("not json")


def test_argv_is_a_list_with_flags_before_targets():
    from pathlib import Path

    argv = bake_argv(Path("b.hcl"), ["web"], no_cache=True, overrides=["*.platform=linux/amd64"])
    assert argv == ["docker", "buildx", "bake", "-f", "b.hcl", "--progress=plain", "--no-cache",
                    "--set", "*.platform=linux/amd64", "web"]
