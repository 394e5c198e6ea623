"""A bench run's figures, each beside the card's figure and the target: table, Markdown and JSON."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dockyard.bench.metrics import HIGHER, LOWER, METRICS, Metric, format_value, metric
from dockyard.images.reports import write_atomic

FORMAT_VERSION = 1

# Ratios measured within one run: (label, numerator, denominator).
RATIOS: tuple[tuple[str, str, str], ...] = (
    (
        "web: card's HEALTHCHECK / the Dockerfile's, time to healthy",
        "startup.web.card_way.seconds",
        "startup.web.seconds",
    ),
    (
        "celery-unified: card's HEALTHCHECK / the Dockerfile's, time to healthy",
        "startup.celery.card_way.seconds",
        "startup.celery.seconds",
    ),
    (
        "image checks: card's HEALTHCHECKs / the Dockerfile's, wall time",
        "checks.card_health.seconds",
        "checks.own_health.seconds",
    ),
    (
        "nox -s images: the card's way / as built, wall time",
        "checks.images.card_way.seconds",
        "checks.images.seconds",
    ),
    (
        "warm rebuild, one Python file / cold build",
        "build.warm.python.seconds",
        "build.cold.seconds",
    ),
)


@dataclass
class Figure:
    key: str
    value: float | None
    detail: str = ""  # how it was obtained, e.g. "22/24 steps cached"
    error: str | None = None  # why it was not measured
    skipped: str | None = None  # why it was left out on purpose (e.g. --skip-cold)

    @property
    def status(self) -> str:
        if self.skipped:
            return "skipped"
        if self.error or self.value is None:
            return "not measured"
        return "measured"


@dataclass(frozen=True)
class Comparison:
    vs_card: str  # "9.6x faster", "+25 pts", "-"
    factor: float | None  # > 1: better than the card
    meets_target: bool | None  # None: no target, or nothing measured


def compare(m: Metric, value: float | None) -> Comparison:
    """How a measured value stands against the card's figure and the target."""
    if value is None:
        return Comparison("-", None, None)
    meets = None
    if m.target is not None:
        meets = value <= m.target if m.better == LOWER else value >= m.target
    if m.card is None:
        return Comparison("-", None, meets)
    card = m.card.favourable(m.better)
    if m.unit == "%":
        factor = value / card if card else None
        return Comparison(f"{value - card:+.0f} pts", factor, meets)
    if m.better == HIGHER:
        factor = value / card if card else None
    else:
        factor = card / value if value > 0 else math.inf
    return Comparison(_factor_text(factor, m.unit), factor, meets)


def _factor_text(factor: float | None, unit: str) -> str:
    if factor is None:
        return "-"
    if math.isinf(factor):
        return "nothing left"
    good, bad = {"s": ("faster", "slower"), "MB": ("smaller", "larger")}.get(unit, ("better", "worse"))
    if factor >= 1:
        return f"{factor:.1f}x {good}" if factor < 100 else f"{factor:.0f}x {good}"
    return f"{1 / factor:.1f}x {bad}"


@dataclass(frozen=True)
class Ratio:
    label: str
    numerator: str
    denominator: str
    value: float | None


def median(samples: list[float]) -> float | None:
    return statistics.median(samples) if samples else None


