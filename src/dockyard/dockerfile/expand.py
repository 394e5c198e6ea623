"""ARG and ENV expansion the way the Dockerfile frontend does it: $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word}."""

from __future__ import annotations

import re
from collections.abc import Mapping

_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def expand(text: str, env: Mapping[str, str | None]) -> str:
    """Expand $VAR / ${VAR} / ${VAR:-word} / ${VAR:+word} the way the Dockerfile frontend does.

    Unknown variables expand to "" like in BuildKit; `env` maps names to values (None: unset).
    """

    def one(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        value = env.get(name)
        op = match.group("op")
        word = match.group("word") or ""
        if op in (":-", "-"):
            return value if value not in (None, "") or (op == "-" and value is not None) else word
        if op in (":+", "+"):
            return word if value not in (None, "") or (op == "+" and value is not None) else ""
        return value or ""

    return _VAR.sub(one, text)


def references(text: str) -> set[str]:
    """Names of the variables `text` refers to."""
    return {m.group("braced") or m.group("bare") for m in _VAR.finditer(text)}
