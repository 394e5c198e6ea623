"""test.celery against the real celery-unified image: worker and beat both seen."""

from __future__ import annotations

from dockyard.core.settings import load_settings
from dockyard.runtime.celery_test import run_celery_test
from dockyard.runtime.helpers import Helpers

HELPERS = {"redis": "dockyard-local/redis:7", "postgres": "dockyard-local/postgres:15"}


def test_worker_and_beat_are_both_seen(reference_images, docker_client):
    report = run_celery_test(
        reference_images["celery-unified"],
        environment=load_settings({}).service_environment("celery-unified"),
        helpers=Helpers(HELPERS),
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
    assert report.role == "worker+beat" and report.ping.startswith("answered by celery@")
    assert "core.tasks.add" in report.registered  # Celery's own list, through inspect registered


def test_the_legacy_beat_alone_is_judged_as_beat(reference_images, docker_client, project):
    """The legacy celery-beat target: no worker to ping; beat starts and sends due tasks."""
    from dockyard.build.runner import BuildRequest, run_build

    built = run_build(project, BuildRequest(names=["celery-beat"], variables={"TAG": "pytest-legacy"}))
    image = built.targets[0].tag
    try:
        report = run_celery_test(
            image,
            environment=load_settings({}).service_environment("celery-beat"),
            helpers=Helpers(HELPERS),
            timeout=150,
        )
        assert report.ok, (report.failure, report.log_tail)
        assert report.role == "beat" and report.ping is None and report.worker_line is None
        assert [s.name for s in report.steps][-3:] == ["beat started", "beat sent a due task", "HEALTHCHECK"]
        assert report.health == "healthy"  # its HEALTHCHECK: the scheduler's liveness file
    finally:
        docker_client.images.remove(image, force=True)
