"""deployment/host/ensure-registry.sh: idempotent, leaves foreign registries alone, starts a loopback one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "deployment/host/ensure-registry.sh"


def run(registry: str, state: Path, log: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKYARD_REGISTRY": registry, "DOCKYARD_REGISTRY_DIR": str(state),
           "DOCKYARD_REGISTRY_LOG": str(log)}
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


class _V2(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b"{}"
        self.send_response(200 if self.path == "/v2/" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answering_registry() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _V2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_registry_that_answers_is_left_alone(answering_registry: str, tmp_path: Path) -> None:
    proc = run(answering_registry, tmp_path / "state", tmp_path / "log")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"registry: {answering_registry} already answers; nothing to do"]
    assert not (tmp_path / "state").exists()


def test_a_silent_registry_off_loopback_is_only_a_warning(tmp_path: Path) -> None:
    # .invalid never resolves (RFC 6761): nothing is sent anywhere.
    proc = run("registry.invalid:5000", tmp_path / "state", tmp_path / "log")
    assert proc.returncode == 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "warning: registry.invalid:5000 does not answer" in lines[0]
    assert "not on loopback" in lines[0]
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize("value", ["foo", "127.0.0.1:", "127.0.0.1:port"])
def test_an_address_without_a_port_is_one_error_line(value: str, tmp_path: Path) -> None:
    proc = run(value, tmp_path / "state", tmp_path / "log")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"registry: DOCKYARD_REGISTRY must be host:port, not '{value}'"]


@pytest.mark.skipif(shutil.which("docker-registry") is None, reason="Debian's docker-registry is not installed")
def test_a_silent_loopback_registry_is_started_and_then_reused(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_loopback_port()}"
    state, log = tmp_path / "state", tmp_path / "registry.log"
    proc = run(address, state, log)
    pid_file = state / "registry.pid"
    try:
        assert proc.returncode == 0, proc.stderr + (log.read_text() if log.exists() else "")
        assert f"registry: {address} answers" in proc.stderr
        with urllib.request.urlopen(f"http://{address}/v2/", timeout=5) as response:
            assert response.status == 200
            assert json.loads(response.read()) == {}
        config = (state / "config.yml").read_text()
        assert f"addr: {address}" in config
        assert f"rootdirectory: {state}/storage" in config
        assert "delete:\n    enabled: true" in config
        again = run(address, state, log)
        assert again.returncode == 0
        assert "already answers; nothing to do" in again.stderr
    finally:
        if pid_file.exists():
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://{address}/v2/", timeout=1)
        except OSError:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the registry on {address} still answers after SIGTERM to its session")
