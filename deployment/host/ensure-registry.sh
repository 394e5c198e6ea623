#!/usr/bin/env bash
# Make sure the image registry dockyard pushes to answers.
# Idempotent: when `GET /v2/` on the configured registry already answers it changes nothing.
# Only a loopback registry (127.0.0.0/8, localhost, [::1]) is managed here; any other one is
# the team's own and is left alone. Otherwise (Debian 12, no registry) it installs Debian's
# docker-registry package (distribution 2.8) and starts `docker-registry serve CONFIG` in the
# background with a config written under the state directory.
#
#   DOCKYARD_REGISTRY      host:port of the registry        (default 127.0.0.1:5000)
#   DOCKYARD_REGISTRY_DIR  config, storage and registry.pid of a local one (default /var/lib/dockyard-registry)
#   DOCKYARD_REGISTRY_LOG  its log file                      (default /var/log/dockyard-registry.log)
set -euo pipefail

registry=${DOCKYARD_REGISTRY:-127.0.0.1:5000}
state_dir=${DOCKYARD_REGISTRY_DIR:-/var/lib/dockyard-registry}
log_file=${DOCKYARD_REGISTRY_LOG:-/var/log/dockyard-registry.log}

log() { printf 'registry: %s\n' "$*" >&2; }
registry_answers() { curl -fsS -o /dev/null --max-time 2 "http://$registry/v2/" 2>/dev/null; }

host=${registry%:*}
port=${registry##*:}
if [ "$host" = "$registry" ] || ! [[ "$port" =~ ^[0-9]+$ ]]; then
  log "DOCKYARD_REGISTRY must be host:port, not '$registry'"
  exit 1
fi

if registry_answers; then
  log "$registry already answers; nothing to do"
  exit 0
fi

case "$host" in
  127.*|localhost|"[::1]") ;;
  *)
    log "warning: $registry does not answer; it is not on loopback, so it is not managed here"
    exit 0
    ;;
esac

if ! command -v docker-registry >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    log "docker-registry is not installed and not root: apt-get install docker-registry, then rerun"
    exit 1
  fi
  log "installing Debian's docker-registry"
  # Its maintainer script would start the packaged service (listening on every interface
  # with a config that expects htpasswd files); keep it from starting anything.
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && added_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  install_rc=0
  apt-get install -y -qq --no-install-recommends docker-registry >/dev/null || install_rc=$?
  [ "$added_policy" -eq 0 ] || rm -f "$policy"
  [ "$install_rc" -eq 0 ] || { log "apt-get install docker-registry failed"; exit 1; }
fi

mkdir -p "$state_dir/storage"
config="$state_dir/config.yml"
cat >"$config" <<CONFIG
# Written by dockyard's deployment/host/ensure-registry.sh; rewritten on each start.
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $state_dir/storage
  delete:
    enabled: true
http:
  addr: $registry
  headers:
    X-Content-Type-Options: [nosniff]
CONFIG

log "starting docker-registry on $registry (storage $state_dir/storage, log $log_file)"
# Supervised like dockerd: it comes back if it dies; a clean exit ends the loop. Its own
# session, so `kill -- -$(cat $state_dir/registry.pid)` stops the loop and the registry.
setsid nohup sh -c '
  restarts=0
  while [ "$restarts" -lt 5 ]; do
    docker-registry serve "$1" && break
    restarts=$((restarts + 1))
    echo "dockyard: docker-registry exited abnormally; restart $restarts of 5" >&2
    sleep 1
  done' sh "$config" >>"$log_file" 2>&1 </dev/null &
echo $! >"$state_dir/registry.pid"

for _ in $(seq 1 50); do
  registry_answers && break
  sleep 0.2
done
registry_answers || { log "docker-registry did not answer within 10 s; see $log_file"; exit 1; }
log "$registry answers ($(docker-registry --version 2>/dev/null | awk '{print $3}'))"
