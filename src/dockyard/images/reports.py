"""The outcome of `nox -s images` for machines: JSON and JUnit XML (the tables are in dockyard.cli.views.images)."""

from __future__ import annotations

import json
import os
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.images.checks.result import CheckResult

FORMAT_VERSION = 1


@dataclass
class ImagesReport:
    run_id: str
    source: str  # how the build context was exported: worktree | head
    tag: str  # the tag every image of the run was built under
    started: str  # ISO 8601, UTC
    targets: list[str]  # the targets checked, in order
    images: dict[str, str] = field(default_factory=dict)  # target -> image tag
    sizes: dict[str, int | None] = field(default_factory=dict)  # target -> bytes
    build_seconds: float | None = None
    wall_seconds: float | None = None
    results: list[CheckResult] = field(default_factory=list)
    error: str | None = None  # why the run stopped before checking (export/build failure)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.failed]

    @property
    def skipped(self) -> list[CheckResult]:
        return [r for r in self.results if r.skipped]

    @property
    def passed(self) -> bool:
        return self.error is None and not self.failures and bool(self.results)

    def for_target(self, target: str) -> list[CheckResult]:
        return [r for r in self.results if r.target == target]

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "passed": self.passed,
            "run_id": self.run_id,
            "source": self.source,
            "tag": self.tag,
            "started": self.started,
            "targets": self.targets,
            "images": self.images,
            "sizes": self.sizes,
            "build_seconds": self.build_seconds,
            "wall_seconds": self.wall_seconds,
            "error": self.error,
            "summary": {
                "checks": len(self.results),
                "failed": len(self.failures),
                "skipped": len(self.skipped),
                "passed": len(self.results) - len(self.failures) - len(self.skipped),
            },
            "results": [r.to_dict() for r in self.results],
        }


def junit_xml(report: ImagesReport) -> str:
    """One <testsuite> per target, one <testcase> per check; a failed check is a <failure>."""
    suites = ET.Element(
        "testsuites",
        name="dockyard images",
        tests=str(len(report.results)),
        failures=str(len(report.failures)),
        errors="1" if report.error else "0",
        skipped=str(len(report.skipped)),
    )
    if report.error:
        suite = ET.SubElement(suites, "testsuite", name="images.build", tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname="images.build", name="export and build")
        ET.SubElement(case, "error", message=report.error).text = report.error
    for target in report.targets:
        results = report.for_target(target)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"images.{target}",
            tests=str(len(results)),
            failures=str(sum(r.failed for r in results)),
            errors="0",
            skipped=str(sum(r.skipped for r in results)),
            time=f"{sum(r.seconds for r in results):.2f}",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="image", value=report.images.get(target, ""))
        for r in results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"images.{target}",
                name=r.name,
                time=f"{r.seconds:.2f}",
            )
            text = f"measured: {r.measured}\nbudget: {r.budget}\n{r.detail}"
            if r.skipped:
                ET.SubElement(case, "skipped", message=r.detail)
            elif r.passed:
                ET.SubElement(case, "system-out").text = text
            else:
                ET.SubElement(case, "failure", message=f"{r.measured} (budget {r.budget})").text = text
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_json(report: ImagesReport, path: Path) -> Path:
    return write_atomic(path, json.dumps(report.to_dict(), indent=2) + "\n")


def write_junit(report: ImagesReport, path: Path) -> Path:
    return write_atomic(path, junit_xml(report))


def write_atomic(path: Path, text: str) -> Path:
    """Write a temporary file and rename it: a reader (or a parallel run) never sees half a file.
    The file is as readable as any other (not mkstemp's 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
