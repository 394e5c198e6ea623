"""Pure logic of the compose stack and the compose test: argv, service descriptions, health JSON."""

from __future__ import annotations

from pathlib import Path

import yaml

from dockyard.docker.compose import ComposeProject
from dockyard.dockerfile.compose import load_compose
from dockyard.runtime import compose_test as compose
from dockyard.runtime import stack as stacks

ROOT = Path(__file__).resolve().parents[3]


def test_compose_commands_name_project_and_file():
    project = ComposeProject("dockyard-test-1a2b", Path("/p/deployment/docker-compose.test.yml"), {"WEB_IMAGE": "w"})
    assert project.args("up", "--detach") == [
        "compose",
        "-p",
        "dockyard-test-1a2b",
        "-f",
        "/p/deployment/docker-compose.test.yml",
        "up",
        "--detach",
    ]
    assert project.env()["WEB_IMAGE"] == "w"
    assert project.down_hint() == "docker compose -p dockyard-test-1a2b down -v --remove-orphans"
    override = ComposeProject("p", Path("/p/c.yml"), override=Path("/tmp/o.yml"))
    assert override.args("up") == ["compose", "-p", "p", "-f", "/p/c.yml", "-f", "/tmp/o.yml", "up"]


def test_services_start_after_what_they_depend_on():
    compose = load_compose(ROOT / "deployment" / "docker-compose.test.yml")
    assert stacks.start_order(compose) == ("postgres", "redis", "web", "celery-unified")


def test_services_start_after_their_dependencies_in_any_file(tmp_path):
    (tmp_path / "compose.yml").write_text(
        "services:\n  api:\n    image: a\n    depends_on: [db]\n  db:\n    image: d\n  cache:\n    image: c\n"
    )
    compose = load_compose(tmp_path / "compose.yml")
    assert stacks.start_order(compose) == ("db", "api", "cache")


def test_service_descriptions_name_the_role():
    broker = stacks.ServiceState("redis", "broker", "x-redis-1", "exited", None, 0, 0, "dockyard-local/redis:7")
    assert not broker.ok
    assert broker.describe() == "the broker (service redis) is exited (code 0)"
    web = stacks.ServiceState("web", "web server", "x-web-1", "running", "unhealthy", None, 0, "w")
    assert web.describe() == "the web server (service web) is unhealthy"
    missing = stacks.ServiceState("postgres", "database", "-", "missing", None, None, 0, "")
    assert missing.describe() == "the database (service postgres) has no container"
    assert stacks.ServiceState("w", "worker", "c", "running", "healthy", None, 0, "i").ok


def test_error_line_prefers_the_last_exception():
    output = "Traceback (most recent call last):\n  File x\nkombu.exceptions.OperationalError: Error 111 connecting\n"
    assert compose._error_line(output) == "kombu.exceptions.OperationalError: Error 111 connecting"
    assert compose._error_line("just text\nlast line\n") == "last line"
    assert compose._error_line("") == "no output"


def test_compose_file_contract():
    data = yaml.safe_load((ROOT / "deployment" / "docker-compose.test.yml").read_text())
    services = data["services"]
    assert set(services) == {"web", "celery-unified", "postgres", "redis"}
    assert services["postgres"]["image"] == "${POSTGRES_IMAGE:-postgres:15}"
    assert services["redis"]["image"] == "${REDIS_IMAGE:-redis:7}"
    assert services["web"]["image"] == "${WEB_IMAGE:-dockyard.local/refsite-web:latest}"
    assert services["celery-unified"]["image"] == "${CELERY_IMAGE:-dockyard.local/refsite-celery:latest}"
    # health-based ordering: web waits for its dependencies, celery for web (which migrates)
    assert services["web"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["celery-unified"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert services["celery-unified"]["environment"]["DJANGO_MIGRATE"] == "0"
    assert services["web"]["environment"]["DJANGO_MIGRATE"] == "1"
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name]
        assert "ports" not in services[name]
    # the only published port is web's, on loopback
    assert all(port.startswith("127.0.0.1:") for port in services["web"]["ports"])
    assert "ports" not in services["celery-unified"]


def test_the_label_override_labels_every_service_network_and_volume_of_the_stack(tmp_path):
    path = tmp_path / "compose.yml"
    path.write_text(
        "services:\n  db:\n    image: p\n    volumes: [data:/d]\n  web:\n    image: w\n    networks: [front, default]\n"
        "networks:\n  front: {}\n  shared:\n    external: true\n"
        "volumes:\n  data: {}\n  cache:\n    external: true\n"
    )
    model = load_compose(path)
    assert model.networks == {"front": False, "shared": True} and model.volumes == {"data": False, "cache": True}
    labels = {"dockyard.run": "r1", "dockyard.pid": "7"}
    assert stacks.override(model, labels) == {
        "services": {"db": {"labels": labels}, "web": {"labels": labels}},
        "networks": {"default": {"labels": labels}, "front": {"labels": labels}},
        "volumes": {"data": {"labels": labels}},
    }
    written = stacks.write_override(model, labels, tmp_path)
    assert yaml.safe_load(written.read_text()) == stacks.override(model, labels)  # JSON is YAML


def test_commands_for_people_leave_out_the_runs_override():
    project = ComposeProject("p1", Path("/p/c.yml"), override=Path("/tmp/dockyard-compose-r-x/o.json"))
    assert project.args("down") == ["compose", "-p", "p1", "-f", "/p/c.yml", "-f", "/tmp/dockyard-compose-r-x/o.json",
                                    "down"]
    assert project.down_hint() == "docker compose -p p1 down -v --remove-orphans"  # by name: no file needed
