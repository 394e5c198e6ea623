"""The templates in dockyard/init/templates/ (package data), filled with `{{ name }}` placeholders.

A placeholder alone on its line whose value is empty takes the line with it; a placeholder
without a value, or a value without a placeholder, is a bug in the generator and raises.
"""

from __future__ import annotations

import re
from importlib import resources

_PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")


def template(name: str) -> str:
    return resources.files("dockyard.init").joinpath("templates", name).read_text(encoding="utf-8")


def render(template_name: str, **values: object) -> str:
    text = template(template_name)
    wanted = set(_PLACEHOLDER.findall(text))
    missing, unused = wanted - set(values), set(values) - wanted
    if missing or unused:
        raise AssertionError(f"template {template_name}: missing {sorted(missing)}, unused {sorted(unused)}")
    lines = []
    for line in text.splitlines(keepends=True):
        alone = _PLACEHOLDER.fullmatch(line.strip())
        if alone and str(values[alone.group(1)]) == "":
            continue
        lines.append(_PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), line))
    return "".join(lines)
