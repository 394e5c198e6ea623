"""docs/adopting.md, step 5, on each sample: build.essential, nox -s images, test.compose and
troubleshoot.beat (on the stack's healthy worker, and on the same image started without beat)."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
from support.adoption import Adopted, explain

from dockyard.docker.containers import logs_text, remove_quietly
from dockyard.runtime.celery_logs import worker_ready

# What each sample's checks may rightly skip; everything else must pass.
EXPECTED_SKIPS = {
    "ledger": {
        # no package.json: no node_modules to check
        *{(t, "node_modules") for t in ("web", "celery-unified", "celery-worker", "celery-beat")},
        # command probes (celery inspect ping, the schedule file's age): no port to listen on
        *{(t, "probe_fits") for t in ("celery-unified", "celery-worker", "celery-beat")},
    },
    "kanban": {(t, "probe_fits") for t in ("celery-unified", "celery-worker", "celery-beat")},
}
WORKER = {"ledger": "worker", "kanban": "tasks"}  # the worker+beat service of each compose file


@pytest.fixture(scope="module")
def built(adopted: Adopted) -> tuple:
    """`invoke build.essential` twice: the first build (cold on a fresh machine), then warm."""
    first = adopted.run("invoke", "build.essential", timing="invoke build.essential (first)")
    second = adopted.run("invoke", "build.essential", timing="invoke build.essential (again)")
    return first, second


def test_build_essential(adopted: Adopted, built: tuple) -> None:
    first, second = built
    assert first.returncode == 0, explain(first)
    assert second.returncode == 0, explain(second)
    base = {"ledger": "dockyard-local/python:3.13-trixie", "kanban": "dockyard-local/python:3.11-bookworm"}
    assert f"(base {base[adopted.name]})" in second.stdout  # the stand-in for the Dockerfile's BASE_IMAGE
    assert "100%)" in second.stdout.split("all steps:")[-1]  # nothing changed: every step cached


def test_nox_images_every_check_passes_or_is_rightly_skipped(adopted: Adopted, built: tuple) -> None:
    proc = adopted.run("nox", "-s", "images", timing="nox -s images", timeout=1200)
    report = json.loads((adopted.root / ".dockyard" / "reports" / "images.json").read_text())
    not_passed = [
        f"{r['target']} {r['name']} {r['status']}: {r['measured']} | {r['detail']}"
        for r in report["results"]
        if r["status"] != "pass"
    ]
    assert proc.returncode == 0, explain(proc) + "\n" + "\n".join(not_passed)
    assert report["passed"] and report["error"] is None
    assert report["targets"] == ["web", "celery-unified", "flower", "celery-worker", "celery-beat", "test"]
    results = {(r["target"], r["name"]): r for r in report["results"]}
    skipped = {key for key, r in results.items() if r["status"] == "skip"}
    assert skipped == EXPECTED_SKIPS[adopted.name]
    assert all(results[key]["detail"].startswith("skipped: ") for key in skipped)
    assert all(r["status"] == "pass" for key, r in results.items() if key not in skipped)
    # each Celery image was judged by what it runs
    assert results[("celery-unified", "celery_starts")]["measured"].startswith("ping answered, beat started")
    assert results[("celery-worker", "celery_starts")]["measured"] == "ping answered"
    assert results[("celery-beat", "celery_starts")]["measured"].startswith("beat started")
    junit = (adopted.root / ".dockyard" / "reports" / "images-junit.xml").read_text()
    assert f'skipped="{len(skipped)}"' in junit


def test_compose_passes(adopted: Adopted, built: tuple) -> None:
    proc = adopted.run("invoke", "test.compose", "--json", timing="invoke test.compose")
    assert proc.returncode == 0, explain(proc)
    report = json.loads(proc.stdout)
    steps = {s["name"]: s for s in report["steps"]}
    assert all(s["status"] == "pass" for s in steps.values()), steps
    path = {"ledger": "GET /healthz", "kanban": "GET /status/ready/"}[adopted.name]
    assert path in steps
    result = {"ledger": "= 42 via the broker", "kanban": '= "ship-it-now" via the broker'}[adopted.name]
    assert result in steps["task round trip"]["detail"]
    proof = {"ledger": "new billing.Tick row", "kanban": "kanban pulse from "}[adopted.name]
    assert proof in steps["beat heartbeat"]["detail"]


@pytest.fixture(scope="module")
def kept_stack(adopted: Adopted, built: tuple, docker_client) -> Iterator[dict]:
    """The compose stack left running (`test.compose --keep`), and the same worker image started
    beside it without --beat; both taken down afterwards."""
    proc = adopted.run("invoke", "test.compose", "--keep", "--no-beat", "--json")
    report = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    nobeat = None
    try:
        assert proc.returncode == 0, explain(proc)
        found = docker_client.containers.list(
            filters={
                "label": [
                    f"com.docker.compose.project={report['stack']}",
                    f"com.docker.compose.service={WORKER[adopted.name]}",
                ]
            }
        )
        assert len(found) == 1
        worker = found[0]
        config = worker.attrs["Config"]
        network = next(iter(worker.attrs["NetworkSettings"]["Networks"]))
        nobeat = docker_client.containers.run(
            config["Image"],
            command=[arg for arg in config["Cmd"] if arg not in ("--beat", "-B")],
            environment=config["Env"],
            network=network,
            name=f"adoption-nobeat-{adopted.name}-{uuid.uuid4().hex[:6]}",
            labels={"dockyard.run": f"adoption-{uuid.uuid4().hex[:8]}"},
            detach=True,
        )
        deadline = time.monotonic() + 90
        while worker_ready(logs_text(nobeat)) is None and time.monotonic() < deadline:
            time.sleep(1)
        yield {"healthy": worker.name, "nobeat": nobeat.name}
    finally:
        if nobeat is not None:
            remove_quietly(nobeat)
        if report.get("down_command"):
            subprocess.run(shlex.split(report["down_command"]), capture_output=True, timeout=120)


def test_troubleshoot_beat_on_a_healthy_worker(adopted: Adopted, kept_stack: dict) -> None:
    proc = adopted.run(
        "invoke", "troubleshoot.beat", kept_stack["healthy"], "--json", timing="invoke troubleshoot.beat (healthy)"
    )
    assert proc.returncode == 0, explain(proc)
    report = json.loads(proc.stdout)
    assert report["running"] and report["verdict"] == "running"
    assert report["beat_process"] is True and report["beat_requested"] is True
    assert report["start"]["mode"] == "embedded"
    assert report["schedule"]["kind"] == "file" and report["schedule"]["age_seconds"] is not None


def test_troubleshoot_beat_on_a_worker_started_without_beat(adopted: Adopted, kept_stack: dict) -> None:
    name = kept_stack["nobeat"]
    proc = adopted.run("invoke", "troubleshoot.beat", name, "--wait", "30", timing="invoke troubleshoot.beat (no beat)")
    assert proc.returncode == 1, explain(proc)
    assert "NOT RUNNING" in proc.stdout
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: beat is not running in {name}: the worker was started without --beat, so no scheduler runs in it"
    )
    assert "Traceback" not in proc.stderr
