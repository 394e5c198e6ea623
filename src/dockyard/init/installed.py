"""How dockyard itself was installed, so the noxfile init writes installs it the same way.

PEP 610's direct_url.json (in the installed distribution's metadata) says: an editable or plain
install from a local path, a VCS URL with its commit, or an archive URL; without it dockyard came
from an index.
"""

from __future__ import annotations

import json
from importlib import metadata
from urllib.parse import unquote, urlparse

from dockyard.init.generate.files import InstallSpec


def install_spec(direct_url: str | None, version: str) -> InstallSpec:
    """Pure: the pip arguments for a direct_url.json text (None: from an index)."""
    if not direct_url:
        return InstallSpec((f"dockyard=={version}",), f"from an index, version {version}")
    try:
        data = json.loads(direct_url)
    except json.JSONDecodeError:
        return InstallSpec((f"dockyard=={version}",), f"from an index, version {version} (unreadable direct_url.json)")
    url = str(data.get("url", ""))
    if "vcs_info" in data:
        vcs = data["vcs_info"]
        ref = vcs.get("commit_id") or vcs.get("requested_revision")
        spec = f"{vcs.get('vcs', 'git')}+{url}" + (f"@{ref}" if ref else "")
        subdirectory = data.get("subdirectory")
        if subdirectory:
            spec += f"#subdirectory={subdirectory}"
        return InstallSpec((f"dockyard @ {spec}",), f"from {vcs.get('vcs', 'git')} {url} at {ref or 'HEAD'}")
    if url.startswith("file://"):
        path = unquote(urlparse(url).path)
        if (data.get("dir_info") or {}).get("editable"):
            return InstallSpec(("-e", path), f"editable, from {path}")
        return InstallSpec((path,), f"from the local path {path}")
    if url:
        return InstallSpec((f"dockyard @ {url}",), f"from {url}")
    return InstallSpec((f"dockyard=={version}",), f"from an index, version {version}")


def current_install() -> InstallSpec:
    """The edge: read this interpreter's dockyard distribution metadata."""
    try:
        distribution = metadata.distribution("dockyard")
    except metadata.PackageNotFoundError:
        return InstallSpec(("dockyard",), "not installed as a distribution (running from a source tree)")
    return install_spec(distribution.read_text("direct_url.json"), distribution.version)
