"""On each sample project with its deployment/ removed: `dockyard init --yes`, then `invoke build.essential`
with the tasks.py init wrote; the images run as uid 1000 and turn healthy (Engine API) in the compose
test stack init wrote, with the environment the site's settings read under their own names."""

from __future__ import annotations

import json
import sys
import urllib.request

import pytest
from conftest import LABEL, RUN_ID, STAND_INS, Migrated, compose_stack, run, tail

SAMPLES = ["ledger_migrated", "kanban_migrated"]


def _check_stack(migrated: Migrated, health_path: str, port: int) -> None:
    with compose_stack(migrated) as (output, containers):
        by_service = {c.labels["com.docker.compose.service"]: c for c in containers}
        assert set(by_service) == {"web", "celery-unified", "postgres", "redis"}, output
        for service, container in by_service.items():
            container.reload()
            health = container.attrs["State"].get("Health", {}).get("Status")
            assert (container.status, health) == ("running", "healthy"), f"{service}: {output}"
        for service in ("web", "celery-unified"):
            container = by_service[service]
            assert container.image.attrs["Config"]["User"] == "app"
            code, out = container.exec_run(["id", "-u"])
            assert (code, out.decode().strip()) == (0, "1000"), service
        published = by_service["web"].ports[f"{port}/tcp"][0]
        assert published["HostIp"] == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{published['HostPort']}{health_path}", timeout=10) as answer:
            assert answer.status == 200


def test_ledger_images_build_run_as_uid_1000_and_turn_healthy(ledger_migrated, docker_client):
    assert set(ledger_migrated.images) == {"web", "celery-unified"}
    for tag in ledger_migrated.images.values():
        assert docker_client.images.get(tag).attrs["Config"]["User"] == "app"
    _check_stack(ledger_migrated, "/healthz", 5000)


def test_kanban_images_build_run_as_uid_1000_and_turn_healthy(kanban_migrated, docker_client):
    web = docker_client.images.get(kanban_migrated.images["web"])
    assert web.attrs["Config"]["Entrypoint"] == ["tini", "--", "docker-entrypoint.sh"]
    listing = docker_client.containers.run(
        kanban_migrated.images["web"], ["ls", "/srv/kanban/node_modules"], remove=True, labels={LABEL: RUN_ID}
    ).decode()
    assert sorted(listing.split()) == ["mitt", "sortablejs"]  # production dependencies only
    _check_stack(kanban_migrated, "/status/ready/", 8000)


@pytest.mark.parametrize("migrated", SAMPLES)
def test_init_check_passes_and_lint_finds_nothing(migrated, request):
    root = request.getfixturevalue(migrated).root
    checked = run([sys.executable, "-m", "dockyard", "init", "--check"], root)
    assert checked.returncode == 0, tail(checked)
    linted = run([sys.executable, "-m", "invoke", "lint"], root)
    assert linted.returncode == 0, tail(linted)


@pytest.mark.parametrize("migrated", SAMPLES)
def test_the_noxfile_init_wrote_lists_its_sessions(migrated, request):
    root = request.getfixturevalue(migrated).root
    proc = run([sys.executable, "-m", "nox", "-l"], root)
    assert proc.returncode == 0, tail(proc)
    assert "* lint" in proc.stdout and "* images" in proc.stdout


@pytest.mark.parametrize("migrated", SAMPLES)
def test_nox_images_passes(migrated, request):
    """The image checks start the containers with the environment init wrote under the site's names."""
    root = request.getfixturevalue(migrated).root
    proc = run([sys.executable, "-m", "dockyard.images_run", "web", "celery-unified"], root, **STAND_INS)
    assert proc.returncode == 0, tail(proc)


@pytest.mark.parametrize("migrated", SAMPLES)
def test_invoke_test_compose_passes(migrated, request):
    """With the contract init wrote: the web's port and health path, Celery's own round trip through
    broker and result backend, the periodic task's run as the heartbeat; no step skipped."""
    sample = request.getfixturevalue(migrated)
    proc = run(
        [sys.executable, "-m", "invoke", "test.compose", "--json", "--web-image", sample.images["web"],
         "--celery-image", sample.images["celery-unified"]],
        sample.root,
    )  # fmt: skip
    assert proc.returncode == 0, tail(proc)
    steps = {s["name"]: s for s in json.loads(proc.stdout)["steps"]}
    assert all(s["status"] == "pass" for s in steps.values()), steps
    assert "celery.accumulate(19, 23) = [19, 23]" in steps["task round trip"]["detail"]
    assert "beat heartbeat" in steps
