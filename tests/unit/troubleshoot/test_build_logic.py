"""troubleshoot.build's summary of a failed BuildKit log (parsed by dockyard.build.progress)."""

from __future__ import annotations

from dockyard.build.progress import BuildLog
from dockyard.diagnose.build import cache_state, failed_step, short_error

PLAIN = """\
#5 [web base 1/3] FROM docker.io/dockyard-local/python:3.11-bookworm
#5 DONE 0.0s
#6 [web base 2/3] RUN apt-get update
#6 CACHED
#7 [web builder 3/3] RUN pip install -r /tmp/requirements.txt
#7 0.512 Collecting django==5.2.19
#7 1.204 ERROR: Could not find a version that satisfies the requirement nosuchpkg==1.0
#7 ERROR: process "/bin/sh -c pip install -r /tmp/requirements.txt" did not complete successfully: exit code: 1
------
Dockerfile.multistage:41
--------------------
ERROR: failed to solve: process "/bin/sh -c pip install -r /tmp/requirements.txt" \
did not complete successfully: exit code: 1
"""


def _log() -> tuple[BuildLog, list[str]]:
    log = BuildLog()
    lines = PLAIN.splitlines()
    for line in lines:
        log.feed(line)
    return log, lines


def test_failed_step_with_output_and_dockerfile_line():
    log, lines = _log()
    step = failed_step(log, lines)
    assert step.label == "web builder 3/3"
    assert step.stage == "builder"
    assert step.command == "RUN pip install -r /tmp/requirements.txt"
    assert (
        step.output_tail[-1]
        == "ERROR: Could not find a version that satisfies the requirement nosuchpkg==1.0"
    )
    assert step.dockerfile_line == "Dockerfile.multistage:41"
    assert short_error(step.error) == "exit code 1"


def test_cache_state_counts_and_first_miss():
    log, _ = _log()
    state = cache_state(log)
    assert (state.cached_steps, state.total_steps) == (1, 2)
    assert state.first_miss.label == "web builder 3/3"
    assert state.rebuilt == []  # the failed step never finished


def test_no_failed_step_in_a_clean_log():
    log = BuildLog()
    for line in ("#6 [web base 2/3] RUN true", "#6 DONE 0.3s"):
        log.feed(line)
    assert failed_step(log, []) is None
