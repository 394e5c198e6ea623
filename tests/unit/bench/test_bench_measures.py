"""Pure parts of the measurements: step ratios, memory, check timings, settings, outputs."""

import json
import os
from pathlib import Path

import pytest

from dockyard.bench import checks_timing
from dockyard.bench.builds import cached_percent
from dockyard.bench.report import BenchReport
from dockyard.bench.runner import BenchOptions, output_dir, write_outputs
from dockyard.bench.runtime import MemorySamples, memory_formula
from dockyard.cli.bench import parse_args
from dockyard.core.errors import ConfigError
from dockyard.core.project import Project
from dockyard.core.settings import load_settings
from dockyard.images.checks.memory import memory_used

# memory_stats as the Engine API returns them (abridged), on a cgroup v1 and a cgroup v2 host.
V1 = {
    "memory_stats": {
        "usage": 120_000_000,
        "limit": 25_000_000_000,
        "stats": {"cache": 30_000_000, "total_inactive_file": 25_000_000, "rss": 90_000_000},
    }
}
V2 = {
    "memory_stats": {
        "usage": 120_000_000,
        "limit": 25_000_000_000,
        "stats": {"inactive_file": 10_000_000, "active_file": 5_000_000, "anon": 100_000_000},
    }
}


def test_cached_percent():
    assert cached_percent(22, 29) == 75.9
    assert cached_percent(0, 24) == 0.0
    assert cached_percent(0, 0) is None


def test_memory_is_usage_less_inactive_page_cache_as_docker_stats_shows_it():
    assert memory_used(V1) == 95_000_000 and memory_formula(V1).endswith("(cgroup v1)")
    assert memory_used(V2) == 110_000_000 and memory_formula(V2).endswith("(cgroup v2)")
    assert memory_formula({"memory_stats": {"usage": 1}}).startswith("usage (no page-cache")


def test_memory_medians_per_container_and_of_simultaneous_totals():
    s = MemorySamples(rounds=[{"web": 100, "celery": 200}, {"web": 90, "celery": 260}, {"web": 95}], formula="f")
    assert s.median("web") == 95
    assert s.median("celery") == 230
    assert s.median_total(["web", "celery"]) == 325  # rounds with both only: (300, 350)
    assert s.median("flower") is None and s.median_total(["web", "flower"]) is None
    assert s.to_dict()["rounds_mb"][0] == {"web": 0.0, "celery": 0.0}


def test_nox_argv_times_the_session_as_typed_and_keeps_reports_out_of_the_developer_s_way(tmp_path):
    argv = checks_timing.nox_images_argv("/x/nox", tmp_path)
    assert argv[:4] == ["/x/nox", "--non-interactive", "-s", "images"]
    assert argv[4:] == [
        "--",
        "--json",
        str(tmp_path / "nox-images.json"),
        "--junit",
        str(tmp_path / "nox-images-junit.xml"),
    ]
    warm = checks_timing.nox_images_argv("/x/nox", tmp_path, install_only=True)
    assert warm == ["/x/nox", "--install-only", "--non-interactive", "-s", "images"]


def test_the_sequential_run_passes_the_pipeline_s_switch_and_writes_its_own_report(tmp_path):
    argv = checks_timing.nox_images_argv("/x/nox", tmp_path, sequential=True)
    assert argv[4:6] == ["--", "--sequential"]
    assert str(tmp_path / "nox-images-sequential.json") in argv
    assert str(tmp_path / "nox-images.json") not in argv


def test_nox_run_detail_reads_the_session_report():
    run = checks_timing.NoxRun(
        argv=[],
        wall_seconds=80.0,
        returncode=1,
        log_path="l",
        report={
            "build_seconds": 21.2,
            "wall_seconds": 62.0,
            "error": None,
            "summary": {"checks": 27, "failed": 2},
        },
    )
    assert run.detail() == (
        "build 21 s; checks and clean-up 41 s; nox and Python start-up 18 s; 25/27 checks passed; exit 1"
    )
    assert run.to_dict()["checks"] == {"checks": 27, "failed": 2}


