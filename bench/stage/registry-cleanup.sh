#!/usr/bin/env bash
# Delete every manifest of the probe's repositories by digest, then the repositories and their
# unreferenced blobs (a repository itself cannot be deleted through the registry API), and the
# local tags the probe made.
set -euo pipefail
source "$(dirname "$0")/common.sh"
DIR=${DOCKYARD_REGISTRY_DIR:-/var/lib/dockyard-registry}
ACCEPT='application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json'
repos=$(curl -fsS "http://$REGISTRY/v2/_catalog" | python3 -c "
import json, sys
print(' '.join(r for r in json.load(sys.stdin)['repositories'] if r.startswith('$NS/')))")
for repo in $repos; do
  tags=$(curl -fsS "http://$REGISTRY/v2/$repo/tags/list" | python3 -c "
import json, sys
print(' '.join(json.load(sys.stdin)['tags'] or []))")
  for tag in $tags; do
    digest=$(curl -fsSI -H "Accept: $ACCEPT" "http://$REGISTRY/v2/$repo/manifests/$tag" \
      | awk -F': ' 'tolower($1)=="docker-content-digest" {print $2}' | tr -d '\r')
    curl -fsS -o /dev/null -X DELETE "http://$REGISTRY/v2/$repo/manifests/$digest"
  done
done
rm -rf "$DIR/storage/docker/registry/v2/repositories/$NS"
docker-registry garbage-collect "$DIR/config.yml" >/dev/null 2>&1
docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^$REGISTRY/$NS/|^$PROXY_IMAGE\$" | xargs -r docker rmi >/dev/null
curl -fsS "http://$REGISTRY/v2/_catalog"; echo
