"""test.web, test.security and test.health against the real reference images."""

from __future__ import annotations

from dockyard.core.settings import load_settings
from dockyard.docker.containers import temporary_container, unique_name
from dockyard.runtime.answer import Endpoint
from dockyard.runtime.health_status import health_rows
from dockyard.runtime.helpers import Helpers
from dockyard.runtime.uid import check_uid
from dockyard.runtime.web_test import run_web_test

SETTINGS = load_settings({})
WEB = Endpoint.of(SETTINGS.service("web"))


def web_test(image, environment=None, **kwargs):
    return run_web_test(
        image,
        WEB,
        environment={**SETTINGS.service_environment("web"), **(environment or {})},
        helpers=Helpers({"redis": "dockyard-local/redis:7", "postgres": "dockyard-local/postgres:15"}),
        **kwargs,
    )


def test_web_answers_health_and_turns_healthy(reference_images, docker_client):
    report = web_test(reference_images["web"], timeout=120)
    assert report.ok, report.failure
    assert report.status == 200
    assert report.body == {"status": "ok", "checks": {"database": "ok", "broker": "not configured"}}
    assert report.url.startswith("http://127.0.0.1:")
    assert report.health == "healthy" and report.seconds_to_healthy is not None
    assert [s.name for s in report.steps] == ["start", "GET /health/", "HEALTHCHECK"]
    assert docker_client.containers.list(all=True, filters={"name": report.container}) == []


def test_web_that_cannot_reach_its_database_fails_clearly(reference_images, docker_client):
    report = web_test(
        reference_images["web"],
        timeout=60,
        environment={"DATABASE_URL": "postgres://u:secretpw@127.0.0.1:1/none"},
    )
    assert not report.ok
    assert report.failure.startswith(
        "GET /health/: the container exited with code 1 before /health/ answered 200"
    )
    assert "secretpw" not in report.failure and all(
        "secretpw" not in line for line in report.log_tail
    )
    assert docker_client.containers.list(all=True, filters={"name": report.container}) == []


def test_web_that_needs_a_database_gets_one_from_its_environment(reference_images, docker_client):
    """{database_url} in the environment: a postgres is started beside it, and removed after."""
    report = web_test(reference_images["web"], timeout=120, environment={"DATABASE_URL": "{database_url}"})
    assert report.ok, (report.failure, report.log_tail)
    assert [s.name for s in report.steps] == ["postgres", "start", "GET /health/", "HEALTHCHECK"]
    assert report.body["checks"]["database"] == "ok"
    for name in [report.container, *report.helpers]:
        assert docker_client.containers.list(all=True, filters={"name": f"^/{name}$"}) == []


def test_security_uid_1000_in_every_runtime_image(reference_images):
    for target in ("web", "celery-unified", "flower"):
        result = check_uid(reference_images[target])
        assert result.ok, result.detail
        assert (result.uid, result.gid, result.user) == (1000, 1000, "app")
        assert result.configured_user == "app"


def test_security_fails_for_a_root_image():
    result = check_uid("dockyard-local/debian:bookworm")
    assert not result.ok
    assert result.uid == 0
    assert result.detail.startswith("runs as uid 0, expected 1000")


def test_health_rows_for_named_containers():
    failing = {
        "test": ["CMD-SHELL", "echo not ready; exit 1"],
        "interval": 500_000_000,
        "retries": 1,
    }
    with (
        temporary_container("dockyard-local/redis:7", name=unique_name("pytest-h-ok")) as good,
        temporary_container(
            "dockyard-local/debian:bookworm",
            name=unique_name("pytest-h-bad"),
            command=["sleep", "60"],
            healthcheck=failing,
        ) as bad,
    ):
        rows = {r.container: r for r in health_rows([good.name, bad.name], wait=30)}
    assert rows[good.name].ok and rows[good.name].health == "healthy"
    assert rows[good.name].last_probe_output == "PONG"
    assert not rows[bad.name].ok and rows[bad.name].health == "unhealthy"
    assert rows[bad.name].last_probe_exit == 1 and rows[bad.name].last_probe_output == "not ready"
