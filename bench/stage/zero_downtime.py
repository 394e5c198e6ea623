"""Send a bounded loop of requests through the stage proxy while a Swarm service changes.

    python bench/stage/zero_downtime.py SERVICE ACTION --ports P[,P...] [--min 500] [--max-seconds 300]

ACTION is an image reference (the service update CapRover makes), ROLLBACK (the Engine API's
manual rollback, `docker service update --rollback`) or KILL (SIGKILL one task's container: a
crash). Requests go to 127.0.0.1 only. The loop ends once the update reached a final state
(UpdateStatus completed / rollback_completed / paused / rollback_paused; for KILL: all tasks
running again), --tail seconds passed after that and every port got --min requests; or at
--max-seconds. Prints one JSON object: per port requests, failed, p50/p99/max latency; the time
to converge and the UpdateStatus states seen.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time

import docker

FINAL_STATES = {"completed", "rollback_completed", "paused", "rollback_paused"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service")
    parser.add_argument("action", help="image reference, ROLLBACK or KILL")
    parser.add_argument("--ports", required=True, help="comma-separated proxy ports on 127.0.0.1")
    parser.add_argument("--path", default="/")
    parser.add_argument("--min", type=int, default=500, help="at least this many requests per port")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--tail", type=float, default=5.0, help="keep sending this long after convergence")
    parser.add_argument("--concurrency", type=int, default=2, help="request loops per port")
    parser.add_argument("--pace", type=float, default=0.05, help="pause between two requests of a loop (s)")
    return parser.parse_args()


class Load:
    """Request loops against 127.0.0.1:PORT, one fresh connection per request."""

    def __init__(self, ports: list[int], path: str, concurrency: int, pace: float) -> None:
        self.results: dict[int, list[tuple[float, bool, float, str]]] = {port: [] for port in ports}
        self.path, self.pace = path, pace
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.threads = [
            threading.Thread(target=self.loop, args=(port,), daemon=True) for port in ports for _ in range(concurrency)
        ]

    def loop(self, port: int) -> None:
        while not self.stop.is_set():
            start = time.monotonic()
            ok, detail = False, ""
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
                conn.request("GET", self.path, headers={"Connection": "close"})
                response = conn.getresponse()
                response.read()
                conn.close()
                ok, detail = response.status == 200, str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                detail = f"{type(exc).__name__}: {exc}"
            elapsed_ms = (time.monotonic() - start) * 1000
            with self.lock:
                self.results[port].append((start - self.t0, ok, elapsed_ms, detail))
            time.sleep(self.pace)

    def fewest(self) -> int:
        with self.lock:
            return min(len(r) for r in self.results.values())

    def summary(self) -> dict[int, dict]:
        out = {}
        for port, rows in self.results.items():
            latencies = sorted(ms for _, _, ms, _ in rows)
            failures = [(round(t, 2), detail) for t, ok, _, detail in rows if not ok]
            out[port] = {
                "requests": len(rows),
                "failed": len(failures),
                "first_failures": failures[:8],
                "p50_ms": round(statistics.median(latencies), 1),
                "p99_ms": round(statistics.quantiles(latencies, n=100)[98], 1),
                "max_ms": round(latencies[-1], 1),
            }
        return out


def tag_of(image: str) -> str:
    return image.split("@")[0].rsplit(":", 1)[-1][:12]


def start_action(client: docker.DockerClient, service, action: str) -> None:
    if action == "KILL":
        victim = client.containers.list(filters={"label": f"com.docker.swarm.service.name={service.name}"})[0]
        victim.kill()
    elif action == "ROLLBACK":
        # docker-py has no manual rollback; this is the CLI's request: POST /services/ID/update?rollback=previous
        api = client.api
        response = api._post_json(
            api._url("/services/{0}/update", service.id),
            data=service.attrs["Spec"],
            params={"version": service.version, "rollback": "previous"},
        )
        api._raise_for_status(response)
    else:
        service.update(image=action)


def main() -> None:
    args = parse_args()
    client = docker.from_env()
    load = Load([int(p) for p in args.ports.split(",")], args.path, args.concurrency, args.pace)
    for thread in load.threads:
        thread.start()
    time.sleep(2)  # a baseline before the change

    service = client.services.get(args.service)
    before = service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
    earlier_update = (service.attrs.get("UpdateStatus") or {}).get("StartedAt")
    t_action = time.monotonic()
    start_action(client, service, args.action)

    states: list[tuple[float, str, str]] = []
    converged_at = None
    while time.monotonic() - load.t0 < args.max_seconds:
        service.reload()
        status = service.attrs.get("UpdateStatus") or {}
        if status.get("StartedAt") == earlier_update:
            status = {}  # still the status of an earlier update
        state = status.get("State")
        if state and (not states or states[-1][1] != state):
            states.append((round(time.monotonic() - t_action, 1), state, status.get("Message", "")))
        if converged_at is None:
            if args.action == "KILL":
                running = [t for t in service.tasks({"desired-state": "running"}) if t["Status"]["State"] == "running"]
                if time.monotonic() - t_action > 1 and len(running) == service.attrs["Spec"]["Mode"]["Replicated"][
                    "Replicas"
                ]:
                    converged_at = time.monotonic()
            elif state in FINAL_STATES:
                converged_at = time.monotonic()
        if converged_at and time.monotonic() - converged_at >= args.tail and load.fewest() >= args.min:
            break
        time.sleep(0.25)
    load.stop.set()
    for thread in load.threads:
        thread.join(20)

    service.reload()
    print(json.dumps({
        "service": args.service,
        "action": args.action if args.action in ("ROLLBACK", "KILL") else tag_of(args.action),
        "from": tag_of(before),
        "final_image": tag_of(service.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]),
        "converge_s": round(converged_at - t_action, 1) if converged_at else None,
        "update_states": states,
        "running_tasks": [
            {"image": tag_of(t["Spec"]["ContainerSpec"]["Image"]), "state": t["Status"]["State"]}
            for t in service.tasks({"desired-state": "running"})
        ],
        "by_port": load.summary(),
    }, indent=1))


if __name__ == "__main__":
    main()
