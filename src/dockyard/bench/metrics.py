"""What the bench measures, what the reference card promised for it, and the project's target.

Card figures are quoted from the card (`/work/shared/reference-card.md`, sections "Success
Metrics", "Performance", "Image Targets", "Architecture Overview"). Ranges keep both ends; the
comparison uses the end most favourable to the card (so "x times better" is never flattered).
They are figures of a much larger site; the honest comparison is the `cardfile.*` figures: the
card's Dockerfile built and run on the same site, in the same run (see `card`).
Targets are issue 16's (issue 7's where issue 16 kept them).
"""

from __future__ import annotations

from dataclasses import dataclass

LOWER = "lower"  # smaller is better (seconds, bytes)
HIGHER = "higher"  # larger is better (cache hits)
SCALE_FACTOR = 10  # the scaled site has this many times the Python files and JS modules


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
    group: str  # build | size | startup | memory | checks | cardfile | scale
    unit: str  # s | MB | % | x (a ratio)
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
    if unit == "x":
        return f"{value:.2f}x"
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


def _card_file(key: str, label: str, group_unit: str, better: str = LOWER) -> Metric:
    """A figure of the card's Dockerfile (bench/card/Dockerfile.card) on the same site."""
    return Metric(f"cardfile.{key}", label, "cardfile", group_unit, better, info=True)


METRICS: tuple[Metric, ...] = (
    Metric(
        "build.cold.seconds",
        "cold build of essential (--no-cache, empty cache mounts)",
        "build",
        "s",
        card=CardFigure(22 * MIN, 24 * MIN, "22-24 min", "Success Metrics"),
        target=40,
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
        target=4,
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
    Metric("checks.images.seconds", "nox -s images, warm cache", "checks", "s", target=25),
    Metric(
        "checks.images.sequential.seconds",
        "nox -s images -- --sequential (targets one after another)",
        "checks",
        "s",
        info=True,
    ),
    _card_file("build.cold.seconds", "the card's Dockerfile: cold build of essential (--no-cache)", "s"),
    _card_file("build.warm.python.seconds", "the card's Dockerfile: rebuild after changing one Python file", "s"),
    _card_file("build.warm.python.cached_pct", "the card's Dockerfile: steps cached, one Python file", "%", HIGHER),
    _card_file("size.web.mb", "the card's Dockerfile: web image", "MB"),
    _card_file("size.celery.mb", "the card's Dockerfile: celery-unified image", "MB"),
    _card_file("size.flower.mb", "the card's Dockerfile: flower image", "MB"),
    _card_file("size.celery_over_web.mb", "the card's Dockerfile: bytes celery-unified adds over web", "MB"),
    _card_file("startup.web.seconds", "the card's Dockerfile: docker run -> healthy, web", "s"),
    _card_file("startup.celery.seconds", "the card's Dockerfile: docker run -> healthy, celery-unified", "s"),
    Metric("scale.rebuild.x1.seconds", "rebuild after changing one Python file, the site", "scale", "s", info=True),
    Metric(
        "scale.rebuild.x10.seconds",
        f"the same, the site with {SCALE_FACTOR}x the Python files and JS modules",
        "scale",
        "s",
        info=True,
    ),
    Metric("scale.cached_pct.x1", "steps cached, one Python file, the site", "scale", "%", HIGHER, info=True),
    Metric("scale.cached_pct.x10", f"the same, the site {SCALE_FACTOR}x the size", "scale", "%", HIGHER, info=True),
    Metric(
        "scale.build.x10.seconds",
        f"first build of the site {SCALE_FACTOR}x the size (its new files changed)",
        "scale",
        "s",
        info=True,
    ),
    Metric(
        "scale.rebuild.ratio",
        f"one-file rebuild, {SCALE_FACTOR}x / 1x (flat: the rebuild does not grow with the site)",
        "scale",
        "x",
        target=1.5,
    ),
    Metric(
        "scale.cached.ratio",
        f"steps cached, {SCALE_FACTOR}x / 1x (flat: the same share of steps cached)",
        "scale",
        "x",
        HIGHER,
        target=0.99,
    ),
)

# The side-by-side table: (what, the project's Dockerfile, the card's Dockerfile).
SIDE_BY_SIDE: tuple[tuple[str, str, str], ...] = (
    ("cold build of essential (--no-cache)", "build.cold.seconds", "cardfile.build.cold.seconds"),
    ("rebuild after changing one Python file", "build.warm.python.seconds", "cardfile.build.warm.python.seconds"),
    ("steps cached, one Python file changed", "build.warm.python.cached_pct", "cardfile.build.warm.python.cached_pct"),
    ("web image", "size.web.mb", "cardfile.size.web.mb"),
    ("celery-unified image", "size.celery.mb", "cardfile.size.celery.mb"),
    ("flower image", "size.flower.mb", "cardfile.size.flower.mb"),
    ("bytes celery-unified adds over web", "size.celery_over_web.mb", "cardfile.size.celery_over_web.mb"),
    ("docker run -> healthy, web", "startup.web.seconds", "cardfile.startup.web.seconds"),
    ("docker run -> healthy, celery-unified", "startup.celery.seconds", "cardfile.startup.celery.seconds"),
)

# The figures the bench measures on every project (the reference site and each sample).
PROJECT_KEYS: tuple[str, ...] = (
    "build.cold.seconds",
    "build.warm.python.seconds",
    "build.warm.python.cached_pct",
    "build.nochange.seconds",
    "size.web.mb",
    "size.celery.mb",
    "size.celery_over_web.mb",
    "startup.web.seconds",
    "startup.celery.seconds",
    "checks.images.seconds",
)

BY_KEY = {m.key: m for m in METRICS}


def metric(key: str) -> Metric:
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown bench metric '{key}'") from None
