"""Loopback addresses: the only ones dockyard publishes ports on or sends test traffic to."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    """`localhost`, 127.0.0.0/8 and ::1 (brackets allowed): True; any other host: False."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    return is_loopback(urlsplit(url).hostname or "")
