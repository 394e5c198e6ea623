"""Issue 14 defect 1: a Dockerfile whose stages form a cycle must never reach the engine.

BuildKit 0.13 overflows its stack on such a file and dockerd dies with every container on the
machine. These tests run WITHOUT the engine: DOCKER_HOST is the harness's tripwire socket, so even
a regression cannot hand the file to the real engine, and the tripwire proves the refusal came
before any engine contact (dockyard.build.preflight, which every build goes through).
"""

from __future__ import annotations

import pytest
from faults.harness import Result, Sandbox, assert_no_traceback, expect_failure

DOCKERFILE = "deployment/Dockerfile.multistage"

# a line only runtime-full has: the edits below go into that stage
RUNTIME_FULL_LINE = "COPY --link --from=builder --chown=1000:1000 /opt/node_modules /code/node_modules\n"

# (name, edit of the reference Dockerfile, stages the error must name)
CYCLES = {
    # the repro: celery-unified is FROM runtime-full, and runtime-full copies from it
    "copy-from-child": (
        RUNTIME_FULL_LINE,
        RUNTIME_FULL_LINE + "COPY --link --from=celery-unified /etc/hostname /tmp/cyc\n",
        ("runtime-full", "celery-unified"),
    ),
    # a stage copying from itself
    "copy-from-self": (
        RUNTIME_FULL_LINE,
        RUNTIME_FULL_LINE + "COPY --from=runtime-full /etc/hostname /tmp/cyc\n",
        ("runtime-full",),
    ),
    # the cycle closes through a RUN --mount from= instead of COPY --from
    "mount-from-child": (
        "FROM base AS builder\n",
        "FROM base AS builder\nRUN --mount=type=bind,from=test,target=/cyc true\n",
        ("builder", "test"),
    ),
}

def with_cycle(sandbox: Sandbox, shape: str) -> tuple[str, ...]:
    old, new, stages = CYCLES[shape]
    text = sandbox.read(DOCKERFILE)
    assert old in text, f"the reference Dockerfile changed: {old!r} is gone"
    sandbox.write(DOCKERFILE, text.replace(old, new, 1))
    return stages


def expect_cycle_refused(sandbox: Sandbox, result: Result, stages: tuple[str, ...]) -> None:
    line = expect_failure(result, "cycle", *stages)
    assert sandbox.tripwire is not None and sandbox.tripwire.connections == 0, (
        f"the engine was contacted before the cycle was refused ({line})"
    )


def test_the_tripwire_stands_in_for_the_engine(sandbox: Sandbox) -> None:
    """The guard itself: with DOCKER_HOST on the tripwire a build reaches the tripwire, not the engine."""
    result = sandbox.invoke("build.web")
    expect_failure(result, "not reachable")
    assert sandbox.tripwire is not None and sandbox.tripwire.connections >= 1


@pytest.mark.parametrize("shape", sorted(CYCLES))
def test_lint_flags_a_stage_cycle(sandbox: Sandbox, shape: str) -> None:
    stages = with_cycle(sandbox, shape)
    result = sandbox.invoke("lint", "--no-hadolint", timeout=60)
    assert not result.timed_out, result.describe()
    assert_no_traceback(result)
    assert result.code == 1, result.describe()
    findings = [line for line in result.stdout.splitlines() if "cycle" in line.lower()]
    assert findings, f"no finding names the cycle\n{result.describe()}"
    assert all(stage in findings[0] for stage in stages), findings[0]


@pytest.mark.parametrize("shape", sorted(CYCLES))
def test_lint_module_flags_a_stage_cycle_as_json(sandbox: Sandbox, shape: str) -> None:
    """`python -m dockyard.lint --json` (what nox runs): the cycle is a finding in the JSON."""
    import json

    with_cycle(sandbox, shape)
    result = sandbox.module("dockyard.lint", "--json", "--no-hadolint", timeout=60)
    assert not result.timed_out, result.describe()
    assert_no_traceback(result)
    assert result.code == 1, result.describe()
    assert "cycle" in json.dumps(json.loads(result.stdout)).lower(), result.describe()


@pytest.mark.parametrize("shape", sorted(CYCLES))
@pytest.mark.parametrize("task", ["build.web", "build.essential", "troubleshoot.build web"])
def test_build_refuses_a_stage_cycle_before_the_engine(sandbox: Sandbox, shape: str, task: str) -> None:
    stages = with_cycle(sandbox, shape)
    expect_cycle_refused(sandbox, sandbox.invoke(*task.split(), timeout=60), stages)


def test_images_run_refuses_a_stage_cycle_before_the_engine(sandbox: Sandbox) -> None:
    """`nox -s images` builds from git's tracked files: the committed cycle must be refused too."""
    stages = with_cycle(sandbox, "copy-from-child")
    sandbox.commit("a stage cycle")
    expect_cycle_refused(sandbox, sandbox.module("dockyard.images_run", "web", timeout=60), stages)


def test_rollback_full_refuses_a_ref_whose_dockerfile_has_a_cycle(sandbox: Sandbox) -> None:
    """An old commit is rebuilt with its own Dockerfile: a cycle there must be refused as well."""
    stages = with_cycle(sandbox, "copy-from-child")
    sha = sandbox.commit("a stage cycle")
    result = sandbox.invoke(
        "rollback.full", sha, "--yes",
        env={"CAPROVER_URL": "http://127.0.0.1:9", "CAPROVER_APP_TOKEN": "unused-token"},
        timeout=60,
    )
    expect_cycle_refused(sandbox, result, stages)
