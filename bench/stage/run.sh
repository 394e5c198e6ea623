#!/usr/bin/env bash
# The measured sequence (web starts on A): deploy B, manual rollback (Engine API rollback=previous),
# deploy B again, roll back by deploying A, then the two broken images; one summary line each.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$STATE/tags.env"
WEB=$REGISTRY/$NS/refsite-web
PORTS=${PORTS:-$(cat "$STATE/ports")}
run() { # name, zero_downtime.py arguments
  local name=$1; shift
  "$PYTHON" "$(dirname "$0")/zero_downtime.py" $P-web "$@" --ports "$PORTS" >"$STATE/$name.json"
  python3 - "$STATE/$name.json" "$name" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for port, v in d["by_port"].items():
    print(f"{sys.argv[2]:17} {d['from']}->{d['final_image']} port {port}: requests {v['requests']} failed {v['failed']}"
          f" p50 {v['p50_ms']} ms p99 {v['p99_ms']} ms max {v['max_ms']} ms converge {d['converge_s']} s"
          f" {[s[1] for s in d['update_states']]}")
PY
}
run deploy "$WEB:$B"
run rollback-api ROLLBACK
run deploy-again "$WEB:$B"
run rollback-image "$WEB:$A"
run broken-exit "$WEB:$X" --max-seconds 240
run broken-unhealthy "$WEB:$U" --max-seconds 300
