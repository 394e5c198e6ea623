"""Command-line values checked where the task starts, before anything is contacted: each bad
value is one `error:` line naming the option (docs/reliability.md, "Bad input and faults").

Invoke already turns text given to a number option into a usage error (cli.tasks._task); these
check the range and the shape: `--limit 0`, a negative `--timeout`, a port outside 0-65535, a
list option that names nothing (`--targets ''`), an image reference the Engine would refuse.
"""

from __future__ import annotations

from dockyard.core.errors import ConfigError


class BadOption(ConfigError):
    """A command-line value out of range or of the wrong shape."""


def _whole(option: str, value: object) -> int:
    try:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(str(value).strip()) if not isinstance(value, int | float) else int(value)
    except (TypeError, ValueError):
        raise BadOption(f"{option} takes a whole number, got {value!r}") from None


def count(option: str, value: object, minimum: int = 1) -> int:
    """A whole number >= `minimum` (`--limit`, `--lines`)."""
    number = _whole(option, value)
    if number < minimum:
        raise BadOption(f"{option} must be a whole number >= {minimum}, got {number}")
    return number


def seconds(option: str, value: object, zero: bool = False) -> float | None:
    """A number of seconds: > 0 (or >= 0 with `zero`); None stays None (the default applies)."""
    if value is None:
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadOption(f"{option} takes a number of seconds, got {value!r}") from None
    if not (number > 0 or (zero and number == 0)) or number == float("inf"):
        raise BadOption(f"{option} must be a number of seconds {'>= 0' if zero else '> 0'}, got {value}")
    return number


def port(option: str, value: object) -> int:
    """A TCP port, or 0 for a free one."""
    number = _whole(option, value)
    if not 0 <= number <= 65535:
        raise BadOption(f"{option} must be a port between 1 and 65535 (0: a free one), got {number}")
    return number


def uid(option: str, value: object) -> int:
    number = _whole(option, value)
    if number < 0:
        raise BadOption(f"{option} must be a uid >= 0, got {number}")
    return number


def names(option: str, value: str | None) -> list[str] | None:
    """A comma-separated list; None when the option was not given; an error when it names nothing
    (`--targets ''` must never mean "the default" or "nothing")."""
    if value is None:
        return None
    found = [part.strip() for part in value.split(",") if part.strip()]
    if not found:
        raise BadOption(f"{option} {value!r} names nothing; give comma-separated names")
    return found


def image(option: str, value: str | None) -> str | None:
    """An image reference (or id) the Engine would accept; None stays None."""
    if value is None:
        return None
    from dockyard.core.imageref import validate_ref

    try:
        return validate_ref(value)
    except ConfigError as exc:
        raise BadOption(f"{option}: {exc}") from None


def images(option: str, value: str | None) -> list[str] | None:
    found = names(option, value)
    return None if found is None else [image(option, ref) or "" for ref in found]
