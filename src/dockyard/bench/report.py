"""A bench run's figures, each beside the card's and the target: tables, Markdown and JSON.

The reference site's figures are the report's own (`figures`); each sample project's are in
`projects`, measured the same way. The Markdown holds, in this order: the card's Dockerfile beside
the project's (same site, same bake, same run), `nox -s images` with its checks concurrent and
sequential, the scale figures, one column per project, every figure against the card's quoted
figure and the target, and the ratios within the run.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dockyard.bench.metrics import (
    HIGHER,
    LOWER,
    METRICS,
    PROJECT_KEYS,
    SCALE_FACTOR,
    SIDE_BY_SIDE,
    Metric,
    format_value,
    metric,
)
from dockyard.images.reports import write_atomic

FORMAT_VERSION = 2
REFERENCE = "reference site"  # the name of the report's own column in the per-project table

# Ratios measured within one run: (label, numerator, denominator).
RATIOS: tuple[tuple[str, str, str], ...] = (
    ("cold build: the card's Dockerfile / the project's", "cardfile.build.cold.seconds", "build.cold.seconds"),
    (
        "rebuild after one Python file: the card's Dockerfile / the project's",
        "cardfile.build.warm.python.seconds",
        "build.warm.python.seconds",
    ),
    ("web image: the card's Dockerfile / the project's", "cardfile.size.web.mb", "size.web.mb"),
    ("celery-unified image: the card's Dockerfile / the project's", "cardfile.size.celery.mb", "size.celery.mb"),
    (
        "web, time to healthy: the card's Dockerfile / the project's",
        "cardfile.startup.web.seconds",
        "startup.web.seconds",
    ),
    (
        "celery-unified, time to healthy: the card's Dockerfile / the project's",
        "cardfile.startup.celery.seconds",
        "startup.celery.seconds",
    ),
    (
        "nox -s images: sequential / concurrent, wall time",
        "checks.images.sequential.seconds",
        "checks.images.seconds",
    ),
    (
        f"one-file rebuild: the site {SCALE_FACTOR}x the size / the site",
        "scale.rebuild.x10.seconds",
        "scale.rebuild.x1.seconds",
    ),
    ("warm rebuild, one Python file / cold build", "build.warm.python.seconds", "build.cold.seconds"),
)


def ratio_of(a: float | None, b: float | None) -> float | None:
    """a / b to three significant digits; None without both figures (or when b is 0)."""
    return float(f"{a / b:.3g}") if a is not None and b else None


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


class Figures:
    """Recording and reading figures by metric key (`self.figures`)."""

    figures: dict[str, Figure]

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

    @property
    def errors(self) -> list[Figure]:
        return [f for f in self.figures.values() if f.error]


@dataclass
class ProjectFigures(Figures):
    """One sample project's figures: its column of the per-project table."""

    name: str
    path: str  # relative to the reference project's root
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what could not be done there, and why

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "notes": self.notes,
            "figures": {key: {**asdict(f), "status": f.status} for key, f in self.figures.items()},
        }


