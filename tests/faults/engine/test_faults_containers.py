"""Containers and images that are broken, odd or carry secrets, read by `troubleshoot.*` and
`test.*` (issue 14 defects 5, 9 and 10).

The containers here are made by the test from the local base images (no build), named after the
sandbox's run id so the harness removes them; the leak check compares against what existed after
they were made.
"""

from __future__ import annotations

import time

import pytest
from faults.harness import (
    Sandbox,
    assert_no_secret,
    assert_no_traceback,
    docker_client,
    expect_failure,
    expect_success,
)

SECRET = "S3cretPW"
DEBIAN = "dockyard-local/debian:bookworm"
REDIS = "dockyard-local/redis:7"


def make_container(sandbox: Sandbox, suffix: str, image: str, entrypoint: list[str], **kwargs):  # noqa: ANN003, ANN201
    """A container of the test's own (name holds the run id, so the sandbox removes it)."""
    container = docker_client().containers.run(
        image, name=f"dockyard-faults-{sandbox.run_id}-{suffix}", entrypoint=entrypoint, detach=True,
        labels={"dockyard.faults": sandbox.run_id}, **kwargs,
    )
    return container


def wait_status(container, status: str, timeout: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        container.reload()
        if container.status == status:
            return
        time.sleep(0.2)
    raise AssertionError(f"{container.name} is {container.status}, not {status}")


# --------------------------------------------------------------------------- defect 5: credentials in commands


@pytest.fixture
def beat_with_password(sandbox: Sandbox):  # noqa: ANN201
    script = (f"echo 'celery beat v5.4.0 (opalescent) is starting.'; echo '. broker -> redis://:{SECRET}@redis:6379/0';"
              " echo 'beat: Starting...'; sleep 300")
    container = make_container(
        sandbox, "beat", DEBIAN,
        ["sh", "-c", script, "celery", "-A", "config.celery", "worker", "--beat",
         "--broker", f"redis://:{SECRET}@redis:6379/0"],
        environment={"DATABASE_URL": f"postgres://site:{SECRET}@db:5432/site", "REDIS_PASSWORD": SECRET},
    )
    wait_status(container, "running")
    time.sleep(1)
    sandbox.settle()  # from here on, only what the task under test makes counts
    return container


@pytest.mark.parametrize("json_flag", [(), ("--json",)], ids=["table", "json"])
def test_troubleshoot_beat_never_shows_a_password(sandbox: Sandbox, beat_with_password, json_flag) -> None:  # noqa: ANN001
    result = sandbox.invoke("troubleshoot.beat", beat_with_password.name, *json_flag)
    assert_no_traceback(result)
    assert result.code == 0, result.describe()
    assert "--broker" in result.output, "the command is not shown at all"
    assert_no_secret(SECRET, result, sandbox.files_written())


@pytest.mark.parametrize("json_flag", [(), ("--json",)], ids=["table", "json"])
def test_troubleshoot_container_never_shows_a_password(sandbox: Sandbox, beat_with_password, json_flag) -> None:  # noqa: ANN001
    result = sandbox.invoke("troubleshoot.container", beat_with_password.name, *json_flag)
    assert_no_traceback(result)
    assert_no_secret(SECRET, result, sandbox.files_written())
    sandbox.assert_no_leaks()


def test_health_never_shows_a_password_from_a_probe(sandbox: Sandbox) -> None:
    container = make_container(
        sandbox, "probe", DEBIAN, ["sleep", "300"],
        healthcheck={"test": ["CMD-SHELL", f"echo connecting to postgres://u:{SECRET}@db/x; exit 1"],
                     "interval": 500_000_000, "retries": 1, "timeout": 2_000_000_000},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        container.reload()
        if (container.attrs["State"].get("Health") or {}).get("Status") == "unhealthy":
            break
        time.sleep(0.3)
    for args in ((), ("--json",)):
        result = sandbox.invoke("test.health", "--name", container.name, *args)
        expect_failure(result, "unhealthy")
        assert_no_secret(SECRET, result)


# --------------------------------------------------------------------------- defect 10: what a container is


def test_an_exited_container_is_reported_as_exited_with_its_code(sandbox: Sandbox) -> None:
    container = make_container(sandbox, "exits", REDIS, ["sh", "-c", "sleep 2; exit 3"])
    wait_status(container, "exited")
    sandbox.settle()  # from here on, only what the task under test makes counts
    result = sandbox.invoke("troubleshoot.container", container.name)
    line = expect_failure(result, "exited", "3")
    assert "in a row" not in result.output and "no probe recorded" not in line, result.describe()
    sandbox.assert_no_leaks()


def test_health_of_a_container_without_a_healthcheck_says_so(sandbox: Sandbox) -> None:
    container = make_container(sandbox, "nohc", DEBIAN, ["sleep", "300"])
    wait_status(container, "running")
    result = sandbox.invoke("test.health", "--name", container.name)
    line = expect_failure(result, container.name)
    assert "healthcheck" in line.lower() and "is none" not in line, line


def test_health_of_an_exited_container_gives_its_exit_code(sandbox: Sandbox) -> None:
    container = make_container(sandbox, "exit7", DEBIAN, ["sh", "-c", "exit 7"])
    wait_status(container, "exited")
    expect_failure(sandbox.invoke("test.health", "--name", container.name), container.name, "exited")


@pytest.mark.parametrize(
    "command",
    ["test.health --name {missing}", "troubleshoot.container {missing}", "troubleshoot.beat {missing}",
     "troubleshoot.size {missing}:1", "test.web --image {missing}:1", "test.security --images {missing}:1"],
)
def test_something_that_does_not_exist(sandbox: Sandbox, command: str) -> None:
    missing = f"dockyard-faults-missing-{sandbox.run_id}"
    result = sandbox.invoke(*command.format(missing=missing).split())
    expect_failure(result, missing)
    sandbox.assert_no_leaks()


# --------------------------------------------------------------------------- defect 9: invalid image references


@pytest.mark.parametrize(
    "command",
    ["troubleshoot.size {ref}", "test.security --images {ref}", "test.web --image {ref}", "test.celery --image {ref}"],
)
@pytest.mark.parametrize("ref", ["UPPER/Bad::ref", "bad ref"])
def test_an_invalid_image_reference(sandbox: Sandbox, command: str, ref: str) -> None:
    words = command.split()
    result = sandbox.invoke(*[w.format(ref=ref) for w in words])
    expect_failure(result, ref)
    sandbox.assert_no_leaks()


# --------------------------------------------------------------------------- a container that goes away


def test_a_container_removed_while_beat_waits_for_it(sandbox: Sandbox) -> None:
    """troubleshoot.beat --wait on a container that is removed meanwhile: one line, not a traceback."""
    container = make_container(sandbox, "vanishes", DEBIAN, ["sleep", "300"])
    wait_status(container, "running")
    running = sandbox.start_invoke("troubleshoot.beat", container.name, "--wait", "20")
    time.sleep(2)
    container.remove(force=True)
    result = running.finish(60)
    expect_failure(result, container.name)


def test_the_image_checks_succeed_on_a_healthy_sleeping_container(sandbox: Sandbox) -> None:
    """The control case: a plain running container without problems is no error for test.health
    when no name is given and it has no HEALTHCHECK."""
    container = make_container(sandbox, "plain", DEBIAN, ["sleep", "300"])
    wait_status(container, "running")
    result = sandbox.invoke("test.health", "--label", f"dockyard.faults={sandbox.run_id}")
    expect_success(result)
    assert container.name in result.stdout
