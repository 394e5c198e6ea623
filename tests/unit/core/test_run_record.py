"""The run record: tags and temp dirs listed before they exist, dropped once gone, file only when needed."""

from __future__ import annotations

import json
import stat

import pytest

from dockyard.core import run_record, tempdirs
from dockyard.core.run import run_id, this_run


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKYARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(run_record, "_mine", {})
    return tmp_path / "state"


def test_the_state_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("DOCKYARD_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert run_record.state_dir() == tmp_path / "xdg" / "dockyard" / "runs"


def test_tags_are_recorded_and_the_record_goes_with_the_last_one(state):
    path = run_record.record_path(this_run())
    run_record.note_tags(["repo/web:images-1", "repo/celery:images-1"])
    data = json.loads(path.read_text())
    assert data["tags"] == ["repo/web:images-1", "repo/celery:images-1"]
    assert (data["run"], data["pid"], data["started"]) == (this_run().run, this_run().pid, this_run().started)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    run_record.forget_tags(["repo/web:images-1"])
    assert json.loads(path.read_text())["tags"] == ["repo/celery:images-1"]
    run_record.forget_tags(["repo/celery:images-1"])
    assert not path.exists()


def test_a_run_tempdir_is_named_after_the_run_listed_while_it_exists_and_removed(tmp_path):
    path = run_record.record_path(this_run())
    with tempdirs.run_tempdir("context", tmp_path) as made:
        assert made.is_dir() and made.name.startswith(f"dockyard-context-{run_id()}-")
        assert json.loads(path.read_text())["tempdirs"] == [str(made)]
        (made / "file").write_text("x")
    assert not made.exists() and not path.exists()


def test_a_run_tempdir_goes_on_an_interruption_too(tmp_path):
    with pytest.raises(KeyboardInterrupt), tempdirs.run_tempdir("rollback", tmp_path) as made:
        raise KeyboardInterrupt
    assert not made.exists() and not run_record.record_path(this_run()).exists()


def test_only_paths_named_like_the_runs_own_temp_dirs_belong_to_it(tmp_path):
    assert tempdirs.belongs_to(tmp_path / "dockyard-context-ab12-xyz", "ab12")
    assert not tempdirs.belongs_to(tmp_path / "dockyard-context-ab123-xyz", "ab12")
    assert not tempdirs.belongs_to(tmp_path / "home", "ab12")
    (tmp_path / "dockyard-link-ab12-x").symlink_to(tmp_path)
    assert not tempdirs.belongs_to(tmp_path / "dockyard-link-ab12-x", "ab12")


def test_reading_records_skips_what_is_not_one(state):
    run_record.note_tags(["repo/web:t-1"])
    (state / "garbage.json").write_text("{not json")
    (state / "other.json").write_text(json.dumps({"run": "x"}))
    records, unreadable = run_record.read_records()
    assert [r.tags for r in records] == [["repo/web:t-1"]]
    assert sorted(p.name for p in unreadable) == ["garbage.json", "other.json"]


def test_a_state_dir_that_cannot_be_written_does_not_stop_the_run(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("DOCKYARD_STATE_DIR", str(blocker / "runs"))
    monkeypatch.setattr(run_record, "unavailable", None)
    run_record.note_tags(["repo/web:t-2"])  # no exception: recording is best effort
    assert run_record.unavailable and str(blocker) in run_record.unavailable
    with tempdirs.run_tempdir("context", tmp_path) as made:
        assert made.is_dir()
    assert not made.exists()
