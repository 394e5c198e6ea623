"""The adapter between the property tests (test_properties.py) and dockyard's parsing layer.

test_properties.py imports dockyard ONLY through this module, so when src/dockyard is reorganised
this file is the one to update: map each name below to its new home. Everything here is an import
path plus the smallest glue to give every target one call shape.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

# the error types the properties expect (re-exported: tests see them as targets.ConfigError, ...)
from dockyard.core.errors import ConfigError, DockyardError  # noqa: F401

# --------------------------------------------------------------------------- settings


def load_config_file(pyproject: Path) -> Any:
    """pyproject.toml -> its [tool.dockyard] table (what every task starts from)."""
    from dockyard.core.project import read_config

    return read_config(pyproject)


def load_settings(root: Path, config: dict[str, Any]) -> None:
    """Load and check every `[tool.dockyard.*]` setting of a project whose [tool.dockyard] is `config`
    (core.settings validates the whole table at once, without the engine or the environment)."""
    from dockyard.core.project import Project
    from dockyard.core.settings import load_settings as load

    project = Project(root=root, settings=load(config))
    for key in ("bake_file", "dockerfile", "compose_file"):
        project.path(key)


def _kind(meta_kind: str) -> type:
    """A settings field kind -> the TOML type its value must have (`float`: any number)."""
    return {"str": str, "choice": str, "bool": bool, "int": float, "number": float, "strings": list,
            "str_table": dict, "env_table": dict, "scalar_table": dict, "table": dict, "values": list}[meta_kind]


def _settings_schema() -> dict[tuple[str, str], type]:
    """(table, key) -> the type its value must have; table "" is [tool.dockyard] itself, and a
    dotted table ("services.web") is a sub-table. Built from core.settings' typed dataclasses."""
    from dockyard.core import settings as s

    def fields(cls: type) -> dict[str, type]:
        """Fields of a fixed type ("value" fields take any TOML value: nothing to get wrong)."""
        return {
            f.name: _kind(f.metadata["kind"])
            for f in dataclasses.fields(cls)
            if "kind" in f.metadata and f.metadata["kind"] != "value"
        }

    schema: dict[tuple[str, str], type] = {}
    for key, kind in fields(s.Settings).items():
        schema[("", key)] = kind
    for table, cls in s._TABLES.items():
        for key, kind in fields(cls).items():
            schema[(table, key)] = kind
    for key, kind in fields(s.TargetChecks).items():
        schema[("checks", key)] = kind
        schema[("checks.web", key)] = kind
    for key, kind in fields(s.ServiceSettings).items():
        schema[("services.web", key)] = kind
    return schema


SETTINGS_SCHEMA = _settings_schema()

# --------------------------------------------------------------------------- image references and tags


def parse_image_ref(text: str) -> Any:
    """An image reference split into repository, tag and digest."""
    from dockyard.core.imageref import parse_ref

    return parse_ref(text)


def tag_of_image(text: str) -> str:
    from dockyard.deploy.deployer import tag_of

    return tag_of(text)


def repository_of_image(text: str) -> str:
    from dockyard.core.imageref import parse_ref

    return parse_ref(text).repository


def validate_tag(text: str) -> str:
    from dockyard.deploy.deployer import validate_tag as check

    return check(text)


# --------------------------------------------------------------------------- command-line values


def parse_keep_storage(text: str) -> int:
    from dockyard.prune.plan import parse_keep_storage as parse

    return parse(text)


def parse_duration(text: str) -> float:
    from dockyard.prune.plan import parse_duration as parse

    return parse(text)


def parse_filters(values: list[str]) -> dict[str, str]:
    from dockyard.prune.plan import parse_filters as parse

    return parse(values)


def normalize_caprover_url(text: str) -> str:
    from dockyard.deploy.caprover import normalize_url

    return normalize_url(text)


def safe_url(text: str) -> str:
    from dockyard.deploy.caprover import safe_url as safe

    return safe(text)


# --------------------------------------------------------------------------- the deploy history


def read_history(path: Path) -> Any:
    """The history file -> an object with `.entries` (oldest first) and `.warnings()`."""
    from dockyard.deploy.history import read

    return read(path)


def append_history(path: Path, fields: dict[str, str]) -> None:
    """Append one entry made of `fields` (time, service, image, sha, result, ...)."""
    from dockyard.deploy.history import Entry, append

    append(path, Entry(**fields))


def history_results() -> tuple[str, ...]:
    from dockyard.deploy.history import RESULTS

    return RESULTS


# --------------------------------------------------------------------------- rendering untrusted text


def render_note(text: str) -> str:
    """What a task's `note: ...` remark prints for `text` (captured, not shown)."""
    from dockyard.cli.console import progress_console
    from dockyard.cli.tasks._output import note

    with progress_console.capture() as captured:
        note(text)
    return captured.get()


# --------------------------------------------------------------------------- task options


def option_count(option: str, value: object, minimum: int = 1) -> int:
    """`--limit`, `--lines`: a whole number >= minimum, or a ConfigError naming the option."""
    from dockyard.cli.tasks._args import count

    return count(option, value, minimum)


def option_seconds(option: str, value: object, zero: bool = False) -> float | None:
    from dockyard.cli.tasks._args import seconds

    return seconds(option, value, zero)


def option_port(option: str, value: object) -> int:
    from dockyard.cli.tasks._args import port

    return port(option, value)


def option_names(option: str, value: str | None) -> list[str] | None:
    """`--targets`, `--images`: comma-separated names; naming nothing is an error."""
    from dockyard.cli.tasks._args import names

    return names(option, value)


def validate_image_ref(text: str) -> str:
    from dockyard.core.imageref import validate_ref

    return validate_ref(text)


def invoke_error_line(message: str) -> str:
    """What a parse error of Invoke's becomes on dockyard's command line."""
    from dockyard.cli.tasks._program import error_line

    return error_line(message)