@dataclass
class BenchReport(Figures):
    run_id: str
    started: str  # ISO 8601 UTC
    host: dict[str, Any] = field(default_factory=dict)  # cpus, engine version, cgroup version...
    context: dict[str, Any] = field(default_factory=dict)  # export source, commit, tag
    figures: dict[str, Figure] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # measurements in full (build results, samples)
    projects: dict[str, ProjectFigures] = field(default_factory=dict)
    wall_seconds: float | None = None

    def project(self, name: str, path: str = "") -> ProjectFigures:
        if name not in self.projects:
            self.projects[name] = ProjectFigures(name, path)
        return self.projects[name]

    def column(self, name: str) -> Figures:
        """The figures of one column of the per-project table."""
        return self if name == REFERENCE else self.projects[name]

    # ----------------------------------------------------------------- reading

    def rows(self) -> list[tuple[Metric, Figure | None, Comparison]]:
        """Every metric in catalogue order with its figure (None when the run never got to it)."""
        return [(m, self.figures.get(m.key), compare(m, self.value(m.key))) for m in METRICS]

    def ratios(self) -> list[Ratio]:
        return [Ratio(label, a, b, ratio_of(self.value(a), self.value(b))) for label, a, b in RATIOS]

    @property
    def all_errors(self) -> list[tuple[str, Figure]]:
        """Every figure not measured, with the column it belongs to."""
        found = [(REFERENCE, f) for f in self.errors]
        for name, project in self.projects.items():
            found += [(name, f) for f in project.errors]
        return found

    @property
    def missed_targets(self) -> list[Metric]:
        """Targets are the reference site's; the samples' figures are shown, not judged."""
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
            "projects": {name: p.to_dict() for name, p in self.projects.items()},
            "summary": {
                "measured": sum(1 for f in self.figures.values() if f.status == "measured"),
                "not_measured": len(self.all_errors),
                "targets_met": sum(1 for _m, _f, c in self.rows() if c.meets_target is True),
                "targets_missed": [m.key for m in self.missed_targets],
            },
            "raw": self.raw,
        }


def _finite(value: float | None) -> float | None:
    if value is None or math.isinf(value):
        return None
    return round(value, 2)


# --------------------------------------------------------------------------- table rows


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


@dataclass(frozen=True)
class SideRow:
    """One row of the side-by-side table: the project's Dockerfile, the card's, card / project."""

    label: str
    ours: str
    card: str
    ratio: str  # "2.3x", "-"
    target: str
    mark: str


def side_by_side(report: BenchReport) -> list[SideRow]:
    rows = []
    for label, ours_key, card_key in SIDE_BY_SIDE:
        m = metric(ours_key)
        ours, card = report.figures.get(ours_key), report.figures.get(card_key)
        mark, _style = target_mark(compare(m, report.value(ours_key)))
        ratio = ratio_of(report.value(card_key), report.value(ours_key))
        rows.append(
            SideRow(
                label,
                measured_text(m, ours),
                measured_text(metric(card_key), card),
                "-" if ratio is None else f"{ratio:g}x",
                m.target_text,
                "" if mark == "-" else mark,
            )
        )
    return rows


def project_columns(report: BenchReport) -> list[str]:
    return [REFERENCE, *report.projects]


def project_rows(report: BenchReport) -> list[tuple[str, list[str]]]:
    """(metric label, the figure in each project's column) for the per-project table."""
    rows = []
    for key in PROJECT_KEYS:
        m = metric(key)
        cells = [measured_text(m, report.column(name).figures.get(key)) for name in project_columns(report)]
        rows.append((m.label, cells))
    return rows


# --------------------------------------------------------------------------- Markdown


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "/") for c in cells) + " |"


