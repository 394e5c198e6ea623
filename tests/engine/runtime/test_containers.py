"""The shared container helpers against the real engine."""

from __future__ import annotations

import uuid

import docker.errors
import pytest

from dockyard.docker import containers as ct
from dockyard.runtime.health import wait_healthy
from dockyard.runtime.http import http_get

DEBIAN = "dockyard-local/debian:bookworm"


def test_run_container_labels_and_publishes_on_loopback_only(docker_client):
    with ct.temporary_container("dockyard-local/redis:7", ports={"6379/tcp": None}) as container:
        assert container.labels[ct.RUN_LABEL] == ct.current_run_id()
        bindings = container.attrs["HostConfig"]["PortBindings"]["6379/tcp"]
        assert [b["HostIp"] for b in bindings] == ["127.0.0.1"]
        port = ct.host_port(container, "6379/tcp")
        assert 0 < port < 65536
        outcome = wait_healthy(container, 60)
        assert outcome.status == "healthy"
        assert outcome.seconds is not None and outcome.seconds >= 0
        assert outcome.probes[-1] == (0, "PONG")
        name = container.name
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(name)


def test_temporary_container_is_removed_on_ctrl_c(docker_client):
    name = ct.unique_name("pytest-int")
    with pytest.raises(KeyboardInterrupt):
        with ct.temporary_container(DEBIAN, name=name, command=["sleep", "60"]):
            raise KeyboardInterrupt
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(name)


def test_missing_image_and_unstartable_command_are_one_line_errors(docker_client):
    with pytest.raises(ct.ContainerError, match="is not present locally"):
        ct.run_container("dockyard-test/no-such-image:never")
    name = ct.unique_name("pytest-bad")
    with pytest.raises(ct.ContainerError, match="did not start"):
        ct.run_container(DEBIAN, name=name, command=["/no/such/binary"])
    with pytest.raises(docker.errors.NotFound):  # the created container was removed
        docker_client.containers.get(name)


def test_wait_healthy_reports_an_exit_with_code_and_last_line():
    # a HEALTHCHECK whose first probe is far off: the wait lasts until the container exits, so the
    # outcome does not depend on whether the exit came before the first look (no HEALTHCHECK: "none")
    distant = {"test": ["CMD", "true"], "interval": 60_000_000_000}
    with ct.temporary_container(
        DEBIAN, command=["sh", "-c", "echo fatal: no config; exit 4"], healthcheck=distant
    ) as container:
        outcome = wait_healthy(container, 30)
    assert outcome.status == "exited"
    assert outcome.exit_code == 4
    assert outcome.reason.endswith("exited with code 4; last log line: fatal: no config")


def test_wait_healthy_unhealthy_none_and_timeout():
    failing = {
        "test": ["CMD-SHELL", "echo probe says no; exit 1"],
        "interval": 500_000_000,
        "timeout": 2_000_000_000,
        "retries": 2,
    }
    with ct.temporary_container(DEBIAN, command=["sleep", "60"], healthcheck=failing) as container:
        outcome = wait_healthy(container, 30)
    assert outcome.status == "unhealthy"
    assert outcome.probes[-1] == (1, "probe says no")
    assert "last probe exit 1: probe says no" in outcome.reason

    with ct.temporary_container(DEBIAN, command=["sleep", "60"]) as container:
        assert wait_healthy(container, 5).status == "none"

    slow = {
        "test": ["CMD-SHELL", "exit 1"],
        "interval": 30_000_000_000,
        "start_period": 60_000_000_000,
    }
    with ct.temporary_container(DEBIAN, command=["sleep", "60"], healthcheck=slow) as container:
        outcome = wait_healthy(container, 1, poll=0.2)
    assert outcome.status == "timeout"
    assert "still 'starting' after 1s" in outcome.reason


def test_remove_labelled_cleans_containers_and_networks(docker_client):
    run = f"pytest-{uuid.uuid4().hex[:8]}"
    labels = {ct.RUN_LABEL: run}
    net = docker_client.networks.create(ct.unique_name("pytest-net"), labels=labels)
    ct.run_container(DEBIAN, command=["sleep", "60"], labels=labels, network=net.name)
    ct.run_container(DEBIAN, command=["true"], labels=labels)
    assert ct.remove_labelled(run) == {"containers": 2, "networks": 1, "volumes": 0}
    assert docker_client.containers.list(all=True, filters={"label": f"{ct.RUN_LABEL}={run}"}) == []


def test_temporary_network_is_removed_with_a_container_still_attached(docker_client):
    with ct.temporary_network() as network:
        container = ct.run_container(DEBIAN, command=["sleep", "60"], network=network.name)
        name = network.name
    with pytest.raises(docker.errors.NotFound):
        docker_client.networks.get(name)
    container.remove(force=True)


def test_http_get_does_not_raise_on_refused_connection():
    status, body = http_get("http://127.0.0.1:1/health/", timeout=2)
    assert status is None
    assert "refused" in body.lower()


def _made_for(docker_client, run: str) -> tuple[list, list]:
    selector = {"label": f"{ct.RUN_LABEL}={run}"}
    return docker_client.containers.list(all=True, filters=selector), docker_client.networks.list(filters=selector)


def test_a_run_being_cleaned_up_makes_nothing(docker_client):
    run = f"pytest-closed-{uuid.uuid4().hex[:8]}"
    labels = {ct.RUN_LABEL: run}
    ct.refuse_new(run)
    with pytest.raises(ct.ContainerError, match="being cleaned up"):
        ct.run_container(DEBIAN, labels=labels, command=["sleep", "60"])
    with pytest.raises(ct.ContainerError, match="being cleaned up"):
        ct.create_stopped(DEBIAN, name=ct.unique_name("pytest-closed"), labels=labels)
    with pytest.raises(ct.ContainerError, match="being cleaned up"):
        with ct.temporary_network(labels=labels):
            pass
    assert _made_for(docker_client, run) == ([], [])


class _CleanupStartsDuringCreate:
    """The real Engine client, except that the run's clean-up starts (refuse_new) while the Engine
    makes a container or network: the moment a thread of the run cannot see coming."""

    def __init__(self, engine, run: str):
        self._engine, self._run = engine, run

    def __getattr__(self, name):
        return getattr(self._engine, name)

    @property
    def containers(self):
        return _Creating(self._engine.containers, self._run)

    @property
    def networks(self):
        return _Creating(self._engine.networks, self._run)


class _Creating:
    def __init__(self, collection, run: str):
        self._collection, self._run = collection, run

    def __getattr__(self, name):
        return getattr(self._collection, name)

    def create(self, *args, **kwargs):
        made = self._collection.create(*args, **kwargs)
        ct.refuse_new(self._run)
        return made


@pytest.mark.parametrize("make", ["run_container", "create_stopped", "temporary_network"])
def test_what_the_engine_made_as_the_cleanup_started_is_removed(docker_client, monkeypatch, make):
    run = f"pytest-closing-{uuid.uuid4().hex[:8]}"
    labels = {ct.RUN_LABEL: run}
    engine = ct.client()
    monkeypatch.setattr(ct, "client", lambda: _CleanupStartsDuringCreate(engine, run))
    with pytest.raises(ct.ContainerError, match="being cleaned up"):
        if make == "run_container":
            ct.run_container(DEBIAN, labels=labels, command=["sleep", "60"])
        elif make == "create_stopped":
            ct.create_stopped(DEBIAN, name=ct.unique_name("pytest-closing"), labels=labels)
        else:
            with ct.temporary_network(labels=labels):
                pass
    assert _made_for(docker_client, run) == ([], [])
