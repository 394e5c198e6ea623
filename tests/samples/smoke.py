"""Check a sample project's built images against its contract.json, on the Docker Engine.

    python3 tests/samples/smoke.py tests/samples/ledger      # after building essential + test
    python3 tests/samples/smoke.py tests/samples/kanban --keep

Brings the sample's compose test stack up under a project name of its own, checks what
contract.json promises (health answer, uid, Celery log lines, round trip, heartbeat,
node/node_modules), prints one line per check, the time each phase took, and
"N passed, N failed"; then takes the stack down (volumes too) unless --keep.

A stop-gap until dockyard's own tasks read the contract from [tool.dockyard]; it needs
only the standard library and the docker CLI (compose plugin).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

READY = re.compile(r"celery@\S+ ready\.")
BEAT = re.compile(r"beat: Starting\.\.\.")


class Stack:
    def __init__(self, root: Path, contract: dict) -> None:
        self.root = root
        self.contract = contract
        self.name = f"samples-smoke-{contract['name']}-{uuid.uuid4().hex[:6]}"
        self.env = self._image_env()

    def _image_env(self) -> dict[str, str]:
        import os

        compose = self.contract["compose"]
        env = dict(os.environ)
        for service, upstream in compose["upstream_images"].items():
            variable = compose["image_variables"][service]
            if variable not in env and not image_exists(upstream):
                env[variable] = compose["local_stand_ins"][service]
        return env

    def compose(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        argv = ["docker", "compose", "-p", self.name, "-f", self.contract["compose"]["file"], *args]
        return subprocess.run(argv, cwd=self.root, env=self.env, capture_output=True, text=True,
                              check=check, timeout=timeout)

    def exec(self, service: str, *argv: str) -> subprocess.CompletedProcess:
        return self.compose("exec", "-T", service, *argv, check=False, timeout=120)

    def logs(self, service: str) -> str:
        """The container's own output (`docker compose logs` adds terminal control codes)."""
        container = self.compose("ps", "--quiet", service).stdout.strip()
        if not container:
            return ""
        done = subprocess.run(["docker", "logs", container], capture_output=True, text=True, timeout=60)
        return done.stdout + done.stderr


def image_exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


def service_of(contract: dict, role: str) -> str:
    return next(service for service, r in contract["compose"]["roles"].items() if r == role)


def log_messages(text: str, logs: dict) -> list[str]:
    """The message part of each log line: the JSON field, or the whole line for text logs."""
    if logs["kind"] != "json":
        return text.splitlines()
    messages = []
    for line in text.splitlines():
        try:
            messages.append(json.loads(line)[logs["message_field"]])
        except (ValueError, KeyError, TypeError):
            continue
    return messages


def line_shape_ok(text: str, logs: dict) -> bool:
    """Every line carrying Celery's ready text has the sample's own shape."""
    lines = [line for line in text.splitlines() if READY.search(line)]
    if not lines:
        return False
    if logs["kind"] == "json":
        try:
            return all(isinstance(json.loads(line), dict) for line in lines)
        except ValueError:
            return False
    shape = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \S+ \d+ \S+ ")
    return all(shape.match(line) for line in lines)


