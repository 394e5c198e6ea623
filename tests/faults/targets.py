"""The adapter between the property tests (test_properties.py) and dockyard's parsing layer.

test_properties.py imports dockyard ONLY through this module, so when src/dockyard is reorganised
(core/, cli/, deploy/, ...) this file is the one to update: map each name below to its new home.
Everything here is today's import path plus the smallest glue to give every target one call shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# the error types the properties expect (re-exported: tests see them as targets.ConfigError, ...)
from dockyard.errors import ConfigError, DockyardError  # noqa: F401

# --------------------------------------------------------------------------- settings


def load_config_file(pyproject: Path) -> Any:
    """pyproject.toml -> its [tool.dockyard] table (what every task starts from)."""
    from dockyard.project import load_config

    return load_config(pyproject)


def load_settings(root: Path, config: dict[str, Any]) -> None:
    """Load and check every `[tool.dockyard.*]` setting of a project whose [tool.dockyard] is `config`.

    Today each feature loads its own table when a task needs it; this runs every loader there is,
    in the order a task would, without the engine or the environment.
    """
    from dockyard import caprover, stack
    from dockyard.checks.config import load_settings as checks_settings
    from dockyard.lint.config import DEFAULTS as LINT_DEFAULTS
    from dockyard.lint.config import lint_options
    from dockyard.project import Project
    from dockyard.troubleshoot import container, size

    project = Project(root=root, config=config)
    for key in ("bake_file", "dockerfile", "compose_file"):
        project.path(key)
    caprover.load_settings(project, env={})
    lint_options(project.section("lint", LINT_DEFAULTS))
    checks_settings(project)
    stack.stack_settings(project)
    project.get("test.runtime_group", "production")
    project.section("prune", {"keep_tags": ["latest"]})
    project.section("troubleshoot", {**container.DEFAULTS, **size.DEFAULTS})


def _settings_schema() -> dict[tuple[str, str], type]:
    """(table, key) -> the type its value must have; table "" is [tool.dockyard] itself.

    Built from today's defaults; `float` means any number (int or float, not bool)."""
    from dockyard import caprover, project, stack
    from dockyard.checks.config import GLOBAL_DEFAULTS
    from dockyard.lint.config import DEFAULTS as LINT_DEFAULTS
    from dockyard.troubleshoot import container, size

    def kind(value: Any) -> type:
        if isinstance(value, bool):
            return bool
        if isinstance(value, int | float):
            return float
        return type(value)

    schema: dict[tuple[str, str], type] = {}
    for key, value in project.DEFAULTS.items():
        schema[("", key)] = kind(value)
    for key, value in caprover.DEFAULTS.items():
        schema[("caprover", key)] = kind(value)
    for key, value in LINT_DEFAULTS.items():
        schema[("lint", key)] = kind(value)
    for key, value in GLOBAL_DEFAULTS.items():
        schema[("checks", key)] = str if value is None else kind(value)
    for key, value in {**stack.DEFAULTS, "runtime_group": "production"}.items():
        schema[("test", key)] = kind(value)
    schema[("prune", "keep_tags")] = list
    for key, value in {**container.DEFAULTS, **size.DEFAULTS}.items():
        schema[("troubleshoot", key)] = kind(value)
    return schema


SETTINGS_SCHEMA = _settings_schema()

# --------------------------------------------------------------------------- image references and tags


def parse_image_ref(text: str) -> Any:
    """An image reference split into repository, tag and digest."""
    from dockyard.lint.imageref import parse_ref

    return parse_ref(text)


def tag_of_image(text: str) -> str:
    from dockyard.deploy import tag_of

    return tag_of(text)


def repository_of_image(text: str) -> str:
    from dockyard.prune import repository_of

    return repository_of(text)


def validate_tag(text: str) -> str:
    from dockyard.deploy import validate_tag as check

    return check(text)


# --------------------------------------------------------------------------- command-line values


def parse_keep_storage(text: str) -> int:
    from dockyard.prune import parse_keep_storage as parse

    return parse(text)


def parse_duration(text: str) -> float:
    from dockyard.prune import parse_duration as parse

    return parse(text)


def parse_filters(values: list[str]) -> dict[str, str]:
    from dockyard.prune import parse_filters as parse

    return parse(values)


def normalize_caprover_url(text: str) -> str:
    from dockyard.caprover import normalize_url

    return normalize_url(text)


def safe_url(text: str) -> str:
    from dockyard.caprover import safe_url as safe

    return safe(text)


# --------------------------------------------------------------------------- the deploy history


def read_history(path: Path) -> Any:
    """The history file -> an object with `.entries` (oldest first) and `.warnings()`."""
    from dockyard.history import read

    return read(path)


def append_history(path: Path, fields: dict[str, str]) -> None:
    """Append one entry made of `fields` (time, service, image, sha, result, ...)."""
    from dockyard.history import Entry, append

    append(path, Entry(**fields))


def history_results() -> tuple[str, ...]:
    from dockyard.history import RESULTS

    return RESULTS


# --------------------------------------------------------------------------- rendering untrusted text


def render_note(text: str) -> str:
    """What a task's `note: ...` remark prints for `text` (captured, not shown)."""
    from dockyard.console import progress_console
    from dockyard.tasks._output import note

    with progress_console.capture() as captured:
        note(text)
    return captured.get()

