"""[tool.dockyard.checks] merged over the card's defaults, and its errors."""

import pytest

from dockyard.core.errors import ConfigError
from dockyard.images.checks import CHECKS
from dockyard.images.checks.config import CHECK_NAMES, settings_from


def test_registry_runs_checks_in_the_documented_order():
    assert tuple(CHECKS) == CHECK_NAMES


def test_defaults_come_from_the_card():
    settings = settings_from({})
    assert settings.targets == ["web", "celery-unified", "flower", "test"]
    web, celery, flower = (settings.for_target(t) for t in ("web", "celery-unified", "flower"))
    assert (web["image_size_mb"], celery["image_size_mb"], flower["image_size_mb"]) == (1100, 1100, 300)
    assert web["idle_memory_mb"] + celery["idle_memory_mb"] == 750
    assert web["startup_seconds"] == 60 and web["uid"] == 1000 and web["node_modules_mb"] == 8
    assert celery["shares_layers_with"] == "web" and celery["own_layers_mb"] == 50
    assert "celery_starts" in celery["checks"] and "celery_starts" not in web["checks"]
    assert celery["needs"] == ["redis", "postgres"] and web["needs"] == []
    assert settings.for_target("test")["checks"] == ["non_root", "no_secrets"]


def test_top_level_keys_apply_to_every_target_and_tables_to_one():
    settings = settings_from({"startup_seconds": 90, "flower": {"image_size_mb": 450, "skip": ["idle_memory"]}})
    assert settings.for_target("web")["startup_seconds"] == 90
    flower = settings.for_target("flower")
    assert flower["image_size_mb"] == 450 and flower["startup_seconds"] == 90
    assert "idle_memory" not in flower["checks"] and "healthy" in flower["checks"]
    assert settings.for_target("web")["image_size_mb"] == 1100


def test_checks_list_replaces_and_targets_choose_what_runs():
    settings = settings_from({"targets": ["web"], "web": {"checks": ["non_root"]}})
    assert settings.targets == ["web"]
    assert settings.for_target("web")["checks"] == ["non_root"]


def test_unlisted_target_gets_the_checks_that_need_no_budget():
    assert settings_from({}).for_target("worker")["checks"] == ["non_root", "healthcheck", "no_secrets"]


def test_common_settings_include_service_images():
    assert settings_from({"redis_image": "redis:7"}).common["redis_image"] == "redis:7"


@pytest.mark.parametrize(
    "config, message",
    [
        ({"startup_secs": 1}, "[tool.dockyard.checks]: unknown key 'startup_secs'"),
        ({"web": {"checks": ["non_rot"]}}, "[tool.dockyard.checks.web]: unknown check 'non_rot'"),
        ({"web": {"image_size_mb": -1}}, "image_size_mb must be a non-negative number"),
        ({"web": {"image_size_mb": True}}, "image_size_mb must be a non-negative number"),
        ({"needs": ["rabbitmq"]}, "needs must list services among redis, postgres"),
        ({"targets": []}, "targets must be a non-empty list"),
        ({"secret_paths": "/code"}, "secret_paths must be a list"),
        ({"worker": {"checks": ["image_size"]}}, "check 'image_size' of target 'worker' needs `image_size_mb`"),
        ({"worker": {"checks": ["shared_layers"]}}, "needs `shares_layers_with`"),
        ({"environment": {"A": 1}}, "environment must be a table of strings"),
    ],
)
def test_bad_configuration_is_one_clear_line(config, message):
    with pytest.raises(ConfigError) as error:
        settings_from(config)
    assert message in str(error.value)


def test_checks_table_must_be_a_table():
    with pytest.raises(ConfigError, match="must be a table"):
        settings_from(["web"])
