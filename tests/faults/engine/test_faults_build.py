"""Builds, prune and `nox -s images` on a tiny project (issue 14 defects 2, 8, 9 and 10's build
cases): silent wrong results are caught by what the engine holds afterwards, not by the output.

Every image made here is tagged under a registry name unique to the sandbox
(`dockyard-faults-<run id>/...`), so the shared `dockyard.local/refsite-*` tags are never touched;
the tests check that they were not.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time

import pytest
from faults.harness import (
    Sandbox,
    docker_client,
    expect_failure,
    expect_success,
    image_ids,
    images_matching,
)

SHARED = ("dockyard.local/refsite-web:latest", "dockyard.local/refsite-celery:latest",
          "dockyard.local/refsite-flower:latest")


def test_the_tiny_project_builds(sandbox: Sandbox, tiny_project: str) -> None:
    """The control case: build.web makes exactly the sandbox's web image."""
    shared = image_ids(SHARED)
    result = sandbox.invoke("build.web", "--progress", "plain", timeout=300)
    expect_success(result)
    assert images_matching(tiny_project + "/") == [f"{tiny_project}/refsite-web:latest"]
    assert image_ids(SHARED) == shared


@pytest.mark.parametrize("value", ["", ","])
def test_build_targets_naming_nothing_builds_nothing(sandbox: Sandbox, tiny_project: str, value: str) -> None:
    shared = image_ids(SHARED)
    result = sandbox.invoke("build.targets", "--targets", value, "--progress", "plain", timeout=300)
    assert image_ids(SHARED) == shared, "a shared image was retagged"
    assert images_matching(tiny_project + "/") == [], "something was built"
    expect_failure(result, "--targets")


def test_base_image_from_the_environment_is_used(sandbox: Sandbox, tiny_project: str) -> None:
    """The built image's layers are the base image's (the tiny Dockerfile adds none): they tell which
    base the build really used."""
    chosen = "dockyard-local/redis:7"
    result = sandbox.invoke("build.web", "--progress", "plain", env={"BASE_IMAGE": chosen}, timeout=300)
    expect_success(result)
    api = docker_client().api
    built = api.inspect_image(f"{tiny_project}/refsite-web:latest")["RootFS"]["Layers"]
    assert built == api.inspect_image(chosen)["RootFS"]["Layers"], "the build did not use BASE_IMAGE"


def test_an_illegal_tag_is_named_in_the_error(sandbox: Sandbox, tiny_project: str) -> None:
    result = sandbox.invoke("build.web", "--tag", "Bad:Tag!", "--progress", "plain", timeout=300)
    line = expect_failure(result, "Bad:Tag!")
    assert "see the log" not in line, line
    assert images_matching(tiny_project + "/") == []


def test_a_failing_step_is_named_in_the_error(sandbox: Sandbox, tiny_project: str) -> None:
    path = sandbox.path("deployment/Dockerfile.multistage")
    path.write_text(path.read_text().replace("FROM base AS runtime-full\n",
                                             "FROM base AS runtime-full\nRUN echo dockyard-faults-step; exit 3\n"))
    result = sandbox.invoke("build.web", "--progress", "plain", timeout=300)
    expect_failure(result, "exit 3")
    assert images_matching(tiny_project + "/") == []
    sandbox.assert_no_leaks()


@pytest.mark.parametrize(
    "args, facts",
    [
        pytest.param(["build.targets", "--targets", "nope"], ("nope",), id="unknown-target"),
        pytest.param(["troubleshoot.build", "nope"], ("nope",), id="troubleshoot-unknown-target"),
    ],
)
def test_an_unknown_target(sandbox: Sandbox, tiny_project: str, args: list[str], facts: tuple[str, ...]) -> None:
    expect_failure(sandbox.invoke(*args, timeout=120), *facts)
    assert images_matching(tiny_project + "/") == []


def test_a_bake_file_buildx_cannot_read(sandbox: Sandbox, tiny_project: str) -> None:
    path = sandbox.path("deployment/docker-bake.multistage.hcl")
    path.write_text(path.read_text() + '\ntarget "broken" {\n  tags = [\n')
    expect_failure(sandbox.invoke("build.web", timeout=120), "docker-bake.multistage.hcl")
    assert images_matching(tiny_project + "/") == []


def test_a_dockyard_dir_that_is_a_file(sandbox: Sandbox, tiny_project: str) -> None:
    sandbox.write(".dockyard", "not a directory\n")
    expect_failure(sandbox.invoke("build.web", "--progress", "plain", timeout=300), ".dockyard")
    assert images_matching(tiny_project + "/") == []


# --------------------------------------------------------------------------- prune


@pytest.fixture
def service_tags(sandbox: Sandbox, tiny_image: str) -> dict[str, str]:
    """`latest` and an old tag in a repository of the sandbox's own, configured as the web service's."""
    repository = f"dockyard-faults-{sandbox.run_id}/prune"
    api = docker_client().api
    for tag in ("latest", "old1"):
        api.tag(tiny_image, repository, tag)
    sandbox.on_close(lambda: [api.remove_image(f"{repository}:{t}") for t in ("latest", "old1")
                              if image_ids([f"{repository}:{t}"])[f"{repository}:{t}"]])
    sandbox.set_config("tool.dockyard.services.web", "image", json.dumps(repository))
    return {tag: f"{repository}:{tag}" for tag in ("latest", "old1")}


def test_prune_images_dry_run_keeps_latest(sandbox: Sandbox, service_tags: dict[str, str]) -> None:
    """The control case: the default keep_tags keeps :latest, the old tag would go; nothing is removed."""
    before = image_ids(service_tags.values())
    result = sandbox.invoke("prune", "--images", "--dry-run", timeout=120)
    expect_success(result)
    assert f"keeps {service_tags['latest']}" in result.stdout, result.describe()
    assert f"will remove image tag {service_tags['old1']}" in result.stdout, result.describe()
    assert image_ids(service_tags.values()) == before


