"""The reference card's Dockerfile, built beside the project's own with the same bake.

`bench/card/Dockerfile.card` is the card's Dockerfile.multistage as the card writes it, for the
reference site (its header lists every adaptation the site forces, and the one change that is
not the card's: the optional CA secret). The bench builds it from a second export of the tracked
files in which it takes the place of the project's Dockerfile, so the bake file, its targets,
variables and CA secret are the same for both; only the tag differs.

`problems()` says where a Dockerfile strays from what the card prescribes (its verbatim lines,
code before the dependency installs, no cache mounts, `npm ci` then the prune); the unit tests
hold the fixture to it.
"""

from __future__ import annotations

import re
from pathlib import Path

from dockyard.core.errors import ConfigError

CARD_DOCKERFILE = "bench/card/Dockerfile.card"  # relative to the project root

# The card's own lines ("40-Minute Pre-Deployment Checklist", items 1-3), verbatim.
CARD_LINES = {
    "user": (
        "RUN groupadd -r app --gid=1000 && \\\n"
        "    useradd -r -g app --uid=1000 app && \\\n"
        "    mkdir -p /code /data && \\\n"
        "    chown -R app:app /code /data"
    ),
    "web healthcheck": (
        "HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 \\\n"
        "    CMD curl -f http://127.0.0.1:80/health/ || exit 1"
    ),
    "celery healthcheck": (
        "HEALTHCHECK --interval=60s --timeout=15s --start-period=60s --retries=3 \\\n"
        "    CMD celery --app config.celery inspect ping --timeout 10 || exit 1"
    ),
    "prune": "rm -rf node_modules && \\\n    npm ci --omit=dev --prefer-offline --no-audit",
}
CARD_STAGES = ("base", "builder", "runtime-full", "runtime-minimal", "celery-unified", "test")


class CardDockerfileMissing(ConfigError):
    """The project has no card's Dockerfile to compare with."""


def card_dockerfile(root: Path) -> Path | None:
    """The card's Dockerfile of the project at `root`, None when it has none (e.g. a sample)."""
    path = root / CARD_DOCKERFILE
    return path if path.is_file() else None


def install(export_root: Path, project_dockerfile: str, card_text: str) -> Path:
    """Put the card's Dockerfile where the bake file looks for the project's, in an export."""
    if (export_root / ".git").exists():
        raise ConfigError(f"refusing to replace a Dockerfile in {export_root}: it is a git working tree, not an export")
    target = export_root / project_dockerfile
    if not target.is_file():
        raise CardDockerfileMissing(f"{project_dockerfile} is not in the export: the bake file builds nothing else")
    target.write_text(card_text, encoding="utf-8")
    return target


def problems(text: str) -> list[str]:
    """Where `text` strays from the card's way; [] for a faithful card Dockerfile."""
    found = [f"the card's {name} line is missing or changed" for name, line in CARD_LINES.items() if line not in text]
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, flags=re.MULTILINE | re.IGNORECASE)
    if tuple(stages) != CARD_STAGES:
        found.append(f"stages {', '.join(stages)}; the card has {', '.join(CARD_STAGES)}")
    if "type=cache" in text:
        found.append("a cache mount (the card has none)")
    mounts = set(re.findall(r"--mount=(\S+)", text))
    others = sorted(m for m in mounts if m != "type=secret,id=ca-certs,required=false")
    if others:
        found.append(f"mounts other than the optional CA secret: {', '.join(others)}")
    builder = _stage(text, "builder")
    code = builder.find("COPY app/ /code/")
    pip = builder.find("pip install")
    npm_ci = builder.find("npm ci\n")
    prune = builder.find("rm -rf node_modules")
    if code < 0 or pip < 0 or code > pip:
        found.append("the builder does not copy the code before the pip install")
    if npm_ci < 0 or (code >= 0 and npm_ci < code):
        found.append("the builder does not run `npm ci` after copying the code")
    if prune < 0 or npm_ci > prune:
        found.append("the builder does not prune node_modules after `npm ci` and the asset build")
    return found


def _stage(text: str, name: str) -> str:
    match = re.search(rf"^FROM\s+\S+\s+AS\s+{re.escape(name)}\s*$(.*?)(?=^FROM\s|\Z)", text, re.M | re.S | re.I)
    return match.group(1) if match else ""
