"""What the bench measures, what the reference card promised for it, and the project's target.

Card figures are quoted from the card (`/work/shared/reference-card.md`, sections "Success
Metrics", "Performance", "Image Targets", "Architecture Overview"). Ranges keep both ends; the
comparison uses the end most favourable to the card (so "x times better" is never flattered).
Targets are issue 7's ("make them far better").
"""

from __future__ import annotations

from dataclasses import dataclass

LOWER = "lower"  # smaller is better (seconds, bytes)
HIGHER = "higher"  # larger is better (cache hits)


@dataclass(frozen=True)
class CardFigure:
    """A figure of the reference card: `low`..`high` in the metric's unit, and the card's words."""

    low: float
    high: float
    text: str  # as the card says it, e.g. "22-24 min"
    where: str  # the card's section

    def favourable(self, better: str) -> float:
        """The end of the range that is hardest to beat."""
        return self.low if better == LOWER else self.high


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    group: str  # build | size | startup | memory | checks
    unit: str  # s | MB | %
    better: str = LOWER
    card: CardFigure | None = None
    target: float | None = None  # issue 7's target, in `unit`
    info: bool = False  # shown for context; not one of the card's metrics

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "-"
        sign = "<=" if self.better == LOWER else ">="
        return f"{sign} {format_value(self.target, self.unit)}"


def format_value(value: float | None, unit: str) -> str:
    """`95 s` -> "1m 35s"; MB with one decimal below 10; percentages as whole numbers."""
    if value is None:
        return "-"
    if unit == "s":
        if value >= 90:
            minutes, seconds = divmod(round(value), 60)
            return f"{minutes}m {seconds:02d}s"
        return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"
    if unit == "MB":
        if abs(value) >= 1000:
            return f"{value / 1000:.2f} GB"
        return f"{value:.2f} MB" if abs(value) < 10 else f"{value:.0f} MB"
    if unit == "%":
        return f"{value:.0f}%"
    return f"{value:g} {unit}"


MIN = 60.0
WARM_CARD = CardFigure(3 * MIN, 4 * MIN, "3-4 min (cached)", "Performance")
HIT_CARD = CardFigure(70, 70, ">70% cache hits", "Success Metrics")
EDITS = {
    "python": "one Python file",
    "template": "one template",
    "asset": "one JS asset",
}


def _warm(kind: str) -> list[Metric]:
    what = EDITS[kind]
    return [
        Metric(
            f"build.warm.{kind}.seconds",
            f"warm rebuild after changing {what}",
            "build",
            "s",
            card=WARM_CARD,
            target=15,
        ),
        Metric(
            f"build.warm.{kind}.cached_pct",
            f"steps cached, {what} changed",
            "build",
            "%",
            HIGHER,
            card=HIT_CARD,
            target=90,
        ),
    ]


METRICS: tuple[Metric, ...] = (
    Metric(
        "build.cold.seconds",
        "cold build of essential (--no-cache)",
        "build",
        "s",
        card=CardFigure(22 * MIN, 24 * MIN, "22-24 min", "Success Metrics"),
    ),
    *_warm("python"),
    *_warm("template"),
    *_warm("asset"),
    Metric(
        "build.nochange.seconds",
        "rebuild with nothing changed",
        "build",
        "s",
        card=WARM_CARD,
        info=True,
    ),
    Metric(
        "size.web.mb",
        "web image",
        "size",
        "MB",
        card=CardFigure(1100, 1100, "~1.1 GB", "Image Targets"),
        target=200,
    ),
    Metric(
        "size.celery.mb",
        "celery-unified image",
        "size",
        "MB",
        card=CardFigure(1100, 1100, "~1.1 GB", "Image Targets"),
    ),
    Metric(
        "size.flower.mb",
        "flower image (runtime-minimal)",
        "size",
        "MB",
        card=CardFigure(300, 300, "~300 MB", "Image Targets"),
    ),
    Metric(
        "size.celery_over_web.mb",
        "bytes celery-unified adds over web",
        "size",
        "MB",
        card=CardFigure(50, 50, "+50 MB (celery shared layers)", "Performance"),
        target=1,
    ),
    Metric(
        "startup.web.seconds",
        "docker run -> healthy, web",
        "startup",
        "s",
        card=CardFigure(20, 30, "20-30 s (<60 s)", "Performance"),
        target=10,
    ),
    Metric(
        "startup.celery.seconds",
        "docker run -> healthy, celery-unified",
        "startup",
        "s",
        card=CardFigure(18, 28, "18-28 s (<60 s)", "Performance"),
        target=10,
    ),
    Metric(
        "startup.web.card_way.seconds",
        "web with the card's HEALTHCHECK",
        "startup",
        "s",
        card=CardFigure(20, 30, "20-30 s (<60 s)", "Performance"),
        info=True,
    ),
    Metric(
        "startup.celery.card_way.seconds",
        "celery-unified with the card's HEALTHCHECK",
        "startup",
        "s",
        card=CardFigure(18, 28, "18-28 s (<60 s)", "Performance"),
        info=True,
    ),
    Metric("memory.web.mb", "idle memory, web", "memory", "MB", info=True),
    Metric("memory.celery.mb", "idle memory, celery-unified", "memory", "MB", info=True),
    Metric(
        "memory.total.mb",
        "idle memory, web + celery-unified",
        "memory",
        "MB",
        card=CardFigure(750, 750, "~750 MB idle", "Success Metrics"),
        target=400,
    ),
    Metric("checks.images.seconds", "nox -s images, warm cache", "checks", "s", target=60),
    Metric(
        "checks.own_health.seconds",
        "image checks, the Dockerfile's HEALTHCHECKs",
        "checks",
        "s",
        info=True,
    ),
    Metric(
        "checks.card_health.seconds",
        "same image checks, the card's HEALTHCHECKs",
        "checks",
        "s",
        info=True,
    ),
    Metric(
        "checks.images.card_way.seconds",
        "nox -s images the card's way (derived)",
        "checks",
        "s",
        info=True,
    ),
)

BY_KEY = {m.key: m for m in METRICS}


def metric(key: str) -> Metric:
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown bench metric '{key}'") from None
