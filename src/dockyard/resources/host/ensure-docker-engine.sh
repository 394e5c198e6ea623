#!/usr/bin/env bash
# Make sure a Docker Engine with buildx and compose v2 answers on this machine.
# Idempotent: on a machine where `docker info` already works it changes nothing.
# Otherwise (Debian 12 without an engine) it installs Debian 13's docker.io,
# docker-buildx and docker-compose, pinned low so nothing else comes from trixie,
# and starts dockerd in the background.
set -euo pipefail

log() { printf 'engine: %s\n' "$*" >&2; }
engine_answers() { docker info >/dev/null 2>&1; }
plugins_present() { docker buildx version >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; }

if engine_answers && plugins_present; then
  log "Docker Engine already answers; nothing to do"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  log "no working Docker Engine and not root: install Docker (with buildx and compose) yourself, then rerun"
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1 || ! plugins_present; then
  sources=/etc/apt/sources.list.d/debian.sources
  [ -r "$sources" ] || { log "cannot read $sources to find the Debian mirror"; exit 1; }
  mirror=$(awk '/^URIs:/ {print $2; exit}' "$sources")
  [ -n "$mirror" ] || { log "no URIs: line in $sources"; exit 1; }
  cat >/etc/apt/sources.list.d/dockyard-trixie.sources <<SRC
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat >/etc/apt/preferences.d/dockyard-trixie <<PIN
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
  log "installing docker.io, docker-buildx, docker-compose from trixie (pinned low)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -t trixie docker.io docker-buildx docker-compose >/dev/null
fi

if ! engine_answers; then
  log_file=${DOCKYARD_DOCKERD_LOG:-/var/log/dockyard-dockerd.log}
  log "starting dockerd (log: $log_file)"
  # Supervised: the engine comes back by itself if it dies (BuildKit in Engine 26.1
  # can panic when concurrent builds share steps); a clean stop ends the loop.
  nohup sh -c '
    restarts=0
    while [ "$restarts" -lt 5 ]; do
      dockerd --host unix:///var/run/docker.sock && break
      restarts=$((restarts + 1))
      echo "dockyard: dockerd exited abnormally; restart $restarts of 5" >&2
      rm -f /var/run/docker.pid
      sleep 1
    done' >>"$log_file" 2>&1 &
  for _ in $(seq 1 60); do
    engine_answers && break
    sleep 1
  done
  engine_answers || { log "dockerd did not answer within 60 s; see $log_file"; exit 1; }
fi
log "Docker Engine $(docker version --format '{{.Server.Version}}') with buildx $(docker buildx version | awk '{print $2}') and compose $(docker compose version --short)"