def markdown(report: BenchReport) -> str:
    """Every table of the run as Markdown (latest.md, an issue note)."""
    host = report.host
    load = host.get("load_average")
    lines = [
        f"Bench run `{report.run_id}`, {report.started}, {host.get('cpus', '?')} CPUs, "
        f"Docker Engine {host.get('engine', '?')} (cgroup v{host.get('cgroup', '?')}); "
        f"build context: {report.context.get('source', '?')} export"
        + (f" of {report.context['commit'][:12]}" if report.context.get("commit") else "")
        + "."
        + (f" Load average at the start: {' / '.join(f'{v:.2f}' for v in load)} (1, 5, 15 min)." if load else ""),
        "",
        "## The card's Dockerfile beside the project's",
        "",
        "The reference site built with `bench/card/Dockerfile.card` (the card's Dockerfile as the card writes "
        "it) and with `deployment/Dockerfile.multistage`, by the same bake file (targets, variables, CA "
        "secret), in this run. Ratios: the card's figure / the project's.",
        "",
        "| figure | project's Dockerfile | card's Dockerfile | card / project | target | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    lines += [_md_row([r.label, r.ours, r.card, r.ratio, r.target, r.mark]) for r in side_by_side(report)]
    lines += ["", "## nox -s images, warm", ""]
    lines += _key_table(report, ["checks.images.seconds", "checks.images.sequential.seconds"])
    lines += ["", f"## Scale: the site, and the same site with {SCALE_FACTOR}x the Python files and JS modules", ""]
    scale = report.raw.get("scale") or {}
    if scale.get("before") and scale.get("after"):
        b, a = scale["before"], scale["after"]
        lines += [
            f"Python files {b['python']} -> {a['python']}, JS modules {b['js']} -> {a['js']}; "
            f"each rebuild figure is the median of {scale.get('rounds', '?')} edits.",
            "",
        ]
    lines += _key_table(
        report,
        [
            "scale.rebuild.x1.seconds",
            "scale.rebuild.x10.seconds",
            "scale.rebuild.ratio",
            "scale.cached_pct.x1",
            "scale.cached_pct.x10",
            "scale.cached.ratio",
            "scale.build.x10.seconds",
        ],
    )
    lines += ["", "## Every project", ""]
    columns = project_columns(report)
    lines.append(_md_row(["figure", *columns]))
    lines.append("|---|" + "---:|" * len(columns))
    lines += [_md_row([label, *cells]) for label, cells in project_rows(report)]
    notes = [(name, note) for name, p in report.projects.items() for note in p.notes]
    if notes:
        lines += [""] + [f"- {name}: {note}" for name, note in notes]
    lines += [
        "",
        "## Every figure of the project's Dockerfile, against the card's quoted figures",
        "",
        "The card's figures are for the card's (much larger) site; the side-by-side table above is the "
        "comparison on the same site.",
        "",
        "| metric | measured | card | vs card | target | | how |",
        "|---|---:|---|---:|---:|---|---|",
    ]
    for m, fig, cmp in report.rows():
        if m.group == "cardfile":
            continue
        mark, _style = target_mark(cmp)
        label = f"_{m.label}_" if m.info else m.label
        how = fig.detail if fig and not fig.error and not fig.skipped else ""
        lines.append(
            _md_row(
                [
                    label,
                    measured_text(m, fig),
                    m.card.text if m.card else "-",
                    cmp.vs_card,
                    m.target_text,
                    mark if mark != "-" else "",
                    how,
                ]
            )
        )
    ratios = [r for r in report.ratios() if r.value is not None]
    if ratios:
        lines += ["", "Ratios measured within this run:", ""]
        lines += [f"- {r.label}: **{r.value:g}**" for r in ratios]
    problems = [
        (REFERENCE, m.label, fig) for m, fig, _c in report.rows() if fig is not None and (fig.error or fig.skipped)
    ]
    for name, project in report.projects.items():
        problems += [(name, metric(k).label, f) for k, f in project.figures.items() if f.error or f.skipped]
    if problems:
        lines += ["", "Not measured:", ""]
        lines += [f"- {where}: {label}: {fig.error or fig.skipped}" for where, label, fig in problems]
    return "\n".join(lines) + "\n"


def _key_table(report: BenchReport, keys: list[str]) -> list[str]:
    lines = ["| figure | measured | target | | how |", "|---|---:|---:|---|---|"]
    for key in keys:
        m, fig = metric(key), report.figures.get(key)
        mark, _style = target_mark(compare(m, report.value(key)))
        how = fig.detail if fig and not fig.error and not fig.skipped else ""
        lines.append(_md_row([m.label, measured_text(m, fig), m.target_text, "" if mark == "-" else mark, how]))
    return lines


def write_text(path: Path, text: str) -> Path:
    """Write atomically (a reader never sees half a report)."""
    return write_atomic(path, text)


def write_json(report: BenchReport, path: Path) -> Path:
    return write_text(path, json.dumps(report.to_dict(), indent=2) + "\n")
