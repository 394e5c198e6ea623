"""One HTTP request to a server dockyard does not trust to behave: CapRover, or a proxy in front of it.

Guarantees, whatever the server does:

* a **total deadline**: connecting, sending, the status line, the headers and the body together
  take at most `deadline` seconds. A socket timeout alone bounds each read, so a server that
  sends one byte a second could hold a run forever; here a watchdog shuts the connection's
  socket down when the deadline passes, which ends any read in progress;
* a **bounded answer**: at most `max_bytes` of body are read, whatever Content-Length says;
* **no redirect is followed** (it would carry the request's secret headers elsewhere); a 3xx is
  returned like any other answer;
* the caller learns when the request has been **sent** (`on_sent`), so an interruption after that
  moment can be recorded as "may have happened".

Proxies from the environment (http_proxy, https_proxy, no_proxy) are honoured as urllib does.
Errors are `TransportError`s whose text holds no header, so no secret.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException

DEFAULT_MAX_BYTES = 1024 * 1024  # an API answer of CapRover is a few hundred bytes
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


class TransportError(Exception):
    """The request did not get a complete answer. `sent`: the request had left (it may have acted)."""

    def __init__(self, message: str, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class Unreachable(TransportError):
    """Nothing answered at the address (refused, no route, name unknown): nothing was sent."""


class DeadlinePassed(TransportError):
    """No complete answer within the deadline."""


class TooLarge(TransportError):
    """The answer was longer than the bound; it was cut off unread."""


class Broken(TransportError):
    """The connection broke before a complete answer."""


def request(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    deadline: float,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_sent: Callable[[], None] = lambda: None,
) -> Response:
    """Send one request; the answer (any status, redirects included) within `deadline` seconds."""
    watch = _Watch(time.monotonic() + deadline)
    opener = urllib.request.build_opener(
        _NoRedirect, _WatchedHTTP(watch, on_sent), _WatchedHTTPS(watch, on_sent)
    )
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    timer = threading.Timer(deadline, watch.expire)
    timer.daemon = True
    timer.start()
    try:
        try:
            response = opener.open(req, timeout=deadline)
        except urllib.error.HTTPError as exc:  # a 4xx/5xx (or an unfollowed 3xx) is still an answer
            response = exc
        with response:
            status = response.status if hasattr(response, "status") else response.code
            return Response(status, _read_bounded(response, max_bytes, watch))
    except TransportError:
        raise
    except urllib.error.URLError as exc:
        raise _failure(exc.reason, watch, deadline) from None
    except (OSError, HTTPException, ValueError) as exc:
        raise _failure(exc, watch, deadline) from None
    finally:
        timer.cancel()


def _read_bounded(response, max_bytes: int, watch: _Watch) -> bytes:  # noqa: ANN001
    chunks, size = [], 0
    while True:
        chunk = response.read(min(_CHUNK, max_bytes + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"the answer was longer than {max_bytes} bytes", sent=True)
        chunks.append(chunk)
    if watch.expired:  # the watchdog cut the body short: what was read is not the answer
        raise DeadlinePassed("no complete answer in time", sent=True)
    return b"".join(chunks)


def _failure(reason: object, watch: _Watch, deadline: float) -> TransportError:
    sent = watch.sent
    if watch.expired or isinstance(reason, TimeoutError | socket.timeout):
        return DeadlinePassed(f"no complete answer within {deadline:g} s", sent=sent)
    text = reason.strerror if isinstance(reason, OSError) and reason.strerror else type(reason).__name__
    if not sent:
        return Unreachable(str(text), sent=False)
    return Broken(str(text), sent=True)


class _Watch:
    """The sockets of one request, shut down by the watchdog when the deadline passes."""

    def __init__(self, until: float) -> None:
        self.until = until
        self.expired = False
        self.sent = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:  # the plain socket's shutdown: an SSL socket's own would touch its state under a reader
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _watched(connection_class: type, watch: _Watch, on_sent: Callable[[], None]) -> type:
    class Watched(connection_class):  # type: ignore[misc, valid-type]
        def connect(self) -> None:
            super().connect()
            watch.add(self.sock)
            remaining = watch.until - time.monotonic()
            self.sock.settimeout(max(remaining, 0.001))

        def endheaders(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
            super().endheaders(*args, **kwargs)  # the request (headers and body) has left
            watch.sent = True
            on_sent()

    return Watched


class _WatchedHTTP(urllib.request.HTTPHandler):
    def __init__(self, watch: _Watch, on_sent: Callable[[], None]) -> None:
        super().__init__()
        self._watch, self._on_sent = watch, on_sent

    def do_open(self, http_class, req, **kwargs):  # noqa: ANN001, ANN003, ANN201
        return super().do_open(_watched(http_class, self._watch, self._on_sent), req, **kwargs)


class _WatchedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, watch: _Watch, on_sent: Callable[[], None]) -> None:
        super().__init__()
        self._watch, self._on_sent = watch, on_sent

    def do_open(self, http_class, req, **kwargs):  # noqa: ANN001, ANN003, ANN201
        return super().do_open(_watched(http_class, self._watch, self._on_sent), req, **kwargs)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it would carry the request's headers (a token) to another address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        return None
