"""Which source a rollback reads (CapRover's versions > the registry's tags > the local history), how
each becomes a deploy timeline, and what the plan makes of it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from dockyard.deploy import history, rollback, sources
from dockyard.deploy.caprover_versions import AppHistory, AppVersion
from dockyard.deploy.registry import RegistryUnavailable, parse_registry

A, B, C, D = "aaaa" * 3, "bbbb" * 3, "cccc" * 3, "dddd" * 3


def local(*shas: str, service: str = "web") -> list[history.Entry]:
    return [
        history.Entry(time=f"2024-11-2{i}T10:00:00.000000Z", service=service, image=f"reg/web:{sha}", sha=sha,
                      result=history.ACCEPTED, app="refsite-web")
        for i, sha in enumerate(shas)
    ]


def test_caprover_versions_become_deploys_reverts_rollbacks_and_failures():
    app = AppHistory("refsite-web", 5, (
        AppVersion(0, "caprover/caprover-placeholder-app:latest", "2024-11-18T09:00:00.000Z", ""),
        AppVersion(1, f"127.0.0.1:5000/web:{A}", "2024-11-19T10:00:00.000Z", A),
        AppVersion(2, f"127.0.0.1:5000/web:{B}", "2024-11-20T10:00:00.000Z", B),
        AppVersion(3, "", "2024-11-20T11:00:00.000Z", C),
        AppVersion(4, "img-captain-refsite-web:4", "2024-11-20T12:00:00.000Z", A),  # the dashboard's revert
        AppVersion(5, f"127.0.0.1:5000/web:{D}", "2024-11-21T10:00:00.000Z", D),
        AppVersion(6, f"127.0.0.1:5000/web:{C}", "2024-11-22T10:00:00.000Z", C),  # not (yet) the running one
    ))
    entries = sources.caprover_entries(app, "web", "https://captain.example.com")
    assert [(e.sha, e.result, e.action) for e in entries] == [
        (A, "deployed", "deploy"), (B, "deployed", "deploy"), (C, "failed", "deploy"),
        (A, "deployed", "rollback"), (D, "deployed", "deploy"), (C, "unknown", "deploy"),
    ]
    assert entries[3].image == f"127.0.0.1:5000/web:{A}"  # the revert's image is the one it went back to
    assert entries[4].detail == "CapRover version 5 (running)"
    plan = rollback.plan_quick(entries)
    (step,) = plan.steps
    assert (step.current.sha, step.target.sha) == (D, A)  # the revert popped B off the stack


@dataclass
class FakeRegistry:
    """The part of dockyard.deploy.registry.Registry that sources reads: tags and image configs."""

    configs: dict[str, dict]  # tag -> image config
    host: str = "127.0.0.1:5000"
    calls: list[str] = field(default_factory=list)
    down: bool = False

    def repository_for(self, image: str) -> str:
        return parse_registry(self.host).repository_for(image)

    def tags(self, path: str) -> list[str]:
        if self.down:
            raise RegistryUnavailable("registry 127.0.0.1:5000 does not answer (Connection refused); start it")
        self.calls.append(path)
        return [*self.configs, "latest", "zd-1234-next"]

    def image_config(self, path: str, tag: str) -> dict:
        return self.configs[tag]


def labelled(commit_time: str | None, created: str = "2030-01-01T00:00:00.123456789Z") -> dict:
    labels = {"dockyard.commit-time": commit_time} if commit_time else {}
    return {"created": created, "config": {"Labels": labels}}


REGISTRY = FakeRegistry({
    C: labelled("2024-11-21T10:00:00+01:00"),
    A: labelled("2024-11-19T10:00:00+00:00"),
    B: labelled(None, created="2024-11-20T10:00:00.5Z"),  # no label: its build time
})


def test_registry_tags_are_ordered_by_commit_time_and_skip_tags_that_are_no_sha():
    tags = sources.registry_tags(REGISTRY, "dockyard.local/refsite-web")
    assert [(t.tag, t.order_from) for t in tags] == [(A, "commit"), (B, "created"), (C, "commit")]
    assert tags[0].ref == f"127.0.0.1:5000/refsite-web:{A}"
    assert tags[2].order_time == "2024-11-21T09:00:00.000000Z"


def test_a_fresh_clone_takes_the_newest_tag_as_running_and_goes_back_one():
    line = sources.timeline("web", "refsite-web", [], image="dockyard.local/refsite-web", registry=REGISTRY)
    assert line.source == sources.REGISTRY and line.current_sha == C
    assert line.notes == [f"web: nothing says which SHA runs now; taking the newest pushed one ({C}) as running"]
    step, = rollback.plan_quick(line.entries).steps
    assert (step.current.sha, step.target.sha, step.target.image) == (C, B, f"127.0.0.1:5000/refsite-web:{B}")


def test_what_runs_comes_from_the_live_stage_then_the_local_history():
    by_history = sources.timeline("web", "app", local(A, B), image="x/refsite-web", registry=REGISTRY)
    assert by_history.current_sha == B and [e.sha for e in by_history.entries] == [A, B]
    live = sources.timeline("web", "app", local(A, B), image="x/refsite-web", registry=REGISTRY, live_sha=C[:8])
    assert live.current_sha == C[:8] and len(live.entries) == 3
    step, = rollback.plan_quick(live.entries).steps
    assert step.target.sha == B


def test_a_running_image_the_registry_does_not_have_falls_back_to_the_local_history():
    entries = local(A, D)  # D was deployed from here under a tag the registry has no SHA of
    line = sources.timeline("web", "app", entries, image="x/refsite-web", registry=REGISTRY)
    assert line.source == sources.LOCAL and line.entries == entries
    assert "not among the registry's SHA tags; going by the local history" in line.notes[0]


def test_an_unreachable_registry_warns_and_uses_the_local_history():
    warned: list[str] = []
    down = FakeRegistry({}, down=True)
    line = sources.timeline("web", "app", local(A, B), image="x/web", registry=down, warn=warned.append)
    assert line.source == sources.LOCAL and [e.sha for e in line.entries] == [A, B]
    assert warned and warned[0].startswith("web: the registry's tags could not be read (registry 127.0.0.1:5000")


def test_caprover_wins_and_says_so_when_the_local_history_disagrees():
    app = AppHistory("refsite-web", 2, (
        AppVersion(1, f"reg/web:{A}", "2024-11-19T10:00:00.000Z", A),
        AppVersion(2, f"reg/web:{B}", "2024-11-20T10:00:00.000Z", B),
    ))
    registry = FakeRegistry(dict(REGISTRY.configs))
    line = sources.timeline("web", "refsite-web", local(A, C), caprover=app, image="x/web", registry=registry)
    assert line.source == sources.CAPROVER and line.current_sha == B
    assert line.notes == [
        f"web: the local history says {C} runs, CapRover says {B} (version 2); CapRover's version history wins"
    ]
    assert registry.calls == []  # CapRover's answer is enough: the registry is not asked


def test_registry_entries_are_rollback_targets_but_not_written_to_the_file():
    (entry,) = sources.registry_entries(sources.registry_tags(REGISTRY, "x/web")[:1], "web", "app", "reg")
    assert entry.ok and entry.result == history.PUSHED


@pytest.mark.parametrize("a,b,same", [(A, A, True), (A[:7], A, True), (A[:6], A, False), (A, B, False), ("", A, False)])
def test_same_sha_allows_a_prefix_of_seven(a, b, same):
    assert sources._same_sha(a, b) is same
