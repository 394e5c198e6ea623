#!/usr/bin/env bash
# One-time (and repeatable) set-up of a machine for dockyard:
#   1. a Docker Engine with buildx and compose that answers (installed and started if missing),
#   2. the image registry on loopback (DOCKYARD_REGISTRY, default 127.0.0.1:5000) when it does
#      not answer (installed and started if missing; a non-loopback registry is left alone),
#   3. a virtualenv in .venv with dockyard and its dev tools,
#   4. the local base images when the upstream ones cannot be pulled.
# Safe to run again: each step reuses what is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -eq 0 ] && ! command -v debootstrap >/dev/null 2>&1; then
  echo "setup: installing debootstrap" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

bash src/dockyard/resources/host/ensure-docker-engine.sh  # shipped in the wheel: `dockyard engine`
bash deployment/host/ensure-registry.sh

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  python3 -m venv .venv
fi
echo "setup: installing dockyard into .venv" >&2
.venv/bin/pip install -q -e '.[dev]'

.venv/bin/invoke base.bootstrap
