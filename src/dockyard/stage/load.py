"""A bounded loop of requests through the stage's proxy, on 127.0.0.1 only.

Two request loops by default, one fresh connection per request (so every request is routed
anew, as a browser's would be after a deploy), a short pause between two requests of a loop.
A request fails on any status but the expected one, or on any transport error. The loop is
bounded twice: the caller stops it, and it stops itself after `max_requests` or `max_seconds`.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field

from dockyard.core.errors import ConfigError
from dockyard.core.net import LOOPBACK


@dataclass
class LoadReport:
    requests: int
    failed: int
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    seconds: float
    first_failures: list[str] = field(default_factory=list)  # "t+12.3s 502" ...

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class Load:
    """Request loops against 127.0.0.1:`port` from `start()` until `stop()` (or its own bounds)."""

    def __init__(
        self,
        port: int,
        path: str = "/",
        expected_status: int = 200,
        loops: int = 2,
        pause: float = 0.05,
        timeout: float = 15.0,
        max_requests: int = 50_000,
        max_seconds: float = 600.0,
    ) -> None:
        if not path.startswith("/"):
            raise ConfigError(f"the probe path must start with '/', not {path!r}")
        self.port, self.path, self.expected = port, path, expected_status
        self.pause, self.timeout = pause, timeout
        self.max_requests, self.max_seconds = max_requests, max_seconds
        self._rows: list[tuple[float, bool, float, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._t0 = 0.0
        self._ended = 0.0
        self._threads = [threading.Thread(target=self._loop, daemon=True, name=f"load-{i}") for i in range(loops)]

    def start(self) -> Load:
        self._t0 = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> LoadReport:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)
        self._ended = self._ended or time.monotonic()
        return self.report()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._rows)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.count >= self.max_requests or time.monotonic() - self._t0 >= self.max_seconds:
                self._ended = self._ended or time.monotonic()
                self._stop.set()
                return
            started = time.monotonic()
            ok, detail = False, ""
            try:
                connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout)
                try:
                    connection.request("GET", self.path, headers={"Connection": "close"})
                    response = connection.getresponse()
                    response.read()
                    ok, detail = response.status == self.expected, str(response.status)
                finally:
                    connection.close()
            except (OSError, http.client.HTTPException) as exc:
                detail = type(exc).__name__
            elapsed_ms = (time.monotonic() - started) * 1000
            with self._lock:
                self._rows.append((started - self._t0, ok, elapsed_ms, detail))
            self._stop.wait(self.pause)

    def report(self) -> LoadReport:
        with self._lock:
            rows = list(self._rows)
        latencies = sorted(ms for _, _, ms, _ in rows)
        failures = [f"t+{t:.1f}s {detail}" for t, ok, _, detail in rows if not ok]
        return LoadReport(
            requests=len(rows),
            failed=len(failures),
            p50_ms=round(statistics.median(latencies), 1) if latencies else None,
            p99_ms=round(percentile(latencies, 99), 1) if latencies else None,
            max_ms=round(latencies[-1], 1) if latencies else None,
            seconds=round((self._ended or time.monotonic()) - self._t0, 1),
            first_failures=failures[:8],
        )


def percentile(sorted_values: list[float], pct: float) -> float:
    """The `pct` percentile of sorted values (statistics' exclusive method; the value itself for one)."""
    if len(sorted_values) < 2:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100)[int(pct) - 1]
