"""Pure helpers around containers: redaction, loopback port bindings and HTTP, engine timestamps, health log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dockyard.core.net import is_loopback, is_loopback_url
from dockyard.core.redact import redact
from dockyard.docker import containers as ct
from dockyard.runtime import health
from dockyard.runtime.http import http_get


def test_redact_masks_url_passwords_and_secret_assignments():
    text = (
        "DATABASE_URL=postgres://refsite:s3cr3t@postgres:5432/refsite redis://:pw@redis:6379/0 "
        "POSTGRES_PASSWORD=hunter2 token: abc"
    )
    out = redact(text)
    for secret in ("s3cr3t", "hunter2", ":pw@"):
        assert secret not in out
    assert "postgres://refsite:***@postgres:5432/refsite" in out
    assert "redis://:***@redis:6379/0" in out
    assert (
        redact("redis://redis:6379/0 http://127.0.0.1:8000/health/")
        == "redis://redis:6379/0 http://127.0.0.1:8000/health/"
    )


def test_ports_are_bound_to_loopback_and_others_refused():
    assert ct._loopback_ports({"80/tcp": None}) == {"80/tcp": ("127.0.0.1",)}
    assert ct._loopback_ports({"80/tcp": 8000}) == {"80/tcp": ("127.0.0.1", 8000)}
    assert ct._loopback_ports({"80/tcp": ("127.0.0.2", 8000)}) == {"80/tcp": ("127.0.0.2", 8000)}
    assert ct._loopback_ports(None) is None
    with pytest.raises(ct.ContainerError, match="use 127.0.0.1"):
        ct._loopback_ports({"80/tcp": ("0.0.0.0", 8000)})


def test_http_get_refuses_non_loopback_hosts_before_sending():
    for url in ("http://10.0.0.5/health/", "http://example.org/", "http://0.0.0.0:80/"):
        with pytest.raises(ct.ContainerError, match="only loopback"):
            http_get(url)


def test_loopback_hosts_and_urls():
    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "127.8.9.1", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.5", "example.org", ""))
    assert is_loopback_url("http://127.0.0.1:3000/api") and not is_loopback_url("https://captain.example.com")


def test_parse_docker_time():
    assert health.parse_docker_time("2026-11-25T17:35:22.281601296Z") == datetime(
        2026, 11, 25, 17, 35, 22, 281601, tzinfo=UTC
    )
    assert health.parse_docker_time("0001-01-01T00:00:00Z") is None
    assert health.parse_docker_time("not a time") is None
    assert health.parse_docker_time("2026-11-25T19:35:22+02:00") == datetime(2026, 11, 25, 17, 35, 22, tzinfo=UTC)
    assert health.parse_docker_time("") is None


def _attrs(started: str, log: list[tuple[int, str]]) -> dict:
    return {
        "State": {
            "StartedAt": started,
            "Health": {
                "Status": "healthy",
                "Log": [
                    {"Start": "", "End": end, "ExitCode": code, "Output": "x"} for code, end in log
                ],
            },
        }
    }


def test_seconds_to_healthy_uses_the_first_pass_after_the_last_failure():
    attrs = _attrs(
        "2026-01-01T00:00:00.000000000Z",
        [
            (1, "2026-01-01T00:00:01.500000000Z"),
            (0, "2026-01-01T00:00:02.250000000Z"),
            (0, "2026-01-01T00:00:32.000000000Z"),
        ],
    )
    assert health.seconds_to_healthy(attrs) == 2.25
    assert health.seconds_to_healthy({"State": {}}) is None


def test_seconds_to_healthy_is_unknown_once_the_engine_dropped_the_transition():
    passes = [(0, f"2026-01-01T00:0{i}:00.000000000Z") for i in range(1, 6)]
    assert health.seconds_to_healthy(_attrs("2026-01-01T00:00:00Z", passes)) is None
    assert health.seconds_to_healthy(_attrs("2026-01-01T00:00:00Z", passes[:2])) == 60.0


def test_health_probes_are_masked_and_limited():
    attrs = {
        "State": {
            "Health": {
                "Log": [
                    {
                        "ExitCode": 1,
                        "Output": f"curl postgres://u:pw{i}@db/x failed\n",
                        "Start": "s",
                        "End": "e",
                    }
                    for i in range(7)
                ]
            }
        }
    }
    probes = health.health_probes(attrs, limit=5)
    assert len(probes) == 5
    assert probes[-1].output == "curl postgres://u:***@db/x failed"
