"""The registry client: names (a service's image -> the registry's path), and the HTTP API against a
small local server that answers as distribution 2.8 does (verified facts: docs/stage.md)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dockyard.core.errors import ConfigError
from dockyard.deploy import registry as reg

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    "image,namespace,path",
    [
        ("dockyard.local/refsite-web", "", "refsite-web"),
        ("dockyard.local/refsite-web", "team/site", "team/site/refsite-web"),
        ("ghcr.io/u/site-web", "", "u/site-web"),
        ("localhost/web", "", "web"),
        ("myorg/web", "", "myorg/web"),  # a Docker Hub path keeps its organisation
        ("127.0.0.1:5000/ns/web", "other", "ns/web"),  # already in this registry: as is
    ],
)
def test_repository_in_the_registry(image, namespace, path):
    registry = reg.parse_registry("127.0.0.1:5000", namespace=namespace)
    assert registry.repository_for(image) == path
    assert registry.ref(image, "3f2a9c0d") == f"127.0.0.1:5000/{path}:3f2a9c0d"
    assert registry.owns(registry.ref(image, "x")) and not registry.owns(f"ghcr.io/{path}:x")
    assert registry.split(registry.ref(image, "3f2a9c0d")) == (path, "3f2a9c0d")


@pytest.mark.parametrize(
    "url,base",
    [
        ("127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("localhost:5000", "http://localhost:5000"),
        ("registry.example.com", "https://registry.example.com"),
        ("http://10.0.0.5:5000", "http://10.0.0.5:5000"),
    ],
)
def test_loopback_is_spoken_to_over_http_anything_else_over_https(url, base):
    assert reg.parse_registry(url).base == base


@pytest.mark.parametrize(
    "url,message",
    [
        ("", "no registry"),
        ("https://u:p@registry.example.com", "must not contain credentials"),
        ("127.0.0.1:5000/path", "must be host:port"),
        ("ftp://registry.example.com", "scheme must be http or https"),
    ],
)
def test_bad_registry_addresses_are_one_line(url, message):
    with pytest.raises(ConfigError, match=message):
        reg.parse_registry(url)


def test_the_environment_wins_over_the_configuration():
    from dockyard.core.settings import RegistrySettings

    configured = RegistrySettings(url="registry.example.com")
    chosen = reg.registry_from_settings(configured, {"DOCKYARD_REGISTRY": "127.0.0.1:5001"})
    assert chosen.host == "127.0.0.1:5001"


class Distribution(BaseHTTPRequestHandler):
    """Tags of `web`; a manifest whose digest comes only with the Docker types accepted (else the
    schema-1 conversion); `private` wants a login."""

    seen: list[tuple[str, str, str]] = []

    def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        Distribution.seen.append((self.command, self.path, self.headers.get("Accept", "")))
        if self.path == "/v2/":
            return self._answer(200, b"{}")
        if self.path == "/v2/web/tags/list":
            return self._answer(200, json.dumps({"name": "web", "tags": ["latest", "3f2a9c0d"]}).encode())
        if self.path.startswith("/v2/private/"):
            return self._answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
        if self.path == "/v2/web/manifests/3f2a9c0d":
            accept = self.headers.get("Accept", "")
            if reg.MANIFEST_V2 in accept:
                return self._answer(200, b'{"mediaType":"x"}', {"Docker-Content-Digest": DIGEST})
            return self._answer(200, b"{}", {"Docker-Content-Digest": "sha256:" + "00" * 32})
        return self._answer(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')

    do_HEAD = do_GET

    def do_DELETE(self) -> None:  # noqa: N802
        Distribution.seen.append((self.command, self.path, ""))
        self._answer(202 if self.path.endswith(DIGEST) else 400)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def registry():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Distribution)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Distribution.seen = []
    yield reg.parse_registry(f"127.0.0.1:{server.server_address[1]}", timeout=5)
    server.shutdown()
    server.server_close()


def test_tags_manifest_head_and_delete(registry):
    registry.ping()
    assert registry.tags("web") == ["latest", "3f2a9c0d"]
    assert registry.tags("never-pushed") == []  # 404 NAME_UNKNOWN: no tags, not an error
    assert registry.manifest_digest("web", "3f2a9c0d") == DIGEST
    head = [s for s in Distribution.seen if s[0] == "HEAD"][0]
    assert head[2] == reg.ACCEPT and all(t in head[2] for t in reg.MANIFEST_TYPES)
    assert registry.manifest_digest("web", "0000000") is None
    registry.delete("web", DIGEST)
    with pytest.raises(reg.RegistryError, match="deleted by digest"):
        registry.delete("web", "3f2a9c0d")


def test_a_login_wall_and_a_dead_registry_are_one_line(registry):
    with pytest.raises(reg.RegistryError, match=r"wants a login; dockyard reads registries without one"):
        registry.tags("private")
    dead = reg.parse_registry("127.0.0.1:9", timeout=2)
    with pytest.raises(reg.RegistryUnavailable) as down:
        dead.ping()
    assert str(down.value) == (
        "registry 127.0.0.1:9 does not answer (Connection refused); "
        "start it with: bash deployment/host/ensure-registry.sh"
    )
