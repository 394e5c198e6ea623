"""Quick-rollback planning over history data (pure functions)."""

from __future__ import annotations

import pytest

from dockyard.deploy import history, rollback
from dockyard.deploy.rollback import NoHistory, NothingToRollBack, UnknownSha

_clock = iter(range(10_000))


def e(service, sha, result=history.ACCEPTED, action="deploy"):
    return history.Entry(
        time=f"2024-11-21T10:{next(_clock) % 60:02d}:00Z",
        service=service,
        app={"web": "refsite-web", "celery-unified": "refsite-celery"}.get(service, service),
        image=f"reg/{service}:{sha}",
        sha=sha,
        result=result,
        action=action,
    )


def test_two_deploys_roll_back_to_the_earlier_one():
    plan = rollback.plan_quick([e("web", "aaa111"), e("web", "bbb222")])
    (step,) = plan.steps
    assert (step.service, step.app, step.current.sha, step.target.sha) == (
        "web",
        "refsite-web",
        "bbb222",
        "aaa111",
    )
    assert step.target.image == "reg/web:aaa111"


def test_failed_and_unknown_attempts_are_never_targets_or_current():
    entries = [
        e("web", "aaa111"),
        e("web", "bbb222"),
        e("web", "ccc333", history.FAILED),
        e("web", "ddd444", history.UNKNOWN),
    ]
    plan = rollback.plan_quick(entries)
    assert (plan.steps[0].current.sha, plan.steps[0].target.sha) == ("bbb222", "aaa111")
    assert plan.notes == [
        f"web: the last attempt (deploy of ddd444 at {entries[-1].time}) was unknown; "
        f"CapRover may not run bbb222"
    ]


def test_rolling_back_twice_goes_further_back_instead_of_flipping():
    entries = [
        e("web", "aaa111"),
        e("web", "bbb222"),
        e("web", "ccc333"),
        e("web", "bbb222", action="rollback"),
    ]
    plan = rollback.plan_quick(entries)
    assert (plan.steps[0].current.sha, plan.steps[0].target.sha) == ("bbb222", "aaa111")
    entries.append(e("web", "aaa111", action="rollback"))
    with pytest.raises(NothingToRollBack, match="web has one successful deploy \\(aaa111\\)"):
        rollback.plan_quick(entries)


def test_redeploying_the_same_image_does_not_make_it_its_own_rollback_target():
    plan = rollback.plan_quick([e("web", "aaa111"), e("web", "bbb222"), e("web", "bbb222")])
    assert plan.steps[0].target.sha == "aaa111"


def test_each_service_gets_its_own_target_in_history_order():
    entries = [e("web", "a1"), e("celery-unified", "a1"), e("web", "b2"), e("celery-unified", "b2")]
    plan = rollback.plan_quick(entries)
    assert [(s.service, s.target.sha) for s in plan.steps] == [
        ("web", "a1"),
        ("celery-unified", "a1"),
    ]
    assert [s.service for s in rollback.plan_quick(entries, services=["celery-unified"]).steps] == [
        "celery-unified"
    ]


def test_a_service_with_a_single_deploy_blocks_the_plan_with_a_hint():
    entries = [e("web", "a1"), e("web", "b2"), e("celery-unified", "b2")]
    with pytest.raises(
        NothingToRollBack,
        match=r"celery-unified has one successful deploy \(b2\) and nothing "
        r"earlier to roll back to \(roll back fewer services with --service\)",
    ):
        rollback.plan_quick(entries)
    assert rollback.plan_quick(entries, services=["web"]).steps[0].target.sha == "a1"


def test_no_history_and_no_success_are_clear():
    with pytest.raises(NoHistory, match="no deploys recorded in h.jsonl"):
        rollback.plan_quick([], source="h.jsonl")
    with pytest.raises(NoHistory, match="no successful deploy recorded"):
        rollback.plan_quick([e("web", "a1", history.FAILED)])
    with pytest.raises(NoHistory, match=r"no successful deploy of flower .*services recorded: web"):
        rollback.plan_quick([e("web", "a1")], services=["flower"])


def test_to_sha_by_full_value_or_unique_prefix():
    entries = [e("web", "3f2a9c0d1111"), e("web", "77aa00112222"), e("web", "9e9e9e9e3333")]
    assert rollback.plan_quick(entries, to="3f2a9c0d1111").steps[0].target.sha == "3f2a9c0d1111"
    assert rollback.plan_quick(entries, to="77aa").steps[0].target.sha == "77aa00112222"


def test_to_sha_unknown_ambiguous_or_too_short():
    entries = [
        e("web", "3f2a9c0d1111"),
        e("web", "3f2a00112222"),
        e("web", "deadbeef0000", history.FAILED),
        e("web", "9e9e9e9e3333"),
    ]
    with pytest.raises(
        UnknownSha,
        match=r"deadbeef is not a successful deploy of web in the history \(known, "
        r"newest first: 9e9e9e9e3333, 3f2a00112222, 3f2a9c0d1111\)",
    ):
        rollback.plan_quick(entries, to="deadbeef")
    with pytest.raises(UnknownSha, match=r"3f2 \(at least 4 characters\) is not"):
        rollback.plan_quick(entries, to="3f2")
    with pytest.raises(
        UnknownSha, match="3f2a matches several deploys of web: 3f2a9c0d1111, 3f2a00112222"
    ):
        rollback.plan_quick(entries, to="3f2a")
    assert rollback.plan_quick(entries, to="3f2a0").steps[0].target.sha == "3f2a00112222"


def test_to_the_sha_already_running_is_left_alone_with_a_note():
    entries = [e("web", "a1a1"), e("celery-unified", "a1a1"), e("web", "b2b2")]
    plan = rollback.plan_quick(entries, to="a1a1")
    assert [s.service for s in plan.steps] == ["web"]
    assert plan.notes == ["celery-unified already runs reg/celery-unified:a1a1; left as is"]
    with pytest.raises(NothingToRollBack, match="every service already runs a1a1"):
        rollback.plan_quick([e("web", "a1a1")], to="a1a1")


def test_plan_serialises_for_json_output():
    plan = rollback.plan_quick([e("web", "aaa111"), e("web", "bbb222")])
    data = plan.to_dict()
    assert (
        data["steps"][0]["from_sha"] == "bbb222"
        and data["steps"][0]["to_image"] == "reg/web:aaa111"
    )
