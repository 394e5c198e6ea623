"""idle_memory and celery_starts against running containers."""

from dockyard.images.checks.celery import celery_starts
from dockyard.images.checks.health import healthy
from dockyard.images.checks.memory import idle_memory


def test_reference_web_idles_within_budget(web_context):
    result = idle_memory(web_context)
    assert result.passed, result.detail
    assert 0 < result.value <= 400


def test_hungry_process_fails_its_memory_budget(context, fixture_image):
    result = idle_memory(context(fixture_image("hungry"), idle_memory_mb=50))
    assert not result.passed
    assert result.value >= 80  # it holds 80 MiB
    assert "over budget" in result.detail


def test_reference_celery_starts_worker_and_beat_and_answers(celery_context):
    assert healthy(celery_context).passed
    result = celery_starts(celery_context)
    assert result.passed, result.detail
    assert result.measured == "ping answered, beat started (log)"  # DatabaseScheduler: no run saved yet
    assert "celery@" in result.detail and "tasks registered" in result.detail


def test_reference_celery_idles_within_budget(celery_context):
    result = idle_memory(celery_context)
    assert result.passed, result.detail


def test_worker_without_beat_fails(context, fixture_image):
    result = celery_starts(context(fixture_image("celery-nobeat"), "celery-unified"))
    assert not result.passed
    assert result.measured == "ping answered, beat not started"
    assert "the worker+beat image's command starts no beat (no --beat in `" in result.detail
