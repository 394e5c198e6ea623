"""`[tool.dockyard.registry]`, `[tool.dockyard.stage]` and the CapRover admin password file: typed, checked."""

from __future__ import annotations

import pytest

from dockyard.core.errors import ConfigError
from dockyard.core.settings import load_settings


def test_defaults():
    settings = load_settings({})
    registry = settings.registry
    assert (registry.url, registry.namespace, registry.cache) == ("127.0.0.1:5000", "", False)
    assert settings.registry.cache_tag == "latest"
    stage = settings.stage
    assert (stage.name, stage.port, stage.web_replicas, stage.update_monitor, stage.requests) == (
        "dockyard-stage", 0, 2, 15, 500,
    )
    assert (stage.heartbeat_model, stage.heartbeat_time_field, stage.heartbeat_seconds) == (
        None, "created_at", 10,
    )
    assert settings.caprover.password_file == ""


def test_the_stage_heartbeat_follows_the_sites_contract_unless_set():
    from dockyard.stage.zero_downtime import heartbeat_model

    assert heartbeat_model(load_settings({})) == "core.Heartbeat"
    assert heartbeat_model(load_settings({"celery": {"heartbeat": {"model": "ops.Beat"}}})) == "ops.Beat"
    assert heartbeat_model(load_settings({"celery": {"heartbeat": False}})) == ""
    assert heartbeat_model(load_settings({"stage": {"heartbeat_model": ""}})) == ""
    both = {"stage": {"heartbeat_model": "x.Y"}, "celery": {"heartbeat": {"model": "ops.Beat"}}}
    assert heartbeat_model(load_settings(both)) == "x.Y"


@pytest.mark.parametrize(
    "table,message",
    [
        ({"registry": {"url": 5000}}, r"\[tool.dockyard.registry\] url must be a string, got 5000"),
        ({"registry": {"cache": "yes"}}, r"\[tool.dockyard.registry\] cache must be true or false"),
        ({"registry": {"password": "x"}}, r"\[tool.dockyard.registry\] has no key 'password'"),
        ({"stage": {"update_monitor": 0}}, r"\[tool.dockyard.stage\] update_monitor must be a positive number"),
        ({"stage": {"web_replicas": 0}}, r"\[tool.dockyard.stage\] web_replicas must be an integer >= 1"),
        ({"stage": {"requests": "500"}}, r"\[tool.dockyard.stage\] requests must be an integer"),
        ({"caprover": {"password": "x"}}, r"\[tool.dockyard.caprover\] has no key 'password'"),
    ],
)
def test_mistakes_name_the_key(table, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(table)
