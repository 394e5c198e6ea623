"""test.compose against the real stack: it passes, and it fails naming the broker when redis stops mid-run."""

from __future__ import annotations

import json
import subprocess
import sys

from dockyard.docker.compose import PROJECT_LABEL, SERVICE_LABEL
from dockyard.docker.containers import current_run_id
from dockyard.runtime.compose_test import run_compose_test
from dockyard.runtime.site import load_site


def _stack_containers(docker_client, name: str) -> list:
    return docker_client.containers.list(
        all=True, filters={"label": f"{PROJECT_LABEL}={name}"}
    )


def test_cli_compose_passes_and_cleans_up(reference_images, docker_client):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "invoke",
            "test.compose",
            "--json",
            "--web-image",
            reference_images["web"],
            "--celery-image",
            reference_images["celery-unified"],
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [s["name"] for s in report["steps"]] == [
        "up",
        "healthy",
        "GET /health/",
        "task round trip",
        "beat heartbeat",
    ]
    assert all(s["ok"] for s in report["steps"])
    assert '"broker": "ok"' in report["steps"][2]["detail"]
    assert "core.tasks.add(2, 3) = 5" in report["steps"][3]["detail"]
    assert {s["service"]: (s["status"], s["health"]) for s in report["services"]} == {
        "postgres": ("running", "healthy"),
        "redis": ("running", "healthy"),
        "web": ("running", "healthy"),
        "celery-unified": ("running", "healthy"),
    }
    assert (
        "refsite-test-only" not in result.stdout + result.stderr
    )  # the stack's password never shows
    assert _stack_containers(docker_client, report["stack"]) == []
    assert docker_client.networks.list(names=[f"{report['stack']}_default"]) == []


def test_broker_stopped_mid_run_fails_naming_the_broker(project, reference_images, docker_client):
    """The broker (redis) is stopped as the round trip starts: the failure must name it."""
    prefix = f"dockyard-test-{current_run_id()}-"  # run_compose_test names its stack after this run
    stopped = []

    def stop_broker_before_round_trip(step: str) -> None:
        if step == "task round trip":
            for container in docker_client.containers.list(
                    filters={"label": f"{SERVICE_LABEL}=redis"}):
                if container.labels.get(PROJECT_LABEL, "").startswith(prefix):
                    container.stop(timeout=2)
                    stopped.append(container.name)

    report = run_compose_test(load_site(project), web_image=reference_images["web"],
                              celery_image=reference_images["celery-unified"], task_timeout=15,
                              on_step=stop_broker_before_round_trip)
    assert len(stopped) == 1, "the broker was not stopped exactly once"
    assert report.stack.startswith(prefix)
    assert not report.ok
    assert report.failure.startswith("task round trip: the broker (service redis) is exited")
    assert "core.tasks.add(2, 3) failed" in report.failure
    redis_state = next(s for s in report.services if s.service == "redis")
    assert redis_state.status == "exited" and not redis_state.ok
    assert [s.name for s in report.steps if not s.ok] == ["task round trip"]
    assert _stack_containers(docker_client, report.stack) == []