def test_prune_with_keep_tags_as_a_string_refuses(sandbox: Sandbox, service_tags: dict[str, str]) -> None:
    sandbox.set_config("tool.dockyard.prune", "keep_tags", '"latest"')
    before = image_ids(service_tags.values())
    result = sandbox.invoke("prune", "--images", "--dry-run", timeout=120)
    assert image_ids(service_tags.values()) == before
    assert f"will remove image tag {service_tags['latest']}" not in result.stdout, result.describe()
    expect_failure(result, "keep_tags")


# --------------------------------------------------------------------------- no docker CLI


@pytest.fixture
def path_without_docker(tmp_path) -> str:  # noqa: ANN001
    bin_dir = tmp_path / "bin-without-docker"
    bin_dir.mkdir()
    for tool in ("git", "sh"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    return f"{bin_dir}:{os.path.dirname(sys.executable)}"


@pytest.mark.parametrize("command", ["build.web", "test.compose", "troubleshoot.build web"])
def test_no_docker_cli(sandbox: Sandbox, tiny_project: str, path_without_docker: str, command: str) -> None:
    result = sandbox.invoke(*command.split(), env={"PATH": path_without_docker}, timeout=120)
    expect_failure(result, "docker", "PATH")
    assert images_matching(tiny_project + "/") == []
    sandbox.assert_no_leaks()


def test_prune_needs_no_docker_cli(sandbox: Sandbox, path_without_docker: str) -> None:
    """prune measures and prunes through the Engine API (docs/architecture.md), not the CLI."""
    result = sandbox.invoke("prune", "--dry-run", env={"PATH": path_without_docker}, timeout=120)
    expect_success(result)
    assert "dry run: nothing removed" in result.stdout, result.describe()


# --------------------------------------------------------------------------- nox -s images


@pytest.fixture
def few_checks(sandbox: Sandbox, tiny_project: str) -> str:
    """Three checks that fail on the tiny image: it runs as root, and its container never turns
    healthy (given 3 s here)."""
    sandbox.set_config("tool.dockyard.checks", "targets", '["web"]')
    sandbox.set_config("tool.dockyard.checks", "startup_seconds", "3")
    sandbox.append_config('[tool.dockyard.checks.web]\nchecks = ["non_root", "healthcheck", "healthy"]\n')
    sandbox.commit("few checks")
    sandbox.settle()
    return tiny_project


def test_images_run_failing_checks_leave_nothing_behind(sandbox: Sandbox, few_checks: str) -> None:
    result = sandbox.module("dockyard.images_run", "web", "--progress", "plain", timeout=600)
    expect_failure(result, "check")
    report = json.loads(sandbox.read(".dockyard/reports/images.json"))
    sandbox.other_ids.append(report["run_id"])  # it names its containers after the run id it chose
    assert images_matching(few_checks + "/") == [], "the run's images were not removed"
    sandbox.assert_no_leaks()


def images_run_id(registry: str) -> str | None:
    """The run id `nox -s images` chose for itself, read from the tag of the image it built."""
    for tag in images_matching(registry + "/"):
        if ":images-" in tag:
            return tag.rsplit(":images-", 1)[1]
    return None


def start_images_run_and_wait_for_checks(sandbox: Sandbox, registry: str):  # noqa: ANN201
    """Start `python -m dockyard.images_run web`; return once its service container has been running
    for a second (the checks are under way)."""
    running = sandbox.start(sys.executable, "-m", "dockyard.images_run", "web", "--progress", "plain")
    run_id = sandbox.wait_for(lambda: images_run_id(registry), 300, "the run's image", running, poll=0.1)
    sandbox.other_ids.append(run_id)
    sandbox.wait_for(lambda: sum(c.endswith("(running)") for c in sandbox.observe().containers) >= 2, 120,
                     "the checks' containers", running)
    time.sleep(1)
    return running


@pytest.fixture
def checks_with_a_service(sandbox: Sandbox, few_checks: str) -> str:
    """The web container of the checks needs a redis service container, and the check waiting for it
    to turn healthy takes up to two minutes: signals land while both run."""
    sandbox.set_config("tool.dockyard.checks", "startup_seconds", "120")
    sandbox.set_config("tool.dockyard.checks.web", "needs", '["redis"]')
    sandbox.commit("web needs redis, waits longer")
    sandbox.settle()
    return few_checks


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_images_run_interrupted_leaves_nothing_behind(sandbox: Sandbox, checks_with_a_service: str,
                                                      signame: str) -> None:
    """`nox -s images` stopped during its checks: containers, network, the run's images and the
    export all go (it already handles SIGTERM like Ctrl-C)."""
    signum = getattr(signal, signame)
    running = start_images_run_and_wait_for_checks(sandbox, checks_with_a_service)
    running.signal(signum, group=signame == "SIGINT")
    result = running.finish(120)
    assert result.code not in (0, None), result.describe()
    objects, temps = sandbox.leftovers_after(10)
    assert not objects and not temps, f"left {objects} {temps}\n{result.describe()}"
    assert images_matching(checks_with_a_service + "/") == [], "the run's images were not removed"


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_images_run_interrupted_says_so_in_one_error_line(sandbox: Sandbox, checks_with_a_service: str,
                                                          signame: str) -> None:
    signum = getattr(signal, signame)
    running = start_images_run_and_wait_for_checks(sandbox, checks_with_a_service)
    running.signal(signum, group=signame == "SIGINT")
    expect_failure(running.finish(120), code=128 + signum)
