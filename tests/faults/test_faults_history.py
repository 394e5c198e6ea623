"""A hostile or damaged deploy history, read by `rollback.history` / `rollback.quick --dry-run`
without the engine: untrusted text is printed literally (never as rich markup, never as terminal
control codes), damage is reported and skipped, and the file is never changed by reading it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest
from faults.harness import (
    Sandbox,
    assert_literal,
    assert_no_ansi,
    assert_no_traceback,
    expect_failure,
    expect_success,
)

OWN = "issue 14 (fault suite): "
ENV = {"CAPROVER_URL": "http://127.0.0.1:9", "CAPROVER_APP_TOKEN": "token-for-history-tests"}


def entry(sha: str, /, **fields: str) -> dict:
    """A history line as dockyard writes it; `fields` replace any of its values (sha too)."""
    line = {"v": 1, "time": "2024-11-21T10:00:00.000000Z", "service": "web", "app": "refsite-web",
            "image": f"dockyard.local/refsite-web:{sha}", "sha": sha, "result": "accepted", "action": "deploy",
            "detail": "Deploy is started", "server": "http://127.0.0.1:9"}
    line.update(fields)
    return line


MARKUP = "[bold red]x[/]"


@pytest.mark.parametrize(
    "field, value",
    [
        pytest.param("action", "[/]", id="action-closing-tag"),
        pytest.param("action", MARKUP, id="action-markup"),
        pytest.param("service", MARKUP, id="service-markup"),
        pytest.param("image", "reg/web:[/]" + MARKUP, id="image-markup"),
        pytest.param("sha", "[/]abc", id="sha-markup"),
        pytest.param("detail", MARKUP, id="detail-markup"),
    ],
)
def test_markup_in_the_history_is_printed_literally(sandbox: Sandbox, field: str, value: str) -> None:
    before = sandbox.write_history([entry("aaaa1111"), entry("bbbb2222", **{field: value})]).read_bytes()
    result = sandbox.invoke("rollback.history", env=ENV)
    expect_success(result)
    if field != "detail":  # the table has no detail column
        assert_literal(result, value[:12] if field == "sha" else value)
    assert sandbox.history_path.read_bytes() == before


def test_markup_in_the_history_as_json_lines(sandbox: Sandbox) -> None:
    sandbox.write_history([entry("aaaa1111", action="[/]", service=MARKUP)])
    result = sandbox.invoke("rollback.history", "--json", env=ENV)
    expect_success(result)
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["action"] == "[/]" and json.loads(line)["service"] == MARKUP


ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x1b[31m"


@pytest.mark.parametrize("field", ["image", "service", "sha"])
def test_terminal_escapes_in_the_history_never_reach_the_terminal(sandbox: Sandbox, field: str) -> None:
    sandbox.write_history([entry("aaaa1111", **{field: f"evil{ESCAPES}text"})])
    result = sandbox.invoke("rollback.history", env=ENV)
    assert_no_traceback(result)
    assert_no_ansi(result)


@pytest.mark.parametrize(
    "raw, warning",
    [
        pytest.param(b'{"time":"2024-11-21T10:00:00Z","serv', "torn last line", id="torn-tail"),
        pytest.param(b"\x00\xff\xfe garbage\n", "unreadable line", id="binary-line"),
        pytest.param(b"[1, 2, 3]\n", "unreadable line", id="json-not-an-object"),
        pytest.param(b'{"time":"yesterday","service":"web","image":"i","sha":"s","result":"accepted"}\n',
                     "unreadable line", id="bad-time"),
        pytest.param(b'{"time":"2024-11-21T10:00:00Z","service":"web","image":"i","sha":"s","result":"won"}\n',
                     "unreadable line", id="unknown-result"),
        pytest.param(b'{"time":"2024-11-21T10:00:00Z","service":["web"],"image":"i","sha":"s","result":"accepted"}\n',
                     "unreadable line", id="service-not-a-string"),
        pytest.param(b'{"time":"2024-11-21T10:00:00Z","service":"web","image":"i","sha":"s","result":"accepted",'
                     b'"v":"x","detail":{"a":1}}\n', "unreadable line", id="extra-fields-of-wrong-type"),
    ],
)
def test_a_damaged_history_is_reported_and_skipped(sandbox: Sandbox, raw: bytes, warning: str) -> None:
    path = sandbox.write_history([entry("aaaa1111")], raw_tail=raw)
    before = path.read_bytes()
    result = sandbox.invoke("rollback.history", env=ENV)
    expect_success(result)
    assert warning in result.stderr and "aaaa1111" in result.stdout, result.describe()
    assert path.read_bytes() == before


def test_a_history_that_is_a_directory(sandbox: Sandbox) -> None:
    sandbox.history_path.mkdir(parents=True)
    expect_failure(sandbox.invoke("rollback.history", env=ENV), "deploy-history.jsonl")


@pytest.mark.parametrize("command", ["rollback.history", "rollback.quick --dry-run"])
def test_a_fifo_as_the_history_never_blocks(sandbox: Sandbox, command: str) -> None:
    sandbox.history_path.parent.mkdir(parents=True)
    os.mkfifo(sandbox.history_path)
    result = sandbox.invoke(*command.split(), env=ENV, timeout=5)
    expect_failure(result, "deploy-history.jsonl")


def test_a_large_history_is_limited_and_ordered(sandbox: Sandbox) -> None:
    entries = [entry(f"{n:08x}") for n in range(5000)]
    sandbox.write_history(entries)
    result = sandbox.invoke("rollback.history", "--limit", "3", "--json", env=ENV)
    expect_success(result)
    assert [json.loads(line)["sha"] for line in result.stdout.splitlines()] == [f"{n:08x}" for n in (4997, 4998, 4999)]


def test_output_into_a_closed_pipe(sandbox: Sandbox) -> None:
    """`invoke rollback.history --json | head -1`: the reader goes away; no traceback, no error line
    for something the user did on purpose."""
    sandbox.write_history([entry(f"{n:08x}") for n in range(20000)])
    running = sandbox.start_invoke("rollback.history", "--json", "--limit", "20000", env=ENV)
    first = running.proc.stdout.readline()
    assert first.startswith("{"), first
    running.proc.stdout.close()
    try:
        running.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(running.proc.pid, signal.SIGKILL)
        raise
    stderr = running.proc.stderr.read()
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert not [line for line in stderr.splitlines() if line.startswith("error:")], stderr


def test_output_onto_a_full_disk(sandbox: Sandbox) -> None:
    sandbox.write_history([entry(f"{n:08x}") for n in range(50)])
    argv = sandbox.invoke_argv("rollback.history", "--json")
    result = sandbox.run("sh", "-c", 'exec "$@" > /dev/full', "sh", *argv, env=ENV)
    expect_failure(result, "stdout")
