"""The periodic task's rows, measured (doubled, lost, late), and the bounded request loop."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dockyard.core.errors import ConfigError
from dockyard.stage import heartbeat
from dockyard.stage.load import Load, percentile


def rows(*times: float) -> list[tuple[float, str]]:
    return [(t, "w1" if t < 25 else "w2") for t in times]


def test_steady_rows_pass():
    report = heartbeat.analyse(rows(0, 10, 20.02, 30, 40), 10)
    assert (report.doubled, report.missed, report.late, report.ok) == (0, 0, 0, True)
    assert report.workers == [["w1", 3], ["w2", 2]] and report.span_s == 40


def test_two_beats_overlapping_is_a_run_done_twice():
    report = heartbeat.analyse(rows(0, 10, 10.24, 20, 30), 10)
    assert (report.doubled, report.ok) == (1, False)


def test_a_late_run_is_not_a_lost_one_but_two_intervals_are():
    late = heartbeat.analyse(rows(0, 10, 28.46, 38.5), 10)  # came due at 20, sent at 28.5 when beat was back
    assert (late.late, late.missed, late.ok) == (1, 0, True)
    steady = heartbeat.analyse([(0, "w1"), (10, "w1"), (31, "w1"), (41, "w1")], 10)  # due at 20 and 30, ran once
    assert (steady.missed, steady.lost_at_restart, steady.ok) == (1, 0, False)
    restart = heartbeat.analyse([(0, "w1"), (10, "w1"), (29.98, "w2"), (39.9, "w2")], 10)  # down 20 s
    assert (restart.missed, restart.lost_at_restart, restart.ok) == (1, 1, True)
    assert heartbeat.runs_lost(41, 10) == 3 and heartbeat.runs_lost(19.98, 10) == 1
    assert heartbeat.runs_lost(18.46, 10) == 0


def test_a_late_run_then_the_next_on_time_is_not_a_double():
    """Measured on the stage: the run due at about 20 restored at the warm shutdown and run at 26.49
    by the new worker, beat's run due at 30 on time at 29.98."""
    report = heartbeat.analyse(rows(0, 9.97, 26.49, 29.98, 39.97), 10)
    assert (report.doubled, report.missed, report.late, report.ok) == (0, 0, 1, True)


def test_a_restored_message_catching_up_is_neither_lost_nor_doubled():
    """Measured on the stage: the run due at 50 was put back on the queue at the warm shutdown and
    ran at 61.29 on the new worker, beat's run due at 60 at 61.36."""
    hosts = ["a", "a", "b", "b", "c", "c", "c", "c"]
    times = (0, 9.98, 29.96, 39.83, 61.29, 61.36, 71.09, 81.1)
    report = heartbeat.analyse(list(zip(times, hosts, strict=True)), 10)
    # the first restart took 20 s: the due time at 20 got no run of its own; the second one's
    # missed run came back with the restored message
    assert (report.doubled, report.missed, report.lost_at_restart, report.late, report.ok) == (0, 1, 1, 2, True)


def test_one_row_proves_nothing():
    assert not heartbeat.analyse(rows(5), 10).ok


def test_the_model_and_field_must_be_names():
    code = heartbeat.code_for("core.Heartbeat", "created_at", 1700000000.5)
    assert "apps.get_model('core.Heartbeat')" in code and "'created_at__gte'" in code
    with pytest.raises(ConfigError, match="must be app_label.Model"):
        heartbeat.code_for("core.Heartbeat; import os", "created_at", 0)
    with pytest.raises(ConfigError):
        heartbeat.code_for("core.Heartbeat", "created_at')", 0)


class Flaky(BaseHTTPRequestHandler):
    calls = 0

    def do_GET(self) -> None:  # noqa: N802
        Flaky.calls += 1
        status = 502 if Flaky.calls % 10 == 0 else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_the_load_counts_every_answer_that_is_not_the_expected_one_and_stops_by_itself():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        load = Load(server.server_address[1], "/", pause=0.0, max_requests=60).start()
        load._threads[0].join(10)
        report = load.stop()
    finally:
        server.shutdown()
        server.server_close()
    assert 60 <= report.requests <= 62  # bounded by count (two loops may each finish one more)
    assert report.failed == Flaky.calls // 10 and report.failed >= 6
    assert report.first_failures[0].endswith(" 502")
    assert report.p50_ms is not None and report.p99_ms >= report.p50_ms


