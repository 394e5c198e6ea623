"""test.celery against the real celery-unified image: worker and beat both seen."""

from __future__ import annotations

from dockyard.runtime.celery_test import run_celery_test


def test_worker_and_beat_are_both_seen(reference_images, docker_client):
    report = run_celery_test(
        reference_images["celery-unified"],
        redis_image="dockyard-local/redis:7",
        postgres_image="dockyard-local/postgres:15",
        timeout=150,
    )
    assert report.ok, (report.failure, report.log_tail)
    assert report.worker_line.endswith(" ready.")
    assert report.beat_line.endswith("beat: Starting...") and report.beat_mode == "embedded"
    assert report.scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    assert "Sending due task record-heartbeat (core.tasks.record_heartbeat)" in report.due_task_line
    assert report.health == "healthy"
    assert len(report.containers) == 3
    for name in report.containers:  # everything it started is gone
        assert docker_client.containers.list(all=True, filters={"name": f"^/{name}$"}) == []
