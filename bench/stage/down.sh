#!/usr/bin/env bash
# Remove the probe's services, containers and network, then leave the swarm (and remove the
# docker_gwbridge network Swarm created, which `swarm leave` keeps).
set -uo pipefail
source "$(dirname "$0")/common.sh"
docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
for s in proxy celery web redis postgres; do docker service rm $P-$s >/dev/null 2>&1; done
for _ in $(seq 1 60); do
  [ -z "$(docker ps -aq --filter label=com.docker.swarm.service.name --filter "name=$P-")" ] && break
  sleep 1
done
docker network rm "$NET" >/dev/null 2>&1
docker swarm leave --force
if [ "$(docker network inspect docker_gwbridge --format '{{len .Containers}}' 2>/dev/null)" = 0 ]; then
  docker network rm docker_gwbridge >/dev/null
fi
