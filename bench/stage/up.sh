#!/usr/bin/env bash
# The stage with raw docker commands: swarm, overlay network, postgres, redis, web (2 replicas,
# dnsrr, start-first, health-gated, automatic rollback), celery-unified (1 replica, stop-first)
# and the nginx proxy: as a Swarm service published in host mode (binds every address: use it on
# 127.0.0.1 only) and, the same image, as a plain container on the attachable overlay network
# published on 127.0.0.1 only. Both ports go to $STATE/ports.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$STATE/tags.env"
random_port() { python3 -c 'import random; print(random.randint(20000, 60000))'; }
PORT=${PORT:-$(random_port)}
LOOPBACK_PORT=${LOOPBACK_PORT:-$(random_port)}
echo "$PORT,$LOOPBACK_PORT" >"$STATE/ports"
PW=stage-only-not-a-secret
SITE_ENV=(--env "DATABASE_URL=postgres://refsite:$PW@$P-postgres:5432/refsite"
          --env "CELERY_BROKER_URL=redis://$P-redis:6379/0"
          --env "DJANGO_SECRET_KEY=stage-only-not-a-secret" --env "DJANGO_ALLOWED_HOSTS=*" --env "DJANGO_DEBUG=0")
wait_replicas() { # service, wanted "n/n"
  until [ "$(docker service ls --filter "name=$1" --format '{{.Replicas}}')" = "$2" ]; do sleep 1; done
}
t0=$(date +%s)
[ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = active ] || docker swarm init --advertise-addr 127.0.0.1 >/dev/null
docker network create --driver overlay --attachable --label "$LABEL" "$NET" >/dev/null
# Infrastructure images exist only locally: --no-resolve-image keeps the CLI from asking a registry.
docker service create -q --detach --name $P-postgres --label "$LABEL" --network "$NET" --endpoint-mode dnsrr \
  --no-resolve-image --env POSTGRES_USER=refsite --env POSTGRES_PASSWORD=$PW --env POSTGRES_DB=refsite \
  dockyard-local/postgres:15 >/dev/null
docker service create -q --detach --name $P-redis --label "$LABEL" --network "$NET" --endpoint-mode dnsrr \
  --no-resolve-image dockyard-local/redis:7 \
  redis-server --bind 0.0.0.0 --protected-mode no --save "" --appendonly no >/dev/null
# A service name resolves only once a task is healthy: wait, or web's migrate fails on DNS.
wait_replicas $P-postgres 1/1
wait_replicas $P-redis 1/1
WEB_FLAGS=(--network "$NET" --endpoint-mode dnsrr
  --update-order start-first --update-parallelism 1 --update-delay 0s
  --update-failure-action rollback --update-max-failure-ratio 0 --update-monitor "${MONITOR:-15s}"
  --rollback-order start-first --rollback-parallelism 1 --rollback-delay 0s
  --rollback-failure-action pause --rollback-max-failure-ratio 0 --rollback-monitor "${MONITOR:-15s}"
  --health-start-period 30s --health-start-interval 1s --health-interval 5s --health-timeout 3s --health-retries 3
  --stop-grace-period 20s)
# One replica first, so that a single task applies the migrations; then two.
docker service create -q --detach --name $P-web --label "$LABEL" "${WEB_FLAGS[@]}" "${SITE_ENV[@]}" \
  --env DJANGO_MIGRATE=1 --replicas 1 "$REGISTRY/$NS/refsite-web:$A" >/dev/null
wait_replicas $P-web 1/1
docker service scale -d $P-web=2 >/dev/null
docker service create -q --detach --name $P-celery --label "$LABEL" --network "$NET" --replicas 1 \
  --update-order stop-first --update-failure-action rollback --update-monitor 15s --rollback-order stop-first \
  --health-start-period 60s --health-start-interval 1s --health-interval 30s --health-timeout 15s --health-retries 3 \
  --stop-grace-period 30s "${SITE_ENV[@]}" --env DJANGO_MIGRATE=0 "$REGISTRY/$NS/refsite-celery:$A" >/dev/null
docker service create -q --detach --name $P-proxy --label "$LABEL" --network "$NET" --no-resolve-image \
  --publish "mode=host,target=80,published=$PORT" --env "PROXY_UPSTREAM=$P-web:80" "$PROXY_IMAGE" >/dev/null
docker run -d -q --name $P-proxy-loopback --label "$LABEL" --network "$NET" -p "127.0.0.1:$LOOPBACK_PORT:80" \
  --env "PROXY_UPSTREAM=$P-web:80" "$PROXY_IMAGE" >/dev/null
wait_replicas $P-web 2/2
wait_replicas $P-celery 1/1
wait_replicas $P-proxy 1/1
for port in "$PORT" "$LOOPBACK_PORT"; do
  until curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$port/health/"; do sleep 1; done
done
echo "stage up in $(( $(date +%s) - t0 )) s; proxy service on port $PORT, loopback-only proxy on 127.0.0.1:$LOOPBACK_PORT"
