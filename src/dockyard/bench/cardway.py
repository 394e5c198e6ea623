"""The card's way of declaring health: its HEALTHCHECK lines, on top of the images as built.

To compare "healthy as soon as the service answers" with the card's HEALTHCHECKs in one run, the
bench derives, from each image, one whose only difference is the card's HEALTHCHECK instruction
(checklist item 2, verbatim). A Dockerfile `HEALTHCHECK` replaces the inherited one as a whole, so
the derived image has no `--start-interval`, exactly like the card's.

Overriding at `docker run` time would not be faithful: the engine fills every option left at zero
(`--health-start-interval` included) from the image, so the image's 1 s start interval would stay.
With no start interval, Docker Engine < 27 runs the first probe one `--interval` after the start
(30 s web, 60 s celery); Engine 27+ probes every 5 s during the start period (moby/moby#47799).
"""

from __future__ import annotations

from dockyard.core.errors import DockyardError
from dockyard.docker import buildx

# Reference card, "40-Minute Pre-Deployment Checklist", item 2 "Enable Health Checks".
CARD_HEALTHCHECKS = {
    "web": (
        "HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 \\\n"
        "    CMD curl -f http://127.0.0.1:80/health/ || exit 1"
    ),
    "celery-unified": (
        "HEALTHCHECK --interval=60s --timeout=15s --start-period=60s --retries=3 \\\n"
        "    CMD celery --app config.celery inspect ping --timeout 10 || exit 1"
    ),
}


class CardWayError(DockyardError):
    """The image with the card's HEALTHCHECK could not be made."""


def card_dockerfile(image: str, target: str) -> str:
    """A Dockerfile deriving `image` with the card's HEALTHCHECK for `target`."""
    if target not in CARD_HEALTHCHECKS:
        raise CardWayError(
            f"the card declares no HEALTHCHECK for target '{target}' (it does for: {', '.join(CARD_HEALTHCHECKS)})"
        )
    if not image or any(c.isspace() for c in image):
        raise CardWayError(f"not an image reference: {image!r}")
    return (
        f"# {target} as built, with the reference card's HEALTHCHECK (checklist item 2)\n"
        f"FROM {image}\n{CARD_HEALTHCHECKS[target]}\n"
    )


def build_card_image(image: str, target: str, tag: str) -> str:
    """Build the derived image under `tag` (only a metadata change: no layer is added)."""
    dockerfile = card_dockerfile(image, target)
    try:
        buildx.build_from_stdin(dockerfile, tag)
    except DockyardError as exc:
        raise CardWayError(f"could not derive {target} with the card's HEALTHCHECK from {image}: {exc}") from None
    return tag
