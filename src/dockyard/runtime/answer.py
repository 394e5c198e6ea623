"""What counts as the web service's healthy answer: its [tool.dockyard.services.NAME] keys
`healthy_status` (default 200), `healthy_body` (a text the body contains) and `healthy_json`
(keys the JSON body has, `a.b` reaching into nested objects, with those values)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.core.redact import redact
from dockyard.core.settings import ServiceSettings


@dataclass(frozen=True)
class Endpoint:
    """The web service's container port, health path and healthy answer."""

    port: int
    path: str
    status: int
    body: str | None = None
    json: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, service: ServiceSettings) -> Endpoint:
        return cls(
            port=service.web_port,
            path=service.web_health_path,
            status=service.web_healthy_status,
            body=service.healthy_body or None,
            json=dict(service.healthy_json),
        )

    def expectation(self) -> str:
        """`200 containing "ok"`, `200 with ready = true`: for messages."""
        parts = [str(self.status)]
        if self.body:
            parts.append(f"containing {json.dumps(self.body)}")
        if self.json:
            parts.append("with " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in self.json.items()))
        return " ".join(parts)

    def judge(self, status: int | None, body: str) -> str | None:
        """None when (status, body) is a healthy answer, else why not (one line, secrets masked)."""
        shown = redact(body.strip())[:200]
        if status is None:
            return f"did not answer ({shown})"
        if status != self.status:
            return f"answered {status}, expected {self.status}" + (f": {shown}" if shown else "")
        if self.body and self.body not in body:
            return f"answered {status} without {json.dumps(self.body)}: {shown}"
        if self.json:
            try:
                data = json.loads(body)
            except ValueError:
                return f"answered {status} but not JSON: {shown}"
            for key, wanted in self.json.items():
                found = _lookup(data, key)
                if found is _MISSING:
                    return f"answered {status} without the JSON key {key}: {shown}"
                if found != wanted or type(found) is not type(wanted) and not _numbers(found, wanted):
                    return f"answered {status} with {key} = {json.dumps(found)}, expected {json.dumps(wanted)}"
        return None


_MISSING = object()


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return _MISSING
        data = data[part]
    return data


def _numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b))
