"""The reference site (app/ and its pyproject) as a repository of its own: init's output builds, its
images pass the same image checks as the hand-written deployment's (`nox -s images`), and its web
image is within 10 % of the hand-written web image's size (both measured here)."""

from __future__ import annotations

import sys

from conftest import RUN_ID, STAND_INS, build, remove_images, run, tail
from support.samples import reference_copy

TOLERANCE = 0.10


def test_reference_web_image_within_ten_percent_of_the_hand_written_one(
    refsite_migrated, init_workspace, docker_client, record_property
):
    hand_root = reference_copy(init_workspace / "hand-written", with_deployment=True)
    hand = {}
    try:
        hand = build(hand_root, "web", tag=f"init-hand-{RUN_ID}")
        init_size = docker_client.images.get(refsite_migrated.images["web"]).attrs["Size"]
        hand_size = docker_client.images.get(hand["web"]).attrs["Size"]
    finally:
        remove_images(list(hand.values()))
    ratio = init_size / hand_size
    record_property("init_web_bytes", init_size)
    record_property("hand_written_web_bytes", hand_size)
    print(
        f"reference web image: init {init_size / 1e6:.1f} MB, hand-written {hand_size / 1e6:.1f} MB, ratio {ratio:.3f}"
    )
    assert abs(ratio - 1) <= TOLERANCE


def test_reference_images_from_inits_output_pass_the_image_checks(refsite_migrated):
    proc = run([sys.executable, "-m", "dockyard.images_run"], refsite_migrated.root, **STAND_INS)
    assert proc.returncode == 0, tail(proc, 40)
    assert "0 failed" in proc.stdout


def test_reference_test_compose_passes_on_inits_output(refsite_migrated):
    """The reference site's own contract is the one test.compose knows (port 80, /health/, core.tasks.add),
    so on this site the whole flow passes now: stack healthy, health answer, round trip, heartbeat."""
    proc = run(
        [sys.executable, "-m", "invoke", "test.compose", "--web-image", refsite_migrated.images["web"],
         "--celery-image", refsite_migrated.images["celery-unified"]],
        refsite_migrated.root,
    )  # fmt: skip
    assert proc.returncode == 0, tail(proc, 40)
    assert "PASS compose stack" in proc.stdout
