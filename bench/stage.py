"""The stage's zero-downtime figures, repeated, and what a crashed web task costs (docs/stage.md).

    python bench/stage.py [--runs 3] [--crash] [--requests 500]

Uses the running stage (`invoke stage.up`), or brings one up with the current commit's images and
takes it down afterwards. Each run is `invoke test.zero-downtime`'s four steps (deploy, rollback,
two broken images); `--crash` then SIGKILLs one web task under the same request loop and measures
until Swarm runs the full count of tasks again. Prints one line per step and a JSON summary.
Settings come from the project's `[tool.dockyard.stage]` (15 s update monitor by default).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dockyard.build.revision import commit  # noqa: E402
from dockyard.core.project import find_project  # noqa: E402
from dockyard.deploy.registry import registry_from_settings  # noqa: E402
from dockyard.docker import swarm  # noqa: E402
from dockyard.stage import lifecycle, state, zero_downtime  # noqa: E402
from dockyard.stage.load import Load  # noqa: E402
from dockyard.stage.spec import swarm_name  # noqa: E402


def crash(project, port: int, min_requests: int) -> dict:  # noqa: ANN001
    """SIGKILL one web task under load; requests and failures until the service is whole again."""
    settings = project.settings.stage
    web = swarm_name(settings, "web")
    load = Load(port, settings.probe_path).start()
    time.sleep(2)
    killed_at = time.monotonic()
    swarm.task_containers(web)[0].kill()
    back = None
    while time.monotonic() - killed_at < settings.max_seconds:
        running = sum(t["state"] == "running" for t in swarm.running_tasks(web))
        if back is None and time.monotonic() - killed_at > 1 and running >= settings.web_replicas:
            back = time.monotonic() - killed_at
        if back is not None and time.monotonic() - killed_at > back + 5 and load.count >= min_requests:
            break
        time.sleep(0.25)
    report = load.stop()
    return {"name": "crash: SIGKILL one web task", "back_s": round(back, 1) if back else None, **report.to_dict()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--crash", action="store_true")
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    project = find_project(ROOT)
    registry = registry_from_settings(project.settings.registry)
    brought = state.load(project) is None
    if brought:
        head = commit(project.root)
        lifecycle.up(project, registry, head.short, head.sha, log=lambda m: print(f"stage: {m}", file=sys.stderr))
    summary: dict = {"runs": [], "crash": None}
    try:
        for run in range(1, args.runs + 1):
            report = zero_downtime.run(project, registry, min_requests=args.requests)
            data = report.to_dict()
            summary["runs"].append(data)
            for step in data["steps"]:
                print(f"run {run} {step['name']:24} {step['outcome']:18} requests {step['requests']:5} "
                      f"failed {step['failed']} p50 {step['p50_ms']} ms p99 {step['p99_ms']} ms "
                      f"converge {step['converge_s']} s")
            beat = data["heartbeat"]
            if beat:
                print(f"run {run} heartbeat: {beat['rows']} rows, gaps {beat['min_gap_s']}-{beat['max_gap_s']} s, "
                      f"{beat['doubled']} doubled, {beat['missed']} lost ({beat['lost_at_restart']} in a restart), "
                      f"{beat['late']} late")
        if args.crash:
            summary["crash"] = crash(project, state.load(project).port, args.requests)
            c = summary["crash"]
            print(f"crash: requests {c['requests']} failed {c['failed']} p99 {c['p99_ms']} ms max {c['max_ms']} ms "
                  f"back to {project.settings.stage.web_replicas} tasks in {c['back_s']} s")
    finally:
        if brought:
            lifecycle.down(project)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
