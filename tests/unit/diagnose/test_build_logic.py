"""troubleshoot.build's summary of a build from BuildKit's progress (captures in tests/unit/build/fixtures)."""

from __future__ import annotations

from pathlib import Path

from dockyard.build.progress import BuildProgress, RawJsonReader
from dockyard.diagnose.build import cache_state

FIXTURES = Path(__file__).resolve().parents[1] / "build" / "fixtures"


def read(name: str) -> BuildProgress:
    progress, reader = BuildProgress(), RawJsonReader()
    for line in (FIXTURES / name).read_text().splitlines(keepends=True):
        for item in reader.feed(line):
            progress.apply(item)
    return progress


def test_cache_state_counts_the_first_miss_and_what_ran_slowest_first():
    state = cache_state(read("app.rawjson"))
    assert (state.cached_steps, state.total_steps) == (1, 4)
    assert state.first_miss.label == "runtime runtime 2/2"  # the first step BuildKit reported that ran
    assert [s.label for s in state.rebuilt] == ["runtime runtime 2/2", "runtime builder 1/1", "runtime runtime 1/2"]
    assert state.rebuilt[0].seconds > state.rebuilt[-1].seconds
    if state.cache_entries is not None:  # measured from the engine when one answers
        assert state.cache_entries > 0 and state.cache_bytes >= state.reclaimable_bytes >= 0


def test_the_failing_step_ran_and_is_listed_with_its_time():
    state = cache_state(read("broken.rawjson"))
    assert (state.cached_steps, state.total_steps) == (1, 2)
    assert state.first_miss.label == "broken 1/1"
    assert [s.label for s in state.rebuilt] == ["broken 1/1"] and state.rebuilt[0].seconds > 0
