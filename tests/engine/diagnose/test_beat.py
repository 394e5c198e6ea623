"""troubleshoot.beat against real celery-unified containers (library and CLI)."""

from __future__ import annotations

import json
import subprocess
import sys

from dockyard.diagnose.beat import diagnose_container


def test_beat_running_in_the_image_as_built(celery_setup):
    report = diagnose_container(celery_setup["beat"])
    assert report.running
    assert report.verdict == "running"
    assert report.beat_requested is True
    assert report.diagnosis.start is not None
    assert report.diagnosis.start.mode == "embedded"
    assert report.diagnosis.start.line.endswith("beat: Starting...")
    assert report.diagnosis.scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    assert report.diagnosis.due_tasks_sent >= 1
    assert report.last_due_task == "record-heartbeat (core.tasks.record_heartbeat)"
    assert report.diagnosis.findings == []


def test_worker_without_beat_is_not_running_and_says_why(celery_setup):
    report = diagnose_container(celery_setup["nobeat"])
    assert not report.running
    assert report.verdict == "not running"
    assert report.beat_requested is False
    assert report.diagnosis.worker_ready is not None  # the worker itself is fine
    assert [f.cause for f in report.diagnosis.findings] == ["beat_not_requested"]
    assert "worker --pool prefork" in report.diagnosis.findings[0].evidence


def test_beat_that_crashed_on_missing_tables(celery_setup):
    report = diagnose_container(celery_setup["notables"])
    assert not report.running
    assert report.diagnosis.state == "crashed"
    cause = report.diagnosis.findings[0]
    assert cause.cause == "scheduler_tables_missing"
    assert "django_celery_beat_" in cause.evidence
    assert "migrate" in cause.fix


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "invoke", *args], capture_output=True, text=True, timeout=120)


def test_cli_exit_codes_and_json(celery_setup):
    ok = _cli("troubleshoot.beat", celery_setup["beat"], "--json")
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["running"] is True and data["start"]["mode"] == "embedded"

    bad = _cli("troubleshoot.beat", celery_setup["nobeat"])
    assert bad.returncode == 1
    assert "NOT RUNNING" in bad.stdout
    assert bad.stderr.strip().splitlines()[-1] == (
        f"error: beat is not running in {celery_setup['nobeat']}: "
        "the worker was started without --beat, so no scheduler runs in it"
    )
    assert "Traceback" not in bad.stderr


def test_unknown_container_is_one_line():
    result = _cli("troubleshoot.beat", "dockyard-no-such-container")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "error: no container named dockyard-no-such-container (see `docker ps -a`)"
    )