def test_has_images_session_asks_nox_itself(tmp_path):
    nox = checks_timing.nox_command()
    assert checks_timing.has_images_session(tmp_path, nox) is False  # no noxfile
    (tmp_path / "noxfile.py").write_text("import nox\n\n@nox.session(python=False)\ndef lint(session):\n    pass\n")
    assert checks_timing.has_images_session(tmp_path, nox) is False
    (tmp_path / "noxfile.py").write_text(
        "import nox\n\n@nox.session(python=False)\ndef images(session):\n    'Check.'\n"
    )
    assert checks_timing.has_images_session(tmp_path, nox) is True


def test_bench_settings_defaults_and_validation():
    assert load_settings({}).bench.settle_seconds == 10
    assert load_settings({}).bench.projects == ()
    assert load_settings({"bench": {"projects": ["tests/samples/ledger"]}}).bench.projects == ("tests/samples/ledger",)
    with pytest.raises(ConfigError, match=r"\[tool.dockyard.bench\] has no key 'settle'"):
        load_settings({"bench": {"settle": 3}})
    with pytest.raises(ConfigError, match="memory_samples must be an integer >= 1, got 0"):
        load_settings({"bench": {"memory_samples": 0}})
    with pytest.raises(ConfigError, match='edits must be a table of strings, got "app/x.py"'):
        load_settings({"bench": {"edits": "app/x.py"}})


def test_command_line_options():
    options = parse_args(["--skip-cold", "--json", "out/b.json", "--source", "head", "--strict"])
    assert options == BenchOptions(
        skip_cold=True,
        skip_checks=False,
        source="head",
        out_dir=None,
        json_path=Path("out/b.json"),
        strict=True,
    )
    parts = parse_args(["--skip-card", "--skip-scale", "--skip-projects", "--skip-checks"])
    assert (parts.skip_card, parts.skip_scale, parts.skip_projects, parts.skip_checks) == (True, True, True, True)
    with pytest.raises(SystemExit):
        parse_args(["--source", "stash"])


def test_output_dir_is_per_run_under_the_configured_directory(tmp_path):
    project = Project(tmp_path)
    path = output_dir(project, BenchOptions(), project.settings.bench, "r1")
    assert path.parent == tmp_path / "bench" / "results" and path.name.endswith("-r1")
    elsewhere = output_dir(project, BenchOptions(out_dir=Path("/tmp/x")), project.settings.bench, "r1")
    assert elsewhere.parent == Path("/tmp/x")


def test_outputs_json_chart_and_markdown_side_by_side(tmp_path):
    report = BenchReport(run_id="r1", started="2024-11-21T10:00:00+00:00")
    report.add("size.web.mb", 120.0)
    paths = write_outputs(report, tmp_path / "results" / "run-r1", json_path=tmp_path / "ci" / "bench.json")
    assert paths["chart"].parent == paths["json"].parent
    assert json.loads(paths["json"].read_text())["run_id"] == "r1"
    assert (tmp_path / "results" / "latest.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "ci" / "bench.html").is_file() and (tmp_path / "ci" / "bench.json").is_file()
    mask = os.umask(0)
    os.umask(mask)
    assert paths["json"].stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600
    text = paths["markdown"].read_text()
    assert "| web image | 120 MB | ~1.1 GB | 9.2x smaller | <= 200 MB | met |" in text
    assert "| web image | 120 MB | not run | - | <= 200 MB | met |" in text  # the side-by-side row
    assert (tmp_path / "results" / "latest.md").read_text() == text


def test_a_failed_measurement_gives_one_line_and_names_a_vanished_engine():
    import requests.exceptions

    from dockyard.bench.runner import ENGINE_GONE, reason

    assert (
        reason(requests.exceptions.ConnectionError("('Connection aborted.', ConnectionRefusedError(111))"))
        == ENGINE_GONE
    )
    assert reason(ConfigError("bake file not found: x\nsecond line")) == "bake file not found: x"
    assert reason(RuntimeError()) == "RuntimeError"
