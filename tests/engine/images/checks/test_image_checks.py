"""image_size, shared_layers, node_modules and no_secrets: what the image holds."""

import json

from dockyard.images.checks.node_modules import node_modules
from dockyard.images.checks.secrets import no_secrets
from dockyard.images.checks.size import image_size, shared_layers


def test_reference_web_is_within_the_card_size(web_context):
    result = image_size(web_context)
    assert result.passed, result.detail
    assert result.limit == 1100 and result.value < 1100


def test_image_over_its_budget_fails_by_how_much(context, fixture_image):
    result = image_size(context(fixture_image("bare"), image_size_mb=50))
    assert not result.passed
    assert result.value > 50
    assert f"{result.value - 50:.1f} MB" in result.detail and "over budget" in result.detail


def test_reference_celery_shares_every_web_layer(celery_context):
    result = shared_layers(celery_context)
    assert result.passed, result.detail
    assert result.value == 0
    shared, total = result.measured.split()[0].split("/")
    assert shared == total


def test_image_not_built_on_web_fails(context, reference_images):
    result = shared_layers(context(reference_images["flower"], shares_layers_with="web"))
    assert not result.passed
    assert "shares only" in result.detail


def test_image_with_large_own_layers_fails(context, fixture_image):
    result = shared_layers(context(fixture_image("celery-fat"), shares_layers_with="web", own_layers_mb=1))
    assert not result.passed
    assert "own layers:" in result.detail and "over budget" in result.detail
    assert result.value >= 2.0


def test_reference_node_modules_are_production_only_and_small(web_context):
    result = node_modules(web_context)
    assert result.passed, result.detail
    assert "0 dev package(s)" in result.measured
    assert result.value < 8


def test_dev_node_modules_fail_naming_the_packages(context, fixture_image):
    result = node_modules(context(fixture_image("dev-node-modules")))
    assert not result.passed
    assert "2 dev package(s)" in result.measured
    assert "esbuild" in result.detail and "@esbuild/linux-x64" in result.detail
    assert "over budget" in result.detail  # 9 MB against 8 MB


def test_image_without_node_modules_fails(context, fixture_image):
    result = node_modules(context(fixture_image("bare")))
    assert not result.passed and result.measured == "missing"


def test_reference_web_has_no_secrets(web_context):
    result = no_secrets(web_context)
    assert result.passed, result.detail


def test_baked_in_secrets_are_found_by_name_never_by_value(context, fixture_image):
    result = no_secrets(context(fixture_image("leaky"), secret_paths=["/code", "/root"]))
    assert not result.passed
    for finding in (
        "/code/.env (env file)",
        "/root/.ssh/id_ed25519 (key file)",
        "/code/server-cert.pem (private key)",
        "ENV API_TOKEN",
        "build arg NPM_TOKEN",
    ):
        assert finding in result.detail
    assert result.value == 5
    assert ".env.example" not in result.detail and "PUBLIC_SETTING" not in result.detail
    assert "fixture-" not in json.dumps(result.to_dict())  # no value leaks into the report
