"""Who owns what: the run's labels, process start times, and when a run counts as gone."""

from __future__ import annotations

import os
import subprocess
import sys

from dockyard.core import run
from dockyard.core.run import Owner


def test_the_labels_name_run_host_pid_and_start_and_read_back():
    me = run.this_run()
    labels = run.run_labels()
    assert labels == {
        "dockyard.run": me.run,
        "dockyard.host": run.host_name(),
        "dockyard.pid": str(os.getpid()),
        "dockyard.started": str(run.process_start(os.getpid())),
    }
    assert Owner.from_labels(labels) == me
    assert int(labels["dockyard.started"]) > 0


def test_labels_without_an_owner_name_nobody():
    assert Owner.from_labels(None) is None
    assert Owner.from_labels({"dockyard.run": "x"}) is None  # an older dockyard: run id only
    assert Owner.from_labels({**run.run_labels(), "dockyard.pid": "twelve"}) is None
    kept = run.kept_labels()
    assert kept["dockyard.kept"] == "true" and "dockyard.pid" not in kept
    assert Owner.from_labels(kept) is None


def test_this_process_is_not_gone_and_an_ended_one_is():
    assert not run.is_gone(run.this_run())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    started = run.process_start(child.pid)
    child.wait()
    assert run.process_start(child.pid) is None
    assert run.is_gone(Owner("r", run.host_name(), child.pid, started or 1))


def test_a_pid_now_used_by_a_later_process_is_gone():
    me = run.this_run()
    assert run.is_gone(Owner(me.run, me.host, me.pid, me.started - 1))


def test_a_run_of_another_host_is_never_gone_from_here():
    assert not run.is_gone(Owner("r", run.host_name() + "-elsewhere", 2**22 + 7, 1))


def test_process_start_reads_the_field_after_a_command_with_spaces_and_parentheses(tmp_path):
    script = tmp_path / "a (b) c"
    script.write_text("import time; time.sleep(30)\n")
    child = subprocess.Popen([sys.executable, str(script)])
    try:
        with open(f"/proc/{child.pid}/stat") as handle:
            expected = int(handle.read().rsplit(")", 1)[1].split()[19])
        assert run.process_start(child.pid) == expected
    finally:
        child.kill()
        child.wait()


def test_a_forked_child_is_another_owner_of_the_same_run():
    parent = run.this_run()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its own identity and leave at once
        child = run.this_run()
        os.write(write, f"{child.run} {child.pid} {child.started}".encode())
        os._exit(0)
    os.close(write)
    text = os.read(read, 200).decode()
    os.waitpid(pid, 0)
    run_id, child_pid, started = text.split()
    assert run_id == parent.run and int(child_pid) == pid and int(started) > 0
