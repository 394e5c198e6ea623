"""Celery's texts found whatever the site's log format: the two sample projects' real logs.

logs/sample-*.log are `docker logs` of the samples' images (Celery 5.7 for the ledger, 5.5 for
the board) started with their contract's environment beside a postgres and a redis: the worker
with embedded beat as built (embedded), the legacy beat alone (standalone), and the worker
without --beat (no-beat). The ledger logs `LEVEL time process pid logger message`; the board one
JSON object per line with Celery's text in "message".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.runtime import celery_logs as cl

LOGS = Path(__file__).parent / "logs"
COMMANDS = {
    "ledger": {
        "embedded": ["ledger-entrypoint", "celery", "--app", "ledger.worker", "worker", "--beat", "--loglevel", "INFO"],
        "standalone": ["ledger-entrypoint", "celery", "--app", "ledger.worker", "beat", "--loglevel", "INFO"],
        "no-beat": ["ledger-entrypoint", "celery", "--app", "ledger.worker", "worker", "--loglevel", "INFO"],
    },
    "kanban": {
        "embedded": ["tini", "--", "kanban-entrypoint", "celery", "--quiet", "--app", "k.c", "worker", "--beat"],
        "standalone": ["tini", "--", "kanban-entrypoint", "celery", "--quiet", "--app", "k.c", "beat"],
        "no-beat": ["tini", "--", "kanban-entrypoint", "celery", "--quiet", "--app", "k.c", "worker"],
    },
}


def log(sample: str, case: str) -> str:
    return (LOGS / f"sample-{sample}-{case}.log").read_text(encoding="utf-8")


@pytest.mark.parametrize("sample", ["ledger", "kanban"])
def test_worker_ready_and_embedded_beat(sample):
    text = log(sample, "embedded")
    ready = cl.worker_ready(text)
    assert ready is not None and ready.endswith(" ready.") and "celery@" in ready
    assert cl.worker_node(text).startswith("celery@")
    start = cl.beat_started(text)
    assert start is not None and start.mode == "embedded"  # the Beat process, in either format
    assert start.line.endswith("beat: Starting...")
    entry = {"ledger": "ledger-tick", "kanban": "board-pulse"}[sample]
    assert cl.due_tasks(text)[0][0] == entry
    diagnosis = cl.diagnose_beat(text, COMMANDS[sample]["embedded"])
    assert diagnosis.state == "running" and diagnosis.due_tasks_sent >= 1


@pytest.mark.parametrize("sample", ["ledger", "kanban"])
def test_standalone_beat(sample):
    text = log(sample, "standalone")
    start = cl.beat_started(text)
    assert start is not None and start.mode == "standalone"
    assert cl.worker_ready(text) is None
    assert cl.diagnose_beat(text, COMMANDS[sample]["standalone"]).running


@pytest.mark.parametrize("sample", ["ledger", "kanban"])
def test_worker_without_beat(sample):
    text = log(sample, "no-beat")
    assert cl.worker_ready(text) is not None and cl.beat_started(text) is None
    diagnosis = cl.diagnose_beat(text, COMMANDS[sample]["no-beat"])
    assert not diagnosis.running and diagnosis.findings[-1].cause == "beat_not_requested"


def test_json_lines_are_read_for_their_message_and_process():
    text = log("kanban", "embedded")
    lines = cl.log_lines(text)
    assert all(line.raw.startswith("{") for line in lines)
    assert any(line.message == "beat: Starting..." and line.process == "Beat" for line in lines)
    assert cl.beat_started(text).line == "beat: Starting..."  # quoted as the message, not the JSON
    assert cl.matching_line(text, "kanban pulse from ").startswith("kanban pulse from ")
    assert cl.task_succeeded(text, "board.tasks.pulse").startswith("Task board.tasks.pulse[")


def test_text_lines_keep_the_sites_prefix_in_the_quote():
    start = cl.beat_started(log("ledger", "embedded"))
    assert start.line.startswith("INFO ") and " Beat " in start.line


def test_exceptions_inside_json_are_causes_too():
    line = (
        '{"level": "ERROR", "process": "MainProcess", "message": "consumer: Cannot connect to '
        'redis://broker:6379/1: Error -2 connecting to broker:6379. Name or service not known.."}'
    )
    assert [f.cause for f in cl.find_causes(line)] == ["broker_unreachable"]
    tb = '{"message": "Process Beat", "process": "Beat", "exc_info": "Traceback...\\nOperationalError: x"}'
    assert cl.log_lines(tb)[-1].message == "OperationalError: x"
