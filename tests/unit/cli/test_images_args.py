from pathlib import Path

import pytest

from dockyard.cli.images import parse_args


def test_targets_and_options_pass_through():
    options, progress = parse_args(
        [
            "web",
            "flower",
            "--source",
            "head",
            "--no-cache",
            "--keep-images",
            "--json",
            "r.json",
            "--junit",
            "j.xml",
            "--progress",
            "plain",
        ]
    )
    assert options.targets == ["web", "flower"] and options.source == "head"
    assert options.no_cache and options.keep_images and progress == "plain"
    assert options.json_path == Path("r.json") and options.junit_path == Path("j.xml")


def test_defaults():
    options, progress = parse_args([])
    assert options.targets == [] and options.source == "worktree" and not options.keep_images
    assert progress == "auto"


def test_unknown_source_is_refused():
    with pytest.raises(SystemExit):
        parse_args(["--source", "index"])
