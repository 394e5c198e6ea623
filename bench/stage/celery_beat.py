"""Deploy celery-unified (worker + embedded beat) to IMAGE and read the heartbeat rows around it.

    python bench/stage/celery_beat.py IMAGE [--order stop-first|start-first] [--before 35] [--after 60]

The reference site's beat sends core.tasks.record_heartbeat every 10 s and each run writes a
Heartbeat row (created_at, hostname of the worker). Rows are read from postgres inside its task
container. A gap well under 10 s between consecutive rows is a run done twice; one over 15 s a
missed run.
"""

from __future__ import annotations

import argparse
import json
import time

import docker

SERVICE, POSTGRES = "dys-celery", "dys-postgres"
QUERY = "select extract(epoch from created_at), hostname from core_heartbeat order by created_at"


def heartbeats(client: docker.DockerClient) -> list[tuple[float, str]]:
    postgres = client.containers.list(filters={"label": f"com.docker.swarm.service.name={POSTGRES}"})[0]
    result = postgres.exec_run(["psql", "-U", "refsite", "-d", "refsite", "-At", "-F", "|", "-c", QUERY],
                               user="postgres")
    rows = []
    for line in result.output.decode().splitlines():
        epoch, host = line.split("|")
        rows.append((float(epoch), host))
    return rows


def wait_final(service) -> list[tuple[float, str]]:
    t0, states = time.time(), []
    while True:
        service.reload()
        state = (service.attrs.get("UpdateStatus") or {}).get("State")
        if state and (not states or states[-1][1] != state):
            states.append((round(time.time() - t0, 1), state))
        if state in ("completed", "rollback_completed", "paused", "rollback_paused"):
            return states
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image")
    parser.add_argument("--order", choices=("stop-first", "start-first"))
    parser.add_argument("--before", type=float, default=35)
    parser.add_argument("--after", type=float, default=60)
    args = parser.parse_args()
    client = docker.from_env()
    service = client.services.get(SERVICE)
    if args.order:
        config = docker.types.UpdateConfig(parallelism=1, order=args.order, failure_action="rollback",
                                           monitor=15_000_000_000)
        service.update(update_config=config)
        time.sleep(5)
    time.sleep(args.before)
    t_update = time.time()
    service.reload()
    service.update(image=args.image)
    states = wait_final(service)
    converge = time.time() - t_update
    time.sleep(args.after)
    rows = [r for r in heartbeats(client) if r[0] >= t_update - args.before]
    gaps = [round(b[0] - a[0], 2) for a, b in zip(rows, rows[1:], strict=False)]
    hosts: list[list] = []
    for _, host in rows:
        if not hosts or hosts[-1][0] != host:
            hosts.append([host, 0])
        hosts[-1][1] += 1
    span = rows[-1][0] - rows[0][0]
    service.reload()
    print(json.dumps({
        "order": service.attrs["Spec"]["UpdateConfig"]["Order"],
        "update_states": states,
        "converge_s": round(converge, 1),
        "heartbeats": len(rows),
        "span_s": round(span, 1),
        "expected_every_10s": int(round(span) // 10) + 1,
        "doubled_lt_7s": sum(g < 7 for g in gaps),
        "missed_gt_15s": sum(g > 15 for g in gaps),
        "max_gap_s": max(gaps),
        "gaps_s": gaps,
        "rows_by_worker": hosts,
        "row_times_rel_update_s": [round(t - t_update, 1) for t, _ in rows],
    }))


if __name__ == "__main__":
    main()