def test_nothing_answering_is_a_failure_not_an_exception():
    load = Load(9, "/", pause=0.0, max_requests=5).start()
    load._threads[0].join(10)
    report = load.stop()
    assert report.requests >= 5 and report.failed == report.requests
    assert report.first_failures[0].endswith("ConnectionRefusedError")


def test_percentile():
    assert percentile([5.0], 99) == 5.0
    values = sorted(float(v) for v in range(1, 101))
    assert percentile(values, 50) == pytest.approx(50.5) and percentile(values, 99) == pytest.approx(99.99)


OLD_WORKER_LOG = """\
[2026-12-04 13:40:51,357: INFO/Beat] Scheduler: Sending due task record-heartbeat (core.tasks.record_heartbeat)
[2026-12-04 13:40:51,491: INFO/MainProcess] Task core.tasks.record_heartbeat[7d445ff3] received
[2026-12-04 13:40:51,585: INFO/ForkPoolWorker-3] Task core.tasks.record_heartbeat[7d445ff3] succeeded in 0.09s: 9

worker: Warm shutdown (MainProcess)
[2026-12-04 13:40:56,908: INFO/MainProcess] beat: Shutting down...
[2026-12-04 13:40:57,120: WARNING/MainProcess] Restoring 1 unacknowledged message(s)
"""
NEW_WORKER_LOG = """\
 -------------- celery@3d9ce30f6a89 v5.5.3 (immunity)
[2026-12-04 13:41:32,858: INFO/Beat] beat: Starting...
[2026-12-04 13:41:33,343: INFO/MainProcess] celery@3d9ce30f6a89 ready.
[2026-12-04 13:41:34,105: INFO/Beat] DatabaseScheduler: Schedule changed.
[2026-12-04 13:41:34,144: INFO/Beat] celery beat v5.5.3 is starting. (embedded in the worker, scheduler x)
[2026-12-04 13:41:34,323: INFO/Beat] Scheduler: Sending due task record-heartbeat (core.tasks.record_heartbeat)
[2026-12-04 13:41:34,397: INFO/MainProcess] Task core.tasks.record_heartbeat[d56fbdaf] received
"""


def test_beat_timeline_merges_the_workers_logs_in_time_order():
    lines = heartbeat.beat_timeline({"new": NEW_WORKER_LOG, "old": OLD_WORKER_LOG})
    assert lines == [
        "2026-12-04 13:40:51,357 old Scheduler: Sending due task record-heartbeat (core.tasks.record_heartbeat)",
        "2026-12-04 13:40:51,491 old Task core.tasks.record_heartbeat[7d445ff3] received",
        "2026-12-04 13:40:56,908 old beat: Shutting down...",
        "2026-12-04 13:40:57,120 old Restoring 1 unacknowledged message(s)",
        "2026-12-04 13:41:32,858 new beat: Starting...",
        "2026-12-04 13:41:33,343 new celery@3d9ce30f6a89 ready.",
        "2026-12-04 13:41:34,105 new DatabaseScheduler: Schedule changed.",
        "2026-12-04 13:41:34,144 new celery beat v5.5.3 is starting. (embedded in the worker, scheduler x)",
        "2026-12-04 13:41:34,323 new Scheduler: Sending due task record-heartbeat (core.tasks.record_heartbeat)",
        "2026-12-04 13:41:34,397 new Task core.tasks.record_heartbeat[d56fbdaf] received",
    ]
    assert heartbeat.beat_timeline({"old": OLD_WORKER_LOG}, limit=2) == lines[2:4]
    assert heartbeat.beat_timeline({"a": "no celery here\n"}) == []
