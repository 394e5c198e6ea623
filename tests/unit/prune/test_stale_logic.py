"""What the reaper decides from labels and records (no engine): gone runs only, one line per kind."""

from __future__ import annotations

from collections import Counter

from dockyard.core.run import Owner, host_name
from dockyard.core.run_record import RunRecord
from dockyard.docker.owned import Labelled
from dockyard.prune import stale

HOST = host_name()
DEAD = Owner("83727070", HOST, 4242, 100)
ALIVE = Owner("1a2b3c4d", HOST, 4343, 200)
ELSEWHERE = Owner("9f9f9f9f", "other-host", 4242, 100)


def item(kind: str, name: str, labels: dict[str, str]) -> Labelled:
    return Labelled(kind, f"id-{name}", name, labels)


def record(owner: Owner, tags=(), tempdirs=()) -> RunRecord:
    return RunRecord(owner, "2025-01-01T00:00:00+00:00", ["invoke", "bench"], list(tags), list(tempdirs))


def gone(owner: Owner) -> bool:
    return owner == DEAD


def test_only_what_a_gone_run_made_is_stale_and_the_rest_is_counted():
    items = [
        item("container", "check-web", DEAD.labels()),
        item("container", "postgres", DEAD.labels()),
        item("network", "checks", DEAD.labels()),
        item("container", "live", ALIVE.labels()),
        item("container", "kept", {"dockyard.run": "x", "dockyard.host": HOST, "dockyard.kept": "true"}),
        item("volume", "old", {"dockyard.run": "y"}),
        item("container", "far", ELSEWHERE.labels()),
    ]
    records = [record(DEAD, ["r/web:bench-83727070"], ["/tmp/dockyard-context-83727070-ab"]), record(ALIVE, ["t"])]
    survey = stale.classify(items, records, gone=gone)
    assert [s.owner for s in survey.stale] == [DEAD]
    run = survey.stale[0]
    assert sorted(i.name for i in run.items) == ["check-web", "checks", "postgres"]
    assert run.tags == ["r/web:bench-83727070"] and run.tempdirs == ["/tmp/dockyard-context-83727070-ab"]
    assert run.counts() == Counter(container=2, network=1, tag=1, tempdir=1)
    assert survey.live == Counter(container=1, record=1)
    assert survey.kept == Counter(container=1)
    assert survey.ownerless == Counter(volume=1)
    assert survey.elsewhere == Counter(container=1)


def test_an_owner_is_judged_once():
    asked = []

    def judge(owner: Owner) -> bool:
        asked.append(owner)
        return True

    stale.classify([item("container", str(n), DEAD.labels()) for n in range(5)], [record(DEAD, ["t"])], gone=judge)
    assert asked == [DEAD]


def test_one_line_per_kind_saying_which_runs():
    done = stale.Reaped()
    for _ in range(3):
        done.add("container", "83727070")
    done.add("network", "83727070")
    for run in ("83727070", "83727070", "1a2b3c4d"):
        done.add("tag", run)
    done.problems.append("image tag r/web:x: conflict (run 83727070)")
    assert stale.report_lines(done) == [
        "reaped 3 containers left by run 83727070 (process gone)",
        "reaped 1 network left by run 83727070 (process gone)",
        "reaped 3 image tags left by runs 1a2b3c4d, 83727070 (processes gone)",
        "warning: could not reap image tag r/web:x: conflict (run 83727070)",
    ]
    assert stale.report_lines(stale.Reaped()) == []


def test_a_recorded_path_not_named_like_the_runs_temp_dir_is_never_removed(tmp_path, monkeypatch):
    victim = tmp_path / "precious"
    victim.mkdir()
    mine = tmp_path / "dockyard-context-83727070-zz"
    mine.mkdir()
    settled = []
    monkeypatch.setattr(stale, "_settle_record", lambda rec, tags, dirs: settled.append((tags, dirs)))
    done = stale.reap([stale.StaleRun(DEAD, records=[record(DEAD, tempdirs=[str(victim), str(mine), "relative"])])])
    assert victim.is_dir() and not mine.exists()
    assert done.removed == Counter(tempdir=1)
    assert len(done.problems) == 2 and all("is not named like a temp dir" in p for p in done.problems)
