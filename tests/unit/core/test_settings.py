"""[tool.dockyard] as typed settings: defaults, the services table, and one clear line per mistake."""

import pytest

from dockyard.core.errors import ConfigError
from dockyard.core.settings import Settings, load_settings


def test_defaults_fit_the_cards_layout():
    settings = load_settings({})
    assert settings == Settings(checks=settings.checks)
    assert settings.bake_file == "deployment/docker-bake.multistage.hcl"
    assert settings.apps() == {"web": "refsite-web", "celery-unified": "refsite-celery"}
    assert settings.image_repositories() == {
        "web": "dockyard.local/refsite-web",
        "celery-unified": "dockyard.local/refsite-celery",
        "flower": "dockyard.local/refsite-flower",
        "celery-worker": "dockyard.local/refsite-celery-worker",
        "celery-beat": "dockyard.local/refsite-celery-beat",
    }
    assert settings.test_web_image == "dockyard.local/refsite-web:latest"
    assert settings.test_celery_image == "dockyard.local/refsite-celery:latest"
    assert settings.prune.keep_tags == ("latest",) and settings.caprover.timeout == 30


def test_the_services_table_replaces_the_defaults():
    settings = load_settings(
        {"services": {"api": {"target": "api", "image": "ghcr.io/o/api", "app": "o-api", "role": "web"}}}
    )
    assert list(settings.services) == ["api"]
    assert settings.apps() == {"api": "o-api"} and settings.test_web_image == "ghcr.io/o/api:latest"
    assert settings.test_celery_image is None
    assert settings.service("api").image_ref("abc") == "ghcr.io/o/api:abc"
    with pytest.raises(ConfigError, match=r"no service 'web' in \[tool.dockyard.services\] \(known: api\)"):
        settings.service("web")


def test_values_are_converted_lists_to_tuples():
    settings = load_settings({"lint": {"disable": ["DY001"]}, "bench": {"edits": {"python": "app/x.py"}}})
    assert settings.lint.disable == ("DY001",) and dict(settings.bench.edits) == {"python": "app/x.py"}


@pytest.mark.parametrize(
    "config, message",
    [
        ({"prune": {"keep_tags": "latest"}}, '[tool.dockyard.prune] keep_tags must be a list of strings, got "latest"'),
        ({"prune": {"keep_tags": ["a", 1]}}, '[tool.dockyard.prune] keep_tags must be a list of strings, got ["a", 1]'),
        ({"caprover": {"timeout": -1}}, "[tool.dockyard.caprover] timeout must be a positive number, got -1"),
        ({"caprover": {"timeout": "30"}}, '[tool.dockyard.caprover] timeout must be a number, got "30"'),
        ({"lint": {"uid": -5}}, "[tool.dockyard.lint] uid must be an integer >= 1, got -5"),
        ({"lint": {"hadolint": "yes"}}, '[tool.dockyard.lint] hadolint must be true or false, got "yes"'),
        (
            {"lint": {"bake_parser": "yaml"}},
            '[tool.dockyard.lint] bake_parser must be one of auto, buildx, hcl2, got "yaml"',
        ),
        ({"troubleshoot": {"log_lines": 0}}, "[tool.dockyard.troubleshoot] log_lines must be an integer >= 1, got 0"),
        (
            {"bench": {"edits": {"python": 3}}},
            "[tool.dockyard.bench] edits must be a table of strings, got {python = 3}",
        ),
        ({"bogus": 1}, "[tool.dockyard] has no key 'bogus'"),
        ({"test": {"web_imag": "x"}}, "[tool.dockyard.test] has no key 'web_imag' (known: web_image,"),
        ({"test": "x"}, '[tool.dockyard.test] must be a table, got "x"'),
        ({"services": {"web": {"role": "boss"}}}, "[tool.dockyard.services.web] role must be one of web, worker"),
        ({"services": {"web": {"app": 1}}}, "[tool.dockyard.services.web] app must be a string, got 1"),
        ({"caprover": {"apps": {"web": "x"}}}, "[tool.dockyard.caprover] apps has moved: give each service its app"),
    ],
)
def test_a_mistake_is_one_line_naming_the_full_key(config, message):
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert message in str(error.value)
