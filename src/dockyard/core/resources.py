"""The files dockyard ships in its wheel (src/dockyard/resources/), found through importlib.resources.

The local stand-in images' recipes (`local-images/NAME/Dockerfile`) and the host scripts
(`host/ensure-docker-engine.sh`) are package data: a project that installed dockyard with pip
has them, whatever its own tree holds. Nothing here reads the user's project.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from dockyard.core.errors import DockyardError


def resource(*parts: str) -> Path:
    """The path of a shipped file or directory, e.g. resource("local-images", "python")."""
    found = resources.files("dockyard").joinpath("resources", *parts)
    # Installed wheels and editable installs are plain directories; a zipped install is not
    # supported (docker needs a directory to build from).
    if not isinstance(found, Path) or not found.exists():
        raise DockyardError(
            f"dockyard's packaged file resources/{'/'.join(parts)} is missing: reinstall dockyard "
            "(pip install --force-reinstall dockyard)"
        )
    return found
