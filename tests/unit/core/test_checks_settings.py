"""[tool.dockyard.checks] merged over the card's defaults (by each target's role), and its errors."""

import pytest

from dockyard.core.errors import ConfigError
from dockyard.core.settings import CHECK_NAMES, load_settings
from dockyard.images.checks import CHECKS


def checks(config, services=None):
    return load_settings({"checks": config, **({"services": services} if services else {})}).checks


def test_registry_runs_checks_in_the_documented_order():
    assert tuple(CHECKS) == CHECK_NAMES


def test_defaults_come_from_the_card():
    settings = checks({})
    assert settings.targets == ("web", "celery-unified", "flower", "celery-worker", "celery-beat", "test")
    web, celery, flower = (settings.for_target(t) for t in ("web", "celery-unified", "flower"))
    worker, beat = settings.for_target("celery-worker"), settings.for_target("celery-beat")
    assert (worker.role, beat.role) == ("worker", "beat")
    assert "celery_starts" in beat.checks and beat.shares_layers_with == "web" and beat.idle_memory_mb == 200
    assert (web.image_size_mb, celery.image_size_mb, flower.image_size_mb) == (1100, 1100, 300)
    assert web.idle_memory_mb + celery.idle_memory_mb == 750
    assert web.startup_seconds == 60 and web.uid == 1000 and web.node_modules_mb == 8
    assert celery.shares_layers_with == "web" and celery.own_layers_mb == 50
    assert "celery_starts" in celery.checks and "celery_starts" not in web.checks
    assert celery.services_needed == ("redis", "postgres") and web.services_needed == ()
    assert flower.services_needed == ("redis",)
    assert settings.for_target("test").checks == ("non_root", "no_secrets")


def test_defaults_follow_the_roles_of_the_projects_own_services():
    settings = checks(
        {},
        {
            "api": {"target": "api-image", "role": "web"},
            "tasks": {"target": "tasks-image", "role": "worker"},
            "db": {"role": "database"},
        },
    )
    assert settings.targets == ("api-image", "tasks-image")
    tasks = settings.for_target("tasks-image")
    assert tasks.shares_layers_with == "api-image" and "celery_starts" in tasks.checks
    assert settings.for_target("api-image").idle_memory_mb == 400


def test_a_worker_without_a_web_service_is_not_compared_with_one():
    settings = checks({}, {"tasks": {"target": "tasks", "role": "worker"}})
    assert "shared_layers" not in settings.for_target("tasks").checks


def test_top_level_keys_apply_to_every_target_and_tables_to_one():
    settings = checks({"startup_seconds": 90, "flower": {"image_size_mb": 450, "skip": ["idle_memory"]}})
    assert settings.for_target("web").startup_seconds == 90
    flower = settings.for_target("flower")
    assert flower.image_size_mb == 450 and flower.startup_seconds == 90
    assert "idle_memory" not in flower.checks and "healthy" in flower.checks
    assert settings.for_target("web").image_size_mb == 1100


def test_checks_list_replaces_and_targets_choose_what_runs():
    settings = checks({"targets": ["web"], "web": {"checks": ["non_root"]}})
    assert settings.targets == ("web",)
    assert settings.for_target("web").checks == ("non_root",)


def test_unlisted_target_gets_the_checks_that_need_no_budget():
    assert checks({}).for_target("worker").checks == ("non_root", "healthcheck", "no_secrets")


def test_helper_images_come_from_the_top_level_table_else_from_the_site():
    assert checks({"redis_image": "redis:7"}).helper_images() == {"redis": "redis:7", "postgres": ""}


def test_environment_merges_site_service_and_checks_and_names_what_it_needs():
    settings = load_settings(
        {
            "environment": {"SECRET_KEY": "{secret_key}"},
            "services": {
                "app": {"target": "web", "role": "web", "environment": {"DATABASE_URL": "{database_url}"}},
                "tasks": {"target": "worker", "environment": {"BROKER_URL": "redis://{redis_host}:6379/1"}},
            },
            "checks": {"environment": {"DEBUG": "0"}, "worker": {"environment": {"DEBUG": "1"}}},
        }
    ).checks
    web, worker = settings.for_target("web"), settings.for_target("worker")
    assert dict(web.environment) == {"SECRET_KEY": "{secret_key}", "DATABASE_URL": "{database_url}", "DEBUG": "0"}
    assert dict(worker.environment) == {
        "SECRET_KEY": "{secret_key}",
        "BROKER_URL": "redis://{redis_host}:6379/1",
        "DEBUG": "1",
    }
    assert web.services_needed == ("postgres",) and worker.services_needed == ("redis",)
    assert worker.role is None  # not configured: read from the project's files at run time
    with_roles = settings.with_roles({"worker": "beat", "web": "worker"})
    assert with_roles.for_target("worker").role == "beat"
    assert with_roles.for_target("web").role == "web"  # a configured role wins
    assert "celery_starts" in with_roles.for_target("worker").checks
    assert with_roles.for_target("worker").shares_layers_with == "web"


@pytest.mark.parametrize(
    "config, message",
    [
        ({"startup_secs": 1}, "[tool.dockyard.checks] has no key 'startup_secs'"),
        ({"web": {"checks": ["non_rot"]}}, "[tool.dockyard.checks.web] checks: unknown check 'non_rot'"),
        ({"web": {"image_size_mb": -1}}, "[tool.dockyard.checks.web] image_size_mb must be a number >= 0, got -1"),
        ({"web": {"image_size_mb": True}}, "[tool.dockyard.checks.web] image_size_mb must be a number, got true"),
        ({"needs": ["rabbitmq"]}, "needs: unknown service 'rabbitmq' (known: redis, postgres)"),
        ({"targets": []}, "targets must be a non-empty list of bake targets, got []"),
        ({"secret_paths": "/code"}, 'secret_paths must be a list of strings, got "/code"'),
        ({"worker": {"checks": ["image_size"]}}, "check 'image_size' of target 'worker' needs `image_size_mb`"),
        ({"worker": {"checks": ["shared_layers"]}}, "needs `shares_layers_with`"),
        ({"environment": {"A": 1}}, "environment must be a table of strings"),
        ({"environment": {"A": "{nope}"}}, "[tool.dockyard.checks] environment.A: unknown placeholder {nope}"),
    ],
)
def test_bad_configuration_is_one_clear_line(config, message):
    with pytest.raises(ConfigError) as error:
        checks(config)
    assert message in str(error.value)


def test_checks_table_must_be_a_table():
    with pytest.raises(ConfigError, match=r"\[tool.dockyard.checks\] must be a table, got \[\"web\"\]"):
        checks(["web"])