@dataclass
class BenchReport:
    run_id: str
    started: str  # ISO 8601 UTC
    host: dict[str, Any] = field(default_factory=dict)  # cpus, engine version, cgroup version...
    context: dict[str, Any] = field(default_factory=dict)  # export source, commit, tag
    figures: dict[str, Figure] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # measurements in full (build results, samples)
    wall_seconds: float | None = None

    # ----------------------------------------------------------------- recording

    def add(self, key: str, value: float | None, detail: str = "") -> Figure:
        metric(key)  # an unknown key is a programming error, caught by the unit tests
        figure = Figure(key, None if value is None else round(float(value), 2), detail)
        self.figures[key] = figure
        return figure

    def fail(self, key: str, error: str) -> Figure:
        metric(key)
        figure = Figure(key, None, error=error)
        self.figures[key] = figure
        return figure

    def skip(self, key: str, reason: str) -> Figure:
        metric(key)
        figure = Figure(key, None, skipped=reason)
        self.figures[key] = figure
        return figure

    def value(self, key: str) -> float | None:
        figure = self.figures.get(key)
        return figure.value if figure else None

    # ----------------------------------------------------------------- reading

    def rows(self) -> list[tuple[Metric, Figure | None, Comparison]]:
        """Every metric in catalogue order with its figure (None when the run never got to it)."""
        return [(m, self.figures.get(m.key), compare(m, self.value(m.key))) for m in METRICS]

    def ratios(self) -> list[Ratio]:
        out = []
        for label, top, bottom in RATIOS:
            a, b = self.value(top), self.value(bottom)
            out.append(Ratio(label, top, bottom, float(f"{a / b:.3g}") if a is not None and b else None))
        return out

    @property
    def errors(self) -> list[Figure]:
        return [f for f in self.figures.values() if f.error]

    @property
    def missed_targets(self) -> list[Metric]:
        return [m for m, fig, cmp in self.rows() if fig is not None and cmp.meets_target is False]

    def to_dict(self) -> dict[str, Any]:
        figures = []
        for m, fig, cmp in self.rows():
            figures.append(
                {
                    "key": m.key,
                    "label": m.label,
                    "group": m.group,
                    "unit": m.unit,
                    "better": m.better,
                    "info": m.info,
                    "value": fig.value if fig else None,
                    "status": fig.status if fig else "not run",
                    "detail": fig.detail if fig else "",
                    "error": fig.error if fig else None,
                    "skipped": fig.skipped if fig else None,
                    "card": None
                    if m.card is None
                    else {**asdict(m.card), "compared_with": m.card.favourable(m.better)},
                    "target": m.target,
                    "vs_card": cmp.vs_card,
                    "factor_vs_card": _finite(cmp.factor),
                    "meets_target": cmp.meets_target,
                }
            )
        return {
            "version": FORMAT_VERSION,
            "run_id": self.run_id,
            "started": self.started,
            "wall_seconds": self.wall_seconds,
            "host": self.host,
            "context": self.context,
            "figures": figures,
            "ratios": [asdict(r) for r in self.ratios()],
            "summary": {
                "measured": sum(1 for f in self.figures.values() if f.status == "measured"),
                "not_measured": len(self.errors),
                "targets_met": sum(1 for _m, _f, c in self.rows() if c.meets_target is True),
                "targets_missed": [m.key for m in self.missed_targets],
            },
            "raw": self.raw,
        }


def _finite(value: float | None) -> float | None:
    if value is None or math.isinf(value):
        return None
    return round(value, 2)


# --------------------------------------------------------------------------- rendering

_GROUPS = {
    "build": "Build",
    "size": "Images",
    "startup": "Startup",
    "memory": "Idle memory",
    "checks": "nox -s images",
}


def measured_text(m: Metric, fig: Figure | None) -> str:
    if fig is None:
        return "not run"
    if fig.skipped:
        return "skipped"
    if fig.value is None:
        return "not measured"
    return format_value(fig.value, m.unit)


def target_mark(cmp: Comparison) -> tuple[str, str]:
    if cmp.meets_target is None:
        return "-", "dim"
    return ("met", "green") if cmp.meets_target else ("MISSED", "bold red")


def markdown(report: BenchReport) -> str:
    """The same table as Markdown, for the issue note."""
    host = report.host
    lines = [
        f"Bench run `{report.run_id}`, {report.started}, {host.get('cpus', '?')} CPUs, "
        f"Docker Engine {host.get('engine', '?')} (cgroup v{host.get('cgroup', '?')}); "
        f"build context: {report.context.get('source', '?')} export"
        + (f" of {report.context['commit'][:12]}" if report.context.get("commit") else "")
        + ".",
        "",
        "| metric | measured | card | vs card | target | | how |",
        "|---|---:|---|---:|---:|---|---|",
    ]
    for m, fig, cmp in report.rows():
        mark, _style = target_mark(cmp)
        label = f"_{m.label}_" if m.info else m.label
        how = (fig.detail if fig and not fig.error and not fig.skipped else "").replace("|", "/")
        lines.append(
            f"| {label} | {measured_text(m, fig)} | {m.card.text if m.card else '-'} | "
            f"{cmp.vs_card} | {m.target_text} | {mark if mark != '-' else ''} | {how} |"
        )
    ratios = [r for r in report.ratios() if r.value is not None]
    if ratios:
        lines += ["", "Ratios measured within this run:", ""]
        lines += [f"- {r.label}: **{r.value:g}**" for r in ratios]
    problems = [(m, fig) for m, fig, _c in report.rows() if fig is not None and (fig.error or fig.skipped)]
    if problems:
        lines += ["", "Not measured:", ""]
        lines += [f"- {m.label}: {fig.error or fig.skipped}" for m, fig in problems]
    return "\n".join(lines) + "\n"


def write_text(path: Path, text: str) -> Path:
    """Write atomically (a reader never sees half a report)."""
    return write_atomic(path, text)


def write_json(report: BenchReport, path: Path) -> Path:
    return write_text(path, json.dumps(report.to_dict(), indent=2) + "\n")
