"""The reference images as the engine sees them: user, health checks, layers, a live /health/."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

RUNTIME_TARGETS = ["web", "celery-unified", "flower"]


@pytest.mark.parametrize("target", RUNTIME_TARGETS)
def test_runtime_images_run_as_app_uid_1000(docker_client, reference_images, target):
    image = docker_client.images.get(reference_images[target])
    assert image.attrs["Config"]["User"] == "app"
    out = docker_client.containers.run(image.id, ["id"], entrypoint=[], remove=True).decode()
    assert out.startswith("uid=1000(app) gid=1000(app)"), out


def test_web_probes_http_and_celery_probes_the_worker(docker_client, reference_images):
    web = docker_client.images.get(reference_images["web"]).attrs["Config"]["Healthcheck"]["Test"]
    celery = docker_client.images.get(reference_images["celery-unified"]).attrs["Config"]["Healthcheck"]["Test"]
    assert "curl -fsS -o /dev/null http://127.0.0.1:80/health/" in web[1]
    assert "inspect ping" in celery[1] and "curl" not in celery[1]


def test_celery_image_adds_only_metadata_over_web(docker_client, reference_images):
    web_layers = docker_client.images.get(reference_images["web"]).attrs["RootFS"]["Layers"]
    celery = docker_client.images.get(reference_images["celery-unified"])
    assert celery.attrs["RootFS"]["Layers"][: len(web_layers)] == web_layers
    own = [h for h in celery.history()][: len(celery.attrs["RootFS"]["Layers"]) - len(web_layers) + 5]
    extra_bytes = celery.attrs["Size"] - docker_client.images.get(reference_images["web"]).attrs["Size"]
    assert extra_bytes < 1_000_000, (extra_bytes, own)


def test_production_node_modules_only(docker_client, reference_images):
    out = docker_client.containers.run(
        reference_images["web"], ["sh", "-c", "du -sk /code/node_modules && ls /code/node_modules"],
        entrypoint=[], remove=True,
    ).decode().split()
    size_kb = int(out[0])
    assert 1_000 < size_kb < 10_000, size_kb  # the card: about 5 MB
    assert not any(name in out for name in ("terser", "esbuild", ".bin")), out


def test_web_container_turns_healthy_and_answers_health(docker_client, reference_images):
    container = docker_client.containers.run(
        reference_images["web"], detach=True, name=f"dockyard-test-web-{uuid.uuid4().hex[:8]}",
        ports={"80/tcp": ("127.0.0.1", None)},
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            container.reload()
            status = container.attrs["State"].get("Health", {}).get("Status")
            if status == "healthy" or container.status == "exited":
                break
            time.sleep(0.5)
        assert status == "healthy", container.logs(tail=30).decode(errors="replace")
        port = int(container.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=10) as response:
            assert response.status == 200
            body = json.loads(response.read())
        assert body["status"] == "ok"
        assert body["checks"]["database"] == "ok"
    finally:
        container.remove(force=True)


def test_health_names_the_broker_when_it_is_down(docker_client, reference_images):
    container = docker_client.containers.run(
        reference_images["web"], detach=True, name=f"dockyard-test-web-{uuid.uuid4().hex[:8]}",
        ports={"80/tcp": ("127.0.0.1", None)}, environment={"CELERY_BROKER_URL": "redis://127.0.0.1:1/0"},
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and body is None:
            container.reload()
            ports = container.attrs["NetworkSettings"]["Ports"].get("80/tcp")
            if ports:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{ports[0]['HostPort']}/health/", timeout=10)
                except urllib.error.HTTPError as exc:
                    assert exc.code == 503
                    body = json.loads(exc.read())
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.5)
        assert body is not None, container.logs(tail=30).decode(errors="replace")
        assert body["checks"]["broker"].startswith("fail")
        assert body["checks"]["database"] == "ok"
    finally:
        container.remove(force=True)
