"""Dependency checks behind /health/.

Each check returns "ok" or "fail: <short reason>"; reasons never contain credentials.
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from kombu import Connection

OK = "ok"
NOT_CONFIGURED = "not configured"
MAX_REASON = 160


def short_reason(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """First line of an exception as "fail: Type: message", with secrets masked and length capped."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if len(reason) > MAX_REASON:
        reason = reason[: MAX_REASON - 3] + "..."
    return f"fail: {reason}"


def url_secrets(url: str) -> tuple[str, ...]:
    """The password of a URL (raw and percent-decoded), to be masked in messages."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return ()
    if not password:
        return ()
    return (password, unquote(password))


def check_database(connection) -> str:
    """Run ``SELECT 1`` on a Django database connection."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database is unusable
        password = connection.settings_dict.get("PASSWORD") or ""
        try:
            connection.close()  # do not reuse a broken persistent connection
        except Exception:
            pass
        return short_reason(exc, (password,))
    return OK


def check_broker(url: str | None, timeout: float) -> str:
    """Connect to the Celery broker once (no retries), bounded by ``timeout`` seconds."""
    if not url:
        return NOT_CONFIGURED
    try:
        with Connection(
            url,
            connect_timeout=timeout,
            transport_options={"socket_timeout": timeout},
        ) as conn:
            # One attempt: kombu's connect() would retry once after sleeping 2 s.
            conn.ensure_connection(max_retries=0, reraise_as_library_errors=False)
    except Exception as exc:  # refused, timed out, auth failure, bad URL: all mean "down"
        return short_reason(exc, url_secrets(url))
    return OK
