#!/usr/bin/env bash
# Build the proxy stand-in and push the probe's web/celery images with SHA-like tags:
#   A  the current build (invoke build.essential)     B  the same with a new config (a new digest)
#   X  exits at start (exit 3)                          U  serves, but its HEALTHCHECK always fails
set -euo pipefail
source "$(dirname "$0")/common.sh"
A=$(git -C "$ROOT" rev-parse HEAD)
B=$(printf 'b' | sha1sum | cut -c1-40)
X=$(printf 'exit' | sha1sum | cut -c1-40)
U=$(printf 'unhealthy' | sha1sum | cut -c1-40)
printf 'A=%s\nB=%s\nX=%s\nU=%s\n' "$A" "$B" "$X" "$U" >"$STATE/tags.env"
WEB=$REGISTRY/$NS/refsite-web CELERY=$REGISTRY/$NS/refsite-celery
build() { # tag, Dockerfile text
  local dir; dir=$(mktemp -d); printf '%s\n' "$2" >"$dir/Dockerfile"
  flock /tmp/dockyard-build.lock docker build -q -t "$1" "$dir" >/dev/null; rm -rf "$dir"
}
flock /tmp/dockyard-build.lock docker build -q --build-arg DEBIAN_IMAGE=dockyard-local/debian:bookworm \
  -t "$PROXY_IMAGE" "$ROOT/deployment/local-images/nginx" >/dev/null
docker tag dockyard.local/refsite-web:latest "$WEB:$A"
docker tag dockyard.local/refsite-celery:latest "$CELERY:$A"
build "$WEB:$B" "FROM $WEB:$A
LABEL org.dockyard.stage-probe.version=B"
build "$CELERY:$B" "FROM $CELERY:$A
LABEL org.dockyard.stage-probe.version=B"
build "$WEB:$X" "FROM $WEB:$A
CMD [\"sh\", \"-c\", \"echo 'broken on purpose: exiting at start' >&2; exit 3\"]"
build "$WEB:$U" "FROM $WEB:$A
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --start-interval=1s --retries=3 CMD [\"false\"]"
for t in "$A" "$B" "$X" "$U"; do docker push -q "$WEB:$t" >/dev/null; done
for t in "$A" "$B"; do docker push -q "$CELERY:$t" >/dev/null; done
curl -fsS "http://$REGISTRY/v2/$NS/refsite-web/tags/list"; echo
