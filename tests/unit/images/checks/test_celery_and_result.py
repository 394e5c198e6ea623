"""celery_starts' verdict over the evidence a container gave (runtime.celery_evidence), for each role."""

from dockyard.core.commands import celery_command
from dockyard.images.checks.celery import judge
from dockyard.images.checks.result import CheckResult, over_budget, skipped
from dockyard.runtime import celery_logs
from dockyard.runtime.celery_evidence import Answer, CeleryEvidence, ScheduleState

READY = "[2024-11-21 10:00:01,000: INFO/MainProcess] celery@web-1 ready.\n"
BEAT = "[2024-11-21 10:00:00,500: INFO/Beat] beat: Starting...\n"
UNIFIED = ["celery", "--app", "config.celery", "worker", "--beat"]
WORKER = ["celery", "--app", "config.celery", "worker"]
BEAT_ONLY = ["celery", "--app", "config.celery", "beat"]


def evidence(argv, log="", ping=None, schedule=None, processes=None):
    return CeleryEvidence(
        container="c",
        running=True,
        command=argv,
        celery=celery_command(argv),
        celery_processes=[" ".join(argv)] if processes is None else processes,
        log=celery_logs.diagnose_beat(log, argv),
        ping=ping,
        schedule=schedule,
    )


PONG = Answer(True, {"celery@web-1": {"ok": "pong"}})
FRESH = ScheduleState("file", "/app/var/celerybeat-schedule", "celery.beat:PersistentScheduler", 4.0)


def test_worker_beat_and_pong_pass():
    passed, measured, detail = judge(evidence(UNIFIED, BEAT + READY, PONG, FRESH), "worker+beat")
    assert passed
    assert measured == "ping answered, beat started (schedule file /app/var/celerybeat-schedule written 4s ago)"
    assert "celery@web-1 ready." in detail


def test_beat_started_is_seen_without_any_log_line():
    """A log format nobody can read: the schedule state and the ping still tell."""
    passed, measured, _ = judge(evidence(UNIFIED, "garbled\n", PONG, FRESH), "worker+beat")
    assert passed and "beat started" in measured


def test_missing_beat_and_unanswered_ping_are_named():
    unanswered = Answer(False, detail="exit 69: Error: No nodes replied within time constraint")
    stale = ScheduleState("file", "/app/x", None, None)
    passed, measured, detail = judge(evidence(UNIFIED, READY, unanswered, stale), "worker+beat")
    assert not passed
    assert measured == "ping unanswered, beat not started"
    assert "inspect ping: exit 69: Error: No nodes replied" in detail
    assert "no beat start: schedule file /app/x: never written" in detail


def test_a_unified_target_whose_command_runs_no_beat_fails():
    passed, _, detail = judge(evidence(WORKER, READY, PONG), "worker+beat")
    assert not passed and "command starts no beat (no --beat in `celery --app config.celery worker`)" in detail


def test_the_legacy_pair_is_judged_by_what_each_runs():
    assert judge(evidence(WORKER, READY, PONG), "worker")[0]  # no beat expected
    passed, measured, _ = judge(evidence(BEAT_ONLY, "x INFO beat: Starting...\n", schedule=FRESH), "beat")
    assert passed and measured.startswith("beat started")  # no ping: beat answers none


def test_known_cause_is_quoted():
    log = "[2024-11-21 10:00:00,000: ERROR/MainProcess] consumer: Cannot connect to redis://redis:6379/0: refused.\n"
    passed, _, detail = judge(evidence(UNIFIED, log, Answer(False, detail="exit 69: no reply")), "worker+beat")
    assert not passed and "broker is unreachable" in detail and "inspect ping: exit 69" in detail


def test_not_celery_at_all():
    passed, measured, detail = judge(evidence(["gunicorn", "x.wsgi"]), "worker+beat")
    assert not passed and measured == "not celery" and "gunicorn x.wsgi" in detail


def test_over_budget_says_by_how_much():
    assert over_budget(1.2e9, 1.1e9, lambda v: f"{v / 1e6:.0f} MB") == "100 MB (9%) over budget"
    assert over_budget(5, 8) == "3 under budget"


def test_result_serialises_with_status_and_one_line():
    result = CheckResult("non_root", "web", False, "uid=0(root)", "uid 1000, not root", "detail")
    assert result.to_dict()["status"] == "fail" and result.failed
    assert result.one_line() == "web non_root: uid=0(root) (budget uid 1000, not root)"


def test_a_skipped_check_is_neither_a_pass_nor_a_failure():
    result = skipped("node_modules", "web", "no package.json", "<= 8 MB")
    assert (result.status, result.passed, result.failed) == ("skip", False, False)
    assert result.detail == "skipped: no package.json"
