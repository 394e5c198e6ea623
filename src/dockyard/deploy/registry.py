"""The image registry's HTTP API (distribution's `/v2/`): tags, manifests, image configs, deletes.

This module owns the registry as an outside system (the Engine reaches it for pushes and pulls
through `dockyard.docker`; dockyard itself reads it here). What it relies on was verified against
Debian's docker-registry 2.8 (docs/stage.md):

* `GET /v2/` answers 200 when the registry is up;
* `GET /v2/NAME/tags/list` -> `{"name": ..., "tags": [...] | null}`; 404 NAME_UNKNOWN for a
  repository that was never pushed;
* `HEAD /v2/NAME/manifests/TAG` answers with `Docker-Content-Digest`, the image's RepoDigest,
  only when the Accept header names all four manifest types: with no Accept header distribution
  2.8 converts a Docker image's manifest to schema 1, under another digest;
* `DELETE /v2/NAME/manifests/<digest>` (202); deleting by tag is refused (400 DIGEST_INVALID).

Registries that want a login (ghcr.io, Docker Hub) are not spoken to here: a reference in such a
registry is checked through the Engine, which has the credentials (`docker.images.registry_digest`).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

from dockyard.core.errors import ConfigError, DockyardError
from dockyard.core.imageref import parse_ref
from dockyard.core.net import is_loopback

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST_TYPES = (MANIFEST_V2, MANIFEST_LIST, OCI_MANIFEST, OCI_INDEX)
ACCEPT = ", ".join(MANIFEST_TYPES)
INDEX_TYPES = (MANIFEST_LIST, OCI_INDEX)

ENV_REGISTRY = "DOCKYARD_REGISTRY"
START_HINT = "start it with: bash deployment/host/ensure-registry.sh"
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")  # distribution's rule


class RegistryError(DockyardError):
    """The registry refused a request or answered something unexpected."""


class RegistryUnavailable(RegistryError):
    """Nothing answers at the registry's address."""


