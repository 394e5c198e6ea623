"""celery_logs over real log text captured from the reference celery-unified image (Celery 5.5.3).

logs/*.log are `docker logs` of containers of dockyard.local/refsite-celery started on a network with
redis and postgres: as built (embedded-beat), without --beat, as `celery beat`, with a broker host that
does not resolve, as uid 65534 with the PersistentScheduler, without migrations, with a database host
that does not resolve, and with --pool gevent (not installed in the image). green-pool-with-beat.log
is the same Celery 5.5.3 run outside a container with gevent installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.runtime import celery_logs as cl

LOGS = Path(__file__).parent / "logs"


def log(name: str) -> str:
    return (LOGS / f"{name}.log").read_text(encoding="utf-8")


BUILT_CMD = [
    "celery",
    "--app",
    "config.celery",
    "worker",
    "--beat",
    "--scheduler",
    "django_celery_beat.schedulers:DatabaseScheduler",
    "--pool",
    "prefork",
    "--concurrency",
    "2",
    "--loglevel",
    "INFO",
]
NO_BEAT_CMD = [
    "celery",
    "--app",
    "config.celery",
    "worker",
    "--pool",
    "prefork",
    "--concurrency",
    "1",
    "--loglevel",
    "INFO",
    "-n",
    "nobeat@%h",
]


def test_worker_ready_finds_the_ready_line():
    assert (
        cl.worker_ready(log("embedded-beat"))
        == "[2026-11-25 17:35:38,060: INFO/MainProcess] celery@539b657df178 ready."
    )
    assert cl.worker_ready(log("broker-unreachable")) is None
    assert cl.worker_ready(log("standalone-beat")) is None


def test_embedded_beat_is_recognised_with_its_scheduler():
    start = cl.beat_started(log("embedded-beat"))
    assert start is not None
    assert start.mode == "embedded"
    assert start.line == "[2026-11-25 17:35:35,002: INFO/Beat] beat: Starting..."
    assert start.version == "5.5.3"
    assert start.scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_standalone_banner_is_recognised_with_its_scheduler():
    start = cl.beat_started(log("standalone-beat"))
    assert start is not None
    assert start.mode == "standalone"
    assert start.line == "celery beat v5.5.3 (immunity) is starting."
    assert start.scheduler == "django_celery_beat.schedulers.DatabaseScheduler"


def test_plain_celery_embedded_lines_without_the_sites_banner():
    text = "\n".join(
        line for line in log("embedded-beat").splitlines() if "celery beat v" not in line
    )
    start = cl.beat_started(text)
    assert start is not None and start.mode == "embedded"
    assert start.version is None
    assert start.scheduler == "DatabaseScheduler"  # named by "DatabaseScheduler: Schedule changed."


def test_no_beat_in_a_worker_started_without_it():
    assert cl.beat_started(log("worker-without-beat")) is None
    assert cl.due_tasks(log("worker-without-beat")) == []


def test_due_tasks_are_counted():
    assert cl.due_tasks(log("embedded-beat"))[0] == (
        "record-heartbeat",
        "core.tasks.record_heartbeat",
    )
    assert len(cl.due_tasks(log("embedded-beat"))) == 5


@pytest.mark.parametrize(
    ("name", "state", "cause", "evidence_part"),
    [
        ("embedded-beat", "running", None, None),
        ("standalone-beat", "running", None, None),
        (
            "broker-unreachable",
            "running",
            "broker_unreachable",
            "Cannot connect to redis://nosuchhost:6379/0",
        ),
        (
            "scheduler-tables-missing",
            "crashed",
            "scheduler_tables_missing",
            "no such table: django_celery_beat_crontabschedule",
        ),
        (
            "database-unreachable",
            "crashed",
            "database_unreachable",
            "failed to resolve host 'nosuchdb'",
        ),
        (
            "schedule-file-not-writable",
            "crashed",
            "schedule_file_not_writable",
            "Permission denied: 'celerybeat-schedule'",
        ),
        (
            "green-pool-with-beat",
            "not started",
            "pool_without_embedded_beat",
            "-B option doesn't work with eventlet/gevent pools",
        ),
        ("gevent-not-installed", "not started", "pool_not_installed", "No module named 'gevent'"),
    ],
)
def test_diagnosis_of_each_captured_case(name, state, cause, evidence_part):
    diagnosis = cl.diagnose_beat(log(name), BUILT_CMD)
    assert diagnosis.state == state
    causes = [f.cause for f in diagnosis.findings]
    if cause is None:
        assert causes == []
    else:
        assert causes[0] == cause
        assert evidence_part in diagnosis.findings[0].evidence
        assert diagnosis.findings[0].fix


def test_worker_without_beat_is_explained_by_its_command():
    diagnosis = cl.diagnose_beat(log("worker-without-beat"), NO_BEAT_CMD)
    assert diagnosis.state == "not started"
    assert not diagnosis.running
    assert [f.cause for f in diagnosis.findings] == ["beat_not_requested"]
    assert diagnosis.findings[0].evidence.startswith("celery --app config.celery worker")
    assert diagnosis.worker_ready is not None


def test_without_a_command_nothing_is_guessed_for_a_quiet_worker():
    assert cl.diagnose_beat(log("worker-without-beat")).findings == []


def test_crash_after_start_is_reported_even_for_an_unknown_cause():
    text = log("scheduler-tables-missing").replace("no such table", "something odd with")
    diagnosis = cl.diagnose_beat(text)
    assert diagnosis.state == "crashed"
    assert [f.cause for f in diagnosis.findings] == ["beat_crashed"]
    assert (
        "something odd with: django_celery_beat_crontabschedule" in diagnosis.findings[0].evidence
    )


def test_shutdown_after_start_means_stopped():
    text = (
        log("embedded-beat")
        + "\n[2026-11-25 17:40:00,000: INFO/MainProcess] beat: Shutting down...\n"
    )
    assert cl.diagnose_beat(text).state == "stopped"


def test_postgres_wording_of_missing_tables():
    line = 'django.db.utils.ProgrammingError: relation "django_celery_beat_periodictask" does not exist'
    assert [f.cause for f in cl.find_causes(line)] == ["scheduler_tables_missing"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (BUILT_CMD, True),
        (NO_BEAT_CMD, False),
        (["celery", "-A", "proj", "worker", "-B"], True),
        (["celery", "-A", "proj", "worker", "-lINFO", "-EB"], True),
        (["/opt/venv/bin/celery", "--app", "config.celery", "beat"], True),
        (["gunicorn", "config.wsgi:application"], None),
        (["celery", "--app", "config.celery", "flower"], None),
    ],
)
def test_beat_in_command(argv, expected):
    assert cl.beat_in_command(argv) is expected


def test_scheduler_and_pool_in_command():
    assert cl.scheduler_in_command(BUILT_CMD) == "django_celery_beat.schedulers:DatabaseScheduler"
    assert cl.scheduler_in_command(["celery", "beat", "-S", "x:Y"]) == "x:Y"
    assert cl.scheduler_in_command(["celery", "beat", "--scheduler=x:Z"]) == "x:Z"
    assert cl.scheduler_in_command(NO_BEAT_CMD) is None
    assert cl.pool_in_command(BUILT_CMD) == "prefork"
    assert cl.pool_in_command(["celery", "worker", "-P", "gevent"]) == "gevent"


def test_beat_lines_are_what_grep_beat_would_show():
    lines = cl.beat_lines(log("embedded-beat"))
    assert lines[0].endswith("beat: Starting...")
    assert all("beat" in line.lower() or "Scheduler" in line for line in lines)
