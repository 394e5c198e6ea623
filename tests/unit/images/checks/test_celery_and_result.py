from dockyard.images.checks.celery import judge
from dockyard.images.checks.result import CheckResult, over_budget

READY = "[2024-11-21 10:00:01,000: INFO/MainProcess] celery@web-1 ready.\n"
BEAT = "[2024-11-21 10:00:00,500: INFO/Beat] beat: Starting...\n"


def test_worker_beat_and_pong_pass():
    passed, measured, _ = judge(BEAT + READY, 0, "->  celery@web-1: OK\n        pong\n")
    assert passed and measured == "worker ready, beat started (embedded), ping answered"


def test_missing_beat_and_unanswered_ping_are_named():
    passed, measured, detail = judge(READY, 69, "Error: No nodes replied within time constraint")
    assert not passed
    assert measured == "worker ready, beat not started, ping unanswered"
    assert "no beat start in the log" in detail and "exit 69: Error: No nodes replied" in detail


def test_known_cause_is_quoted():
    log = "[2024-11-21 10:00:00,000: ERROR/MainProcess] consumer: Cannot connect to redis://redis:6379/0: refused.\n"
    passed, _, detail = judge(log, None, "the container is not running")
    assert not passed and "broker is unreachable" in detail and "inspect ping: not run" in detail


def test_over_budget_says_by_how_much():
    assert over_budget(1.2e9, 1.1e9, lambda v: f"{v / 1e6:.0f} MB") == "100 MB (9%) over budget"
    assert over_budget(5, 8) == "3 under budget"


def test_result_serialises_with_status_and_one_line():
    result = CheckResult("non_root", "web", False, "uid=0(root)", "uid 1000, not root", "detail")
    assert result.to_dict()["status"] == "fail"
    assert result.one_line() == "web non_root: uid=0(root) (budget uid 1000, not root)"
