"""The deploy history file: atomic appends, a reader that survives torn writes."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from dockyard.core.errors import ConfigError
from dockyard.deploy import history


def entry(service="web", sha="a" * 40, result=history.ACCEPTED, action="deploy", image=None):
    return history.Entry(
        time=history.now(),
        service=service,
        app=f"refsite-{service}",
        image=image or f"reg/refsite-{service}:{sha}",
        sha=sha,
        result=result,
        action=action,
    )


def test_missing_file_is_an_empty_history(tmp_path):
    read = history.read(tmp_path / "nope.jsonl")
    assert read.entries == [] and not read.torn_tail and read.warnings() == []


def test_append_then_read_round_trips_in_order(tmp_path):
    path = tmp_path / ".dockyard" / "deploy-history.jsonl"  # the directory does not exist yet
    first, second = (
        entry(sha="1" * 40),
        entry(service="celery-unified", sha="2" * 40, result=history.FAILED),
    )
    history.append(path, first)
    history.append(path, second)
    read = history.read(path)
    assert read.entries == [first, second]
    assert read.services == ["web", "celery-unified"]
    assert [e.ok for e in read.entries] == [True, False]
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 3  # one object per line, newline-terminated
    assert json.loads(lines[0])["v"] == history.FORMAT_VERSION


def test_torn_last_line_is_skipped_and_reported_and_earlier_entries_survive(tmp_path):
    path = tmp_path / "h.jsonl"
    kept = [entry(sha="1" * 40), entry(sha="2" * 40)]
    for e in kept:
        history.append(path, e)
    intact = path.read_bytes()
    torn = entry(sha="3" * 40).to_line()[:37]  # a crash in the middle of a write
    path.write_bytes(intact + torn)

    read = history.read(path)
    assert read.entries == kept
    assert read.torn_tail
    assert read.warnings() == [
        f"{path}: skipped a torn last line (an interrupted write); earlier entries are intact"
    ]


def test_append_after_a_torn_line_terminates_it_and_stays_readable(tmp_path):
    path = tmp_path / "h.jsonl"
    history.append(path, entry(sha="1" * 40))
    with open(path, "ab") as f:
        f.write(b'{"time": "2024-01-0')
    later = entry(sha="4" * 40)
    history.append(path, later)
    read = history.read(path)
    assert [e.sha for e in read.entries] == ["1" * 40, "4" * 40]
    assert not read.torn_tail and read.skipped_lines == [2]
    assert read.warnings() == [f"{path}: skipped unreadable line(s) 2"]


def test_complete_last_entry_without_its_newline_counts(tmp_path):
    path = tmp_path / "h.jsonl"
    e = entry()
    path.write_bytes(e.to_line().rstrip(b"\n"))
    read = history.read(path)
    assert read.entries == [e] and not read.torn_tail


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b"[1, 2]",
        json.dumps(
            {
                "time": "2024-01-01T00:00:00Z",
                "service": "web",
                "image": "i",
                "sha": "s",
                "result": "maybe",
            }
        ).encode(),
        json.dumps(
            {"time": "yesterday", "service": "web", "image": "i", "sha": "s", "result": "failed"}
        ).encode(),
        json.dumps({"service": "web", "image": "i", "sha": "s", "result": "failed"}).encode(),
        b"\xff\xfe",
    ],
)
def test_unreadable_lines_are_skipped_not_fatal(tmp_path, line):
    path = tmp_path / "h.jsonl"
    good = entry()
    path.write_bytes(line + b"\n" + good.to_line())
    read = history.read(path)
    assert read.entries == [good]
    assert read.skipped_lines == [1]


def test_unknown_keys_from_a_newer_dockyard_are_ignored(tmp_path):
    path = tmp_path / "h.jsonl"
    data = json.loads(entry().to_line())
    data["future_field"] = {"x": 1}
    path.write_text(json.dumps(data) + "\n")
    assert history.read(path).entries[0].sha == data["sha"]


def _append_many(args: tuple[str, int]) -> None:
    path, worker = args
    for n in range(40):
        history.append(Path(path), entry(sha=f"{worker:02d}{n:038d}"))


def test_concurrent_appends_from_several_processes_never_interleave(tmp_path):
    path = tmp_path / "h.jsonl"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_append_many, [(str(path), w) for w in range(4)])
    read = history.read(path)
    assert read.skipped_lines == [] and not read.torn_tail
    assert len(read.entries) == 160
    assert len({e.sha for e in read.entries}) == 160


def test_an_unreadable_history_is_one_line(tmp_path):
    (tmp_path / "h.jsonl").mkdir()
    with pytest.raises(ConfigError, match="cannot read the deploy history .*: Is a directory"):
        history.read(tmp_path / "h.jsonl")
