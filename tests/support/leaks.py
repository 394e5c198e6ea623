"""What one dockyard run left behind, found by its run id, and runs started so they can be signalled.

    run_id = new_run_id()
    running = start([... "invoke", "test.compose"], env=run_env(run_id, state_dir, tmp))
    wait_for(lambda: leftovers(run_id, tmp).containers, 120, "a container of the run", running)
    running.kill_group()                      # SIGKILL to the process group, as `timeout -s KILL` would
    assert leftovers(run_id, tmp)             # what the killed run left
    ...                                       # the next run, or `invoke prune --stale --yes`
    assert not leftovers(run_id, tmp), leftovers(run_id, tmp).describe()

A run is scoped by DOCKYARD_RUN_ID (dockyard labels everything with `dockyard.run=<id>` and names
its tags `*:images-<id>`, `*:bench-<id>`), its own TMPDIR (temp dirs) and DOCKYARD_STATE_DIR
(run records), so nothing here ever looks at, or removes, what anybody else runs on the engine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

RUN_LABEL = "dockyard.run"


def new_run_id() -> str:
    return f"t{uuid.uuid4().hex[:9]}"


def engine() -> docker.DockerClient:
    return docker.from_env(timeout=120)


@dataclass(frozen=True)
class Leftovers:
    """Containers, networks, volumes, image tags, temp dirs and run records of one run id."""

    containers: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    tempdirs: tuple[str, ...] = ()
    records: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any(getattr(self, f) for f in self.__dataclass_fields__)

    def engine_objects(self) -> tuple[tuple[str, ...], ...]:
        return self.containers, self.networks, self.volumes, self.images

    def describe(self) -> str:
        return "; ".join(f"{f}: {', '.join(getattr(self, f))}" for f in self.__dataclass_fields__ if getattr(self, f))


def run_tags(run_id: str) -> list[str]:
    """Every image tag whose tag part names the run (`:images-<id>`, `:bench-<id>`, `:<id>`...)."""
    return sorted(
        ref
        for image in engine().api.images()
        for ref in image.get("RepoTags") or []
        if run_id in ref.rsplit(":", 1)[-1]
    )


def leftovers(run_id: str, tmp: Path | None = None, state_dir: Path | None = None) -> Leftovers:
    """What the engine and the file system hold of `run_id` (by label, tag, temp-dir name, record name)."""
    api = engine().api
    selector = {"label": f"{RUN_LABEL}={run_id}"}
    containers = tuple(sorted(c["Names"][0].lstrip("/") for c in api.containers(all=True, filters=selector)))
    networks = tuple(sorted(n["Name"] for n in api.networks(filters=selector)))
    volumes = tuple(sorted(v["Name"] for v in api.volumes(filters=selector).get("Volumes") or []))
    tempdirs = tuple(sorted(str(p) for p in tmp.glob(f"dockyard-*-{run_id}-*"))) if tmp else ()
    records = tuple(sorted(str(p) for p in state_dir.glob(f"{run_id}-*.json"))) if state_dir else ()
    return Leftovers(containers, networks, volumes, tuple(run_tags(run_id)), tempdirs, records)


def remove_run(run_id: str) -> None:
    """A test's own clean-up after a failure: everything labelled with or tagged for `run_id`."""
    api = engine().api
    selector = {"label": f"{RUN_LABEL}={run_id}"}
    for c in api.containers(all=True, filters=selector):
        _quietly(api.remove_container, c["Id"], force=True, v=True)
    for n in api.networks(filters=selector):
        _quietly(api.remove_network, n["Id"])
    for v in api.volumes(filters=selector).get("Volumes") or []:
        _quietly(api.remove_volume, v["Name"], force=True)
    for ref in run_tags(run_id):
        _quietly(api.remove_image, ref)


def _quietly(call: Callable, *args: object, **kwargs: object) -> None:
    try:
        call(*args, **kwargs)
    except docker.errors.APIError:
        pass


def run_env(
    run_id: str, state_dir: Path, tmp: Path, base: dict[str, str] | None = None, **extra: str
) -> dict[str, str]:
    """The environment of a scoped run: its run id, state dir and TMPDIR, plain output."""
    env = dict(base if base is not None else os.environ)
    for key in [k for k in env if k.startswith(("PYTEST", "DOCKYARD_RUN_ID"))]:
        env.pop(key)
    env.update(
        {
            "DOCKYARD_RUN_ID": run_id,
            "DOCKYARD_STATE_DIR": str(state_dir),
            "TMPDIR": str(tmp),
            "COLUMNS": "200",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@dataclass
class Running:
    """A process started in its own session and process group, to be signalled as a terminal or CI would."""

    proc: subprocess.Popen
    argv: list[str]
    stdout_path: Path
    stderr_path: Path
    started: float = field(default_factory=time.monotonic)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, signum: int, group: bool) -> None:
        """`group`: the whole process group (Ctrl-C in a terminal, a hang-up); else the leader only (`kill PID`)."""
        if not self.alive():
            return
        if group:
            os.killpg(self.proc.pid, signum)
        else:
            self.proc.send_signal(signum)

    def kill_group(self) -> None:
        """SIGKILL to every process of the group: nothing gets to clean up."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)

    def finish(self, timeout: float) -> tuple[int | None, str, str]:
        """(exit code, stdout, stderr) once it ended; None after `timeout` (the group is killed then)."""
        try:
            code: int | None = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            code = None
        return code, self.stdout_path.read_text(errors="replace"), self.stderr_path.read_text(errors="replace")

    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")


def start(argv: list[str], *, cwd: Path, env: dict[str, str], logs: Path) -> Running:
    """Start `argv` in a new session (its own process group); output goes to files under `logs`."""
    logs.mkdir(parents=True, exist_ok=True)
    stamp = uuid.uuid4().hex[:6]
    out, err = logs / f"{stamp}.out", logs / f"{stamp}.err"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, start_new_session=True
        )
    return Running(proc, argv, out, err)


def wait_for(
    condition: Callable[[], object], timeout: float, what: str, running: Running | None = None, poll: float = 0.2
) -> object:
    """Poll until `condition()` is truthy; fail (with the run's output) after `timeout` or when the run ended."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if running is not None and not running.alive():
            raise AssertionError(f"the run ended before {what} (exit {running.proc.returncode}){_tail(running)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout:g}s{_tail(running)}")
        time.sleep(poll)


def _tail(running: Running | None) -> str:
    return f":\n{running.output()[-3000:]}" if running is not None else ""


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error:")]
