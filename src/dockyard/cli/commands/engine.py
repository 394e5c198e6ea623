"""Make sure a Docker Engine with buildx and compose answers on this machine.

Runs the script shipped with dockyard (resources/host/ensure-docker-engine.sh): where `docker info`
already works it changes nothing; on Debian without an engine (as root) it installs Debian 13's
docker.io, docker-buildx and docker-compose, pinned low, and starts dockerd in the background.
"""

from __future__ import annotations

import argparse

NAME = "engine"
HELP = "make sure a Docker Engine answers (install and start one on Debian when none does)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from dockyard.core.errors import EngineUnavailable
    from dockyard.docker.cli import ensure_engine

    code = ensure_engine()
    if code != 0:
        raise EngineUnavailable("no Docker Engine answers and the set-up script could not start one (see above)")
    return 0
