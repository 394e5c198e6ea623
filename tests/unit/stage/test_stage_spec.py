"""What the stage runs, decided from the settings and the compose file, before the Engine is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.core.errors import ConfigError
from dockyard.core.project import Project, find_project
from dockyard.core.settings import load_settings
from dockyard.dockerfile.compose import load_compose
from dockyard.stage import spec

ROOT = Path(__file__).resolve().parents[3]
IMAGES = {
    "web": "127.0.0.1:5000/refsite-web:3f2a9c0d1e2f",
    "celery-unified": "127.0.0.1:5000/refsite-celery:3f2a9c0d1e2f",
    "postgres": "dockyard-local/postgres:15",
    "redis": "dockyard-local/redis:7",
}


@pytest.fixture
def project() -> Project:
    return find_project(ROOT)


def test_the_reference_site_on_the_stage(project):
    plan = spec.plan_stage(project, IMAGES, env={})
    assert [(s.service, s.role) for s in plan.services] == [
        ("postgres", "database"), ("redis", "broker"), ("web", "web"), ("celery-unified", "worker"),
    ]
    web, worker = plan.by_role("web")[0], plan.by_role("worker")[0]
    assert web.spec.name == "dockyard-stage-web" and web.spec.aliases == ("web",)
    assert web.spec.network == plan.network == "dockyard-stage-net"
    # the environment is the compose file's (its defaults filled in), the same for web and worker
    assert web.spec.env["DATABASE_URL"] == "postgres://refsite:refsite-test-only@postgres:5432/refsite"
    assert (web.spec.env["DJANGO_MIGRATE"], worker.spec.env["DJANGO_MIGRATE"]) == ("1", "0")
    assert plan.by_role("broker")[0].spec.command[:2] == ["redis-server", "--bind"]
    # web: start-first, health-gated, the first failure rolls back; one task first (it migrates)
    assert (web.spec.update.order, web.spec.update.failure_action, web.spec.update.max_failure_ratio) == (
        "start-first", "rollback", 0.0,
    )
    assert (web.spec.replicas, web.final_replicas) == (1, 2)
    assert (web.spec.health_start_period, web.spec.health_interval, web.spec.health_retries) == (30, 5, 3)
    # the worker with embedded beat: one task, stop-first both ways
    assert (worker.spec.update.order, worker.final_replicas, worker.spec.health_interval) == ("stop-first", 1, None)
    assert plan.proxy.upstream == "web:80" and plan.proxy.port == 0
    for item in plan.services:
        assert item.spec.labels["dockyard.stage"] == "dockyard-stage" and "dockyard.run" in item.spec.labels


def test_the_stage_settings_tune_it(project, tmp_path):
    settings = load_settings({"stage": {"name": "dyt", "update_monitor": 5, "health_start_period": 15,
                                        "health_interval": 2, "web_replicas": 3, "web_port": 8000, "port": 8080}})
    plan = spec.plan_stage(Project(ROOT, settings), IMAGES, compose=load_compose(project.path("compose_file")), env={})
    web = plan.web
    assert (web.spec.name, web.spec.update.monitor, web.final_replicas) == ("dyt-web", 5, 3)
    assert (web.spec.health_start_period, web.spec.health_interval) == (15, 2)
    assert (plan.proxy.upstream, plan.proxy.port, plan.proxy.name) == ("web:8000", 8080, "dyt-proxy")


def test_services_and_roles_come_from_the_settings(project):
    one_web = {"services": {"site": {"image": "x/site", "role": "web"}, "db": {"role": "database"}}}
    with pytest.raises(ConfigError, match=r"service db is not in .*docker-compose.test.yml: the stage takes"):
        spec.plan_stage(Project(ROOT, load_settings(one_web)), {"site": "x", "db": "y"}, env={})
    two_webs = {"services": {"a": {"image": "x/a", "role": "web"}, "b": {"image": "x/b", "role": "web"}}}
    with pytest.raises(ConfigError, match="exactly one service with role web .* found 2"):
        spec.stage_services(Project(ROOT, load_settings(two_webs)))
    no_image = {"services": {"a": {"image": "x/a", "role": "web"}, "w": {"role": "worker"}}}
    with pytest.raises(ConfigError, match=r"service w \(role worker\) has no image"):
        spec.stage_services(Project(ROOT, load_settings(no_image)))