def wait_for(predicate, timeout: float, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def run(root: Path, keep: bool) -> int:
    contract = json.loads((root / "contract.json").read_text())
    stack = Stack(root, contract)
    web = contract["web"]
    worker = service_of(contract, "worker")
    results: list[tuple[str, bool, str]] = []

    def record(name: str, ok: bool, detail: str) -> None:
        results.append((name, ok, detail))
        print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)

    print(f"stack {stack.name} ({root.name})", flush=True)
    try:
        start = time.monotonic()
        up = stack.compose("up", "--detach", "--wait", "--pull", "never", "--no-build", check=False)
        record("stack healthy", up.returncode == 0,
               f"{time.monotonic() - start:.1f} s to up --wait" if up.returncode == 0 else up.stderr.strip()[-300:])
        if up.returncode != 0:
            return report(results)

        # The web service's own health answer, from the host over loopback.
        address = stack.compose("port", web["service"], str(web["port"])).stdout.strip()
        url = f"http://{address}{web['health_path']}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                status, ctype, body = response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as exc:
            status, ctype, body = exc.code, exc.headers.get("Content-Type", ""), exc.read()
        healthy = web["healthy"]
        expected_body = healthy.get("json", healthy.get("body"))
        got_body = json.loads(body) if "json" in healthy else body.decode()
        record("health answer", status == healthy["status"] and ctype.startswith(healthy["content_type"])
               and got_body == expected_body, f"GET {web['health_path']} -> {status} {ctype} {body[:80]!r}")

        for role in ("web", "worker"):
            service = service_of(contract, role)
            uid = stack.exec(service, "id", "-u").stdout.strip()
            record(f"uid {service}", uid == str(contract["images"]["uid"]), f"id -u = {uid}")

        # Celery's own texts, wherever they stand in the sample's line shape.
        def evidence():
            text = stack.logs(worker)
            messages = log_messages(text, contract["logs"])
            ready = any(READY.search(m) for m in messages)
            beat = any(BEAT.search(m) for m in messages)
            return (text, ready, beat) if ready and beat else None

        found = wait_for(evidence, 60)
        text = found[0] if found else stack.logs(worker)
        record("worker ready + beat started in the log", bool(found), "both seen" if found else text[-300:])
        record("log line shape", line_shape_ok(text, contract["logs"]), f"kind {contract['logs']['kind']}")

        # Round trip through broker, worker and result backend, from the web container.
        trip = contract["round_trip"]
        celery = contract["celery"]
        code = (
            "import importlib, json, sys\n"
            f"app = getattr(importlib.import_module({celery['app']!r}), {celery['instance']!r})\n"
            f"result = app.send_task({trip['task']!r}, args=json.loads(sys.argv[1]), kwargs=json.loads(sys.argv[2]))\n"
            "print(json.dumps(result.get(timeout=30)))\n"
        )
        start = time.monotonic()
        done = stack.exec(web["service"], "python", "-c", code, json.dumps(trip["args"]), json.dumps(trip["kwargs"]))
        got = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-200:]
        record("round trip", done.returncode == 0 and json.loads(got) == trip["expected"],
               f"{trip['task']}{tuple(trip['args'])} = {got} in {time.monotonic() - start:.1f} s")

        # Heartbeat: a row written by the periodic task, or its log line.
        beat = contract["heartbeat"]
        start = time.monotonic()
        if beat["kind"] == "model":
            app_label, model = beat["model"].split(".")
            count_code = (f"from django.apps import apps; "
                          f"print(apps.get_model({app_label!r}, {model!r}).objects.count())")

            def rows():
                out = stack.exec(web["service"], "python", "manage.py", "shell", "-c", count_code).stdout.strip()
                return int(out.splitlines()[-1]) if out.splitlines() and out.splitlines()[-1].isdigit() else 0

            seen = wait_for(rows, 3 * beat["interval_seconds"] + 10, interval=2)
            record("heartbeat", seen > 0, f"{seen} {beat['model']} rows after {time.monotonic() - start:.1f} s")
        else:
            def pulses():
                messages = log_messages(stack.logs(worker), contract["logs"])
                return sum(m.startswith(beat["log_message_prefix"]) for m in messages)

            seen = wait_for(pulses, 3 * beat["interval_seconds"] + 10, interval=2)
            record("heartbeat", seen > 0, f"{seen} '{beat['log_message_prefix']}...' lines after "
                                          f"{time.monotonic() - start:.1f} s")

        # Node: never in the runtime images; node_modules only where npm is used, production only.
        for role in ("web", "worker"):
            service = service_of(contract, role)
            node = stack.exec(service, "sh", "-c", "command -v node nodejs npm esbuild").stdout.strip()
            record(f"no node in {service}", node == "", node or "none found")
        listing = stack.exec(web["service"], "sh", "-c",
                             f"ls -A {contract['node_modules_path'] or '/nonexistent'} 2>/dev/null")
        present = sorted(n for n in listing.stdout.split() if not n.startswith("."))
        if contract["npm"] is None:
            record("node_modules", listing.returncode != 0, "absent" if listing.returncode != 0 else str(present))
        else:
            expected = sorted(contract["npm"]["production_dependencies"])
            record("node_modules", present == expected, f"{present} (production: {expected})")
        return report(results)
    finally:
        if keep:
            print(f"kept: docker compose -p {stack.name} -f {contract['compose']['file']} down -v")
        else:
            stack.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)


def report(results: list[tuple[str, bool, str]]) -> int:
    failed = sum(not ok for _, ok, _ in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sample", type=Path, help="the sample's directory (holding contract.json)")
    parser.add_argument("--keep", action="store_true", help="leave the stack running")
    args = parser.parse_args()
    try:
        return run(args.sample.resolve(), args.keep)
    except (subprocess.SubprocessError, OSError, ValueError, KeyError) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