@dataclass(frozen=True)
class Manifest:
    media_type: str
    digest: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Registry:
    """One registry: `host` is `host:port` as image references name it; `base` the URL to talk to."""

    host: str
    base: str
    timeout: float = 10.0
    namespace: str = ""

    # ------------------------------------------------------------------ names

    def repository_for(self, image: str) -> str:
        """The repository path in this registry for a service's image repository (no tag).

        `dockyard.local/mysite-web` -> `mysite-web` (or `NAMESPACE/mysite-web`): the image's own
        registry host is replaced; an image already in this registry keeps its path.
        """
        repository = parse_ref(image).repository
        first, _, rest = repository.partition("/")
        if first == self.host:
            return rest
        path = rest if rest and _looks_like_host(first) else repository
        return f"{self.namespace.strip('/')}/{path}" if self.namespace.strip("/") else path

    def ref(self, image: str, tag: str) -> str:
        """The full reference `host/path:tag` an image is pushed as and pulled from."""
        return f"{self.host}/{self.repository_for(image)}:{tag}"

    def owns(self, ref: str) -> bool:
        """Is `ref` an image in this registry?"""
        return parse_ref(ref).repository.partition("/")[0] == self.host

    def split(self, ref: str) -> tuple[str, str]:
        """`host/path:tag` (or `@digest`) of this registry -> (path, tag or digest)."""
        parsed = parse_ref(ref)
        path = parsed.repository.partition("/")[2]
        reference = parsed.digest or parsed.tag or "latest"
        return path, reference

    # ------------------------------------------------------------------ API

    def ping(self) -> None:
        """RegistryUnavailable (one line, with how to start it) unless `GET /v2/` answers."""
        status, _, _ = self._request("GET", "/v2/")
        if status not in (200, 401):
            raise RegistryError(f"registry {self.host} answered HTTP {status} on /v2/: is it a registry?")

    def tags(self, path: str) -> list[str]:
        """Every tag of repository `path` ([] when the registry never heard of it)."""
        status, _, body = self._request("GET", f"/v2/{_quote(path)}/tags/list")
        if status == 404:
            return []
        data = self._json(status, body, f"tags of {path}")
        return [str(t) for t in (data.get("tags") or [])]

    def manifest_digest(self, path: str, reference: str) -> str | None:
        """The digest of `path:reference` (HEAD with the four Accept types); None when it is not there."""
        status, headers, _ = self._request("HEAD", f"/v2/{_quote(path)}/manifests/{_quote(reference)}", ACCEPT)
        if status == 404:
            return None
        if status != 200:
            raise RegistryError(f"registry {self.host} answered HTTP {status} for the manifest of {path}:{reference}")
        return headers.get("docker-content-digest") or None

    def manifest(self, path: str, reference: str) -> Manifest | None:
        status, headers, body = self._request("GET", f"/v2/{_quote(path)}/manifests/{_quote(reference)}", ACCEPT)
        if status == 404:
            return None
        data = self._json(status, body, f"the manifest of {path}:{reference}")
        media_type = str(data.get("mediaType") or headers.get("content-type", "")).split(";")[0]
        return Manifest(media_type, headers.get("docker-content-digest", ""), data)

    def image_config(self, path: str, reference: str) -> dict[str, Any] | None:
        """The image's config blob (`created`, `config.Labels`, ...); for an index, its first image's."""
        manifest = self.manifest(path, reference)
        if manifest is None:
            return None
        if manifest.media_type in INDEX_TYPES:
            images = [m for m in manifest.body.get("manifests") or [] if _is_image(m)]
            if not images:
                return None
            manifest = self.manifest(path, str(images[0].get("digest")))
            if manifest is None:
                return None
        digest = str((manifest.body.get("config") or {}).get("digest") or "")
        if not digest:
            return None
        status, _, body = self._request("GET", f"/v2/{_quote(path)}/blobs/{_quote(digest)}")
        return self._json(status, body, f"the image config of {path}:{reference}")

    def delete(self, path: str, digest: str) -> None:
        """Delete a manifest by digest (every tag that points at it goes with it)."""
        if not digest.startswith("sha256:"):
            raise RegistryError(f"registry manifests are deleted by digest, not {digest!r}")
        status, _, _ = self._request("DELETE", f"/v2/{_quote(path)}/manifests/{_quote(digest)}")
        if status not in (202, 404):
            raise RegistryError(f"registry {self.host} refused to delete {path}@{digest[:19]} (HTTP {status})")

    # ------------------------------------------------------------------ transport

    def _request(self, method: str, path: str, accept: str | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.base + path, method=method)
        request.add_header("User-Agent", "dockyard")
        if accept:
            request.add_header("Accept", accept)
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                return response.status, _lower(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read()
            except (OSError, HTTPException):
                body = b""
            if exc.code == 401:
                raise RegistryError(
                    f"registry {self.host} wants a login; dockyard reads registries without one "
                    f"(use a loopback registry, or let the Engine check: docker login {self.host})"
                ) from None
            return exc.code, _lower(exc.headers), body
        except urllib.error.URLError as exc:
            reason = exc.reason
            why = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
            raise RegistryUnavailable(f"registry {self.host} does not answer ({why}); {START_HINT}") from None
        except (TimeoutError, ConnectionError, HTTPException, OSError) as exc:
            raise RegistryUnavailable(
                f"registry {self.host} does not answer ({type(exc).__name__}); {START_HINT}"
            ) from None

    def _json(self, status: int, body: bytes, what: str) -> dict[str, Any]:
        if status != 200:
            raise RegistryError(f"registry {self.host} answered HTTP {status} for {what}: {_error_code(body)}")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RegistryError(f"registry {self.host} sent something that is not JSON for {what}") from None
        if not isinstance(data, dict):
            raise RegistryError(f"registry {self.host} sent unexpected JSON for {what}")
        return data


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects to blob storage would be fine, but a loopback registry never sends any; refusing
    them keeps every request on the configured address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


def registry_from_settings(settings: Any, env: dict[str, str] | None = None) -> Registry:
    """The configured registry: DOCKYARD_REGISTRY, else `[tool.dockyard.registry] url`."""
    env = dict(os.environ if env is None else env)
    url = (env.get(ENV_REGISTRY) or settings.url).strip()
    return parse_registry(url, timeout=float(settings.timeout), namespace=settings.namespace)


def parse_registry(url: str, timeout: float = 10.0, namespace: str = "") -> Registry:
    """`127.0.0.1:5000`, `http://127.0.0.1:5000` or `https://registry.example.com` -> a Registry.

    Without a scheme a loopback registry is spoken to over http (the Engine trusts it without TLS),
    any other over https."""
    if not url:
        raise ConfigError(f"no registry: set {ENV_REGISTRY} or [tool.dockyard.registry] url")
    parts = urllib.parse.urlsplit(url if "://" in url else f"//{url}")
    if parts.username or parts.password:
        raise ConfigError("the registry URL must not contain credentials")
    if not parts.hostname or parts.path.strip("/") or parts.query:
        raise ConfigError(f"registry {url!r} must be host:port (e.g. 127.0.0.1:5000)")
    host = parts.netloc
    scheme = parts.scheme or ("http" if is_loopback(parts.hostname) else "https")
    if scheme not in ("http", "https"):
        raise ConfigError(f"registry {url!r}: the scheme must be http or https")
    if namespace.strip("/") and not all(_PATH_COMPONENT.fullmatch(p) for p in namespace.strip("/").split("/")):
        raise ConfigError(f"[tool.dockyard.registry] namespace {namespace!r} is not a repository path")
    return Registry(host=host, base=f"{scheme}://{host}", timeout=timeout, namespace=namespace.strip("/"))


def _looks_like_host(component: str) -> bool:
    """The Engine's rule: the first path component is a registry when it has a dot or a port, or is localhost."""
    return "." in component or ":" in component or component == "localhost"


def _is_image(entry: dict[str, Any]) -> bool:
    platform = entry.get("platform") or {}
    return platform.get("os", "linux") != "unknown"  # attestation manifests say os "unknown"


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="/:@")


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers.items() if headers is not None else [])}


def _error_code(body: bytes) -> str:
    try:
        errors = json.loads(body.decode("utf-8")).get("errors") or []
        return ", ".join(str(e.get("code")) for e in errors if isinstance(e, dict)) or "no error code"
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return "no error code"
