"""HTTP to the containers dockyard started, over loopback only (never through a proxy)."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

from dockyard.core.net import is_loopback
from dockyard.docker.containers import ContainerError

_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 5.0) -> tuple[int | None, str]:
    """GET a loopback URL: (HTTP status, body). Connection errors give (None, reason); never raises
    for them or for 4xx/5xx. Any non-loopback host is refused with ContainerError."""
    host = urlsplit(url).hostname or ""
    if not is_loopback(host):
        raise ContainerError(
            f"refusing to send a request to {host or url}: only loopback addresses are allowed"
        )
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with _NO_PROXY_OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace") if exc.fp else ""
        return exc.code, body
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(reason).__name__}: {reason}" if not isinstance(reason, str) else reason
