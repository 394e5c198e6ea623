"""The card's HEALTHCHECKs: verbatim from the card, and no --start-interval."""

from pathlib import Path

import pytest

from dockyard.bench.cardway import CARD_HEALTHCHECKS, CardWayError, card_dockerfile
from dockyard.docker.buildx import build_stdin_args

CARD = Path("/work/shared/reference-card.md")


def test_derived_dockerfile_is_the_image_plus_the_card_s_healthcheck():
    text = card_dockerfile("dockyard.local/refsite-web:bench-1", "web")
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert lines[0] == "FROM dockyard.local/refsite-web:bench-1"
    assert lines[1] == "HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 \\"
    assert lines[2].strip() == "CMD curl -f http://127.0.0.1:80/health/ || exit 1"
    assert len(lines) == 3


def test_celery_probe_is_the_card_s_inspect_ping_without_a_destination():
    text = card_dockerfile("img:1", "celery-unified")
    assert "--interval=60s --timeout=15s --start-period=60s --retries=3" in text
    assert "CMD celery --app config.celery inspect ping --timeout 10 || exit 1" in text
    assert "--destination" not in text


def test_no_start_interval_anywhere():
    for target in CARD_HEALTHCHECKS:
        assert "start-interval" not in card_dockerfile("img:1", target)


@pytest.mark.skipif(not CARD.is_file(), reason="the reference card is not on this machine")
def test_healthchecks_match_the_reference_card_text():
    card = CARD.read_text(encoding="utf-8")
    for instruction in CARD_HEALTHCHECKS.values():
        assert instruction in card


def test_unknown_target_and_bad_image_are_refused():
    with pytest.raises(CardWayError, match="no HEALTHCHECK for target 'flower'"):
        card_dockerfile("img:1", "flower")
    with pytest.raises(CardWayError, match="not an image reference"):
        card_dockerfile("img:1\nRUN rm -rf /", "web")


def test_build_reads_the_dockerfile_from_stdin_with_no_context():
    assert build_stdin_args("t:1") == ["buildx", "build", "--quiet", "--tag", "t:1", "-"]
