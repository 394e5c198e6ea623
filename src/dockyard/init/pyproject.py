"""`[tool.dockyard]` into pyproject.toml with tomlkit: every other table, comment and blank line kept."""

from __future__ import annotations

import tomllib

import tomlkit
from tomlkit.exceptions import TOMLKitError

from dockyard.core.errors import ConfigError
from dockyard.core.settings import load_settings


def has_tool_dockyard(text: str) -> bool:
    try:
        return "dockyard" in (tomllib.loads(text).get("tool") or {})
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"pyproject.toml: not valid TOML ({exc})") from None


def with_tool_dockyard(text: str | None, table: str) -> str:
    """`text` (a pyproject.toml, None for none) with its [tool.dockyard] (if any) replaced by `table`.

    The result is checked: valid TOML, and a [tool.dockyard] dockyard's own settings loader accepts.
    """
    if text is None or not text.strip():
        result = table
    else:
        try:
            document = tomlkit.parse(text)
        except TOMLKitError as exc:
            raise ConfigError(f"pyproject.toml: not valid TOML ({exc})") from None
        tool = document.get("tool")
        if tool is not None and "dockyard" in tool:
            del tool["dockyard"]
            if not tool:
                del document["tool"]
        result = tomlkit.dumps(document).rstrip("\n") + "\n\n" + table
    data = tomllib.loads(result)
    load_settings(data["tool"]["dockyard"])  # what init writes must load, or it is init's bug
    return result
