"""Mask secrets in text that may reach output: passwords in URLs and KEY=value pairs named like secrets."""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@\s/]+)(?P<at>@)"
)
_SECRET_ASSIGNMENT = re.compile(
    r"(?P<key>\b\w*(?:PASSWORD|SECRET|TOKEN|PASSWD)\w*\s*[=:]\s*)(?P<value>[^\s,;'\"]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Mask passwords in URLs (`postgres://u:***@h/db`) and in KEY=value pairs named like secrets."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}***{m.group('at')}", text)
    return _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group('key')}***", text)
