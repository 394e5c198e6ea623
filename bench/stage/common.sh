# Shared settings of the stage probe scripts (sourced, not run).
# Everything the probe makes is named dys-* (Swarm services, network, containers), labelled
# org.dockyard.stage-probe=1, and pushed under REGISTRY/dockyard-stage-probe/.
REGISTRY=${DOCKYARD_REGISTRY:-127.0.0.1:5000}
NS=dockyard-stage-probe
P=dys
NET=$P-net
LABEL=org.dockyard.stage-probe=1
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=${STAGE_PROBE_STATE:-$ROOT/.dockyard/stage-probe}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
PROXY_IMAGE=${PROXY_IMAGE:-dockyard-local/nginx:stage-probe}
mkdir -p "$STATE"
