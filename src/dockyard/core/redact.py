"""Mask secrets in text that may reach output: passwords in URLs and KEY=value pairs named like
secrets (`redact`), and known secrets such as an app token wherever they appear (`scrub`).
Everything dockyard shows or writes from commands, environments, logs and servers goes through here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s/]+)(?P<at>@)"
)
_SECRET_ASSIGNMENT = re.compile(
    r"(?P<key>\b\w*(?:PASSWORD|SECRET|TOKEN|PASSWD)\w*\s*[=:]\s*)(?P<value>[^\s,;'\"]+)",
    re.IGNORECASE,
)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret (e.g. a token a server echoed) masked, then
    `redact`ed. Empty secrets are ignored; longer ones are masked first."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return redact(text)


def redact_all(values: Iterable[str]) -> list[str]:
    """`redact` of each value (an argv, log lines)."""
    return [redact(value) for value in values]


def redact(text: str) -> str:
    """Mask passwords in URLs (`postgres://u:***@h/db`) and in KEY=value pairs named like secrets."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}***{m.group('at')}", text)
    return _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group('key')}***", text)
