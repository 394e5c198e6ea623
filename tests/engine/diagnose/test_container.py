"""troubleshoot.container against real containers: a crash loop, a failing probe, a healthy worker."""

from __future__ import annotations

import time

import pytest

from dockyard.diagnose.container import inspect_container
from dockyard.docker.containers import temporary_container, unique_name
from dockyard.runtime.health import wait_healthy


def _wait_restarts(container, at_least: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container.reload()
        state = container.attrs["State"]
        if (
            int(container.attrs.get("RestartCount") or 0) >= at_least
            and state["Status"] == "restarting"
        ):
            return
        time.sleep(0.1)
    pytest.fail(f"{container.name} did not restart {at_least} times")


def _restarting_report(container, attempts: int = 20):
    """inspect_container while the engine shows the loop as 'restarting' (between two runs)."""
    for _ in range(attempts):
        _wait_restarts(container, 2)
        report = inspect_container(container.name)
        if report.status == "restarting":
            return report
    pytest.fail("never caught the container between two restarts")


def test_crash_loop_with_unwritable_data_dir(fixture_images):
    with temporary_container(
        fixture_images["crash-loop"],
        name=unique_name("ts-crash"),
        restart_policy={"Name": "on-failure", "MaximumRetryCount": 20},
    ) as container:
        report = _restarting_report(container)
    assert not report.ok
    assert report.restart_count >= 2
    assert report.exit_code == 3
    assert any(
        "touch: cannot touch '/data/db.sqlite3': Permission denied" in line
        for line in report.log_tail
    )
    summaries = [f.summary for f in report.findings if f.severity == "error"]
    assert any(
        s.startswith("crash loop: restarted") and "Permission denied" in s for s in summaries
    )
    data = next(p for p in report.permissions.paths if p.path == "/data")
    assert data.writable is False and data.owner == "root(0):root(0)"
    assert any(
        s.startswith("the runtime user (uid=1000(app)) cannot write /data") for s in summaries
    )
    code = next(p for p in report.permissions.paths if p.path == "/code")
    assert code.writable is True and code.owner == "app(1000):app(1000)"


def test_failing_health_probe(fixture_images):
    with temporary_container(
        fixture_images["failing-probe"], name=unique_name("ts-probe")
    ) as container:
        assert wait_healthy(container, 30).status == "unhealthy"
        report = inspect_container(container.name)
    assert report.health == "unhealthy"
    assert report.failing_streak >= 2
    assert report.probes and report.probes[-1]["exit_code"] == 1
    assert "answered 503: database unreachable" in report.probes[-1]["output"]
    finding = next(f for f in report.findings if f.summary.startswith("health probe failing"))
    assert finding.severity == "error"
    assert "exit 1: GET /health/ answered 503: database unreachable" in finding.summary
    assert report.permissions.source == "exec"
    assert "uid=0(root)" in report.permissions.identity
    assert any(f.summary == "the container runs as root" for f in report.findings)


def test_healthy_worker_has_no_errors(celery_setup):
    report = inspect_container(celery_setup["beat"])
    assert report.status == "running"
    assert report.ok, report.findings
    assert report.permissions.identity.startswith("uid=1000(app)")
    assert {p.path: p.writable for p in report.permissions.paths} == {
        "/code": True,
        "/data": True,
        "/tmp": True,
    }
