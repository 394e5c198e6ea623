"""Issue 17: a run killed from outside (SIGKILL to its process group) leaves things behind; the next
run, or `invoke prune --stale --yes`, removes all of them and nothing of a run still going.

Each killed run has its own run id; `live_run` is another run alive all along (a container, a
network, a volume, an image tag and a temp dir of its own), checked after every reaping.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from support.leaks import error_lines, start, wait_for

REPO_ROOT = Path(__file__).resolve().parents[3]
INVOKE = [sys.executable, "-m", "invoke", "--search-root", str(REPO_ROOT)]
NOX = str(Path(sys.executable).with_name("nox"))
NOX_ENVDIR = Path.home() / ".cache" / "dockyard-tests" / "nox"  # reused between test runs, like a CI cache


def invoke_argv(*args: str) -> list[str]:
    return [*INVOKE, *args]


def kill_when(scope, run_id: str, argv: list[str], cwd: Path, made: str, timeout: float, at_least: int = 1):
    """Start the run, wait until the engine holds `at_least` `made` of it, SIGKILL its process group;
    what it left."""
    running = start(argv, cwd=cwd, env=scope.env(run_id), logs=scope.logs)
    wait_for(
        lambda: len(getattr(scope.leftovers(run_id), made)) >= at_least,
        timeout,
        f"{at_least} {made} of run {run_id}",
        running,
        poll=0.5,
    )
    running.kill_group()
    time.sleep(2)  # a request the killed client had sent may still be carried out by the engine
    return scope.leftovers(run_id)


def reaped_counts(text: str, run_id: str) -> dict[str, int]:
    """{"containers": 3, ...} from the `reaped N KIND left by run ID (process gone)` lines."""
    counts = {}
    for line in text.splitlines():
        if line.startswith("reaped ") and f"run {run_id} " in line:
            number, rest = line.removeprefix("reaped ").split(" ", 1)
            counts[rest.split(" left by ")[0]] = int(number)
    return counts


def test_killed_test_compose_is_reaped_by_the_next_run(scope, live_run, reference_images):
    killed = scope.new_run()
    left = kill_when(
        scope,
        killed,
        invoke_argv(
            "test.compose",
            "--web-image",
            reference_images["web"],
            "--celery-image",
            reference_images["celery-unified"],
        ),
        REPO_ROOT,
        "containers",
        180,
    )
    assert left.containers and left.networks and left.records and left.tempdirs, left.describe()

    # the next run of any task that makes something sweeps first
    following = scope.new_run()
    running = start(
        invoke_argv("test.security", "--images", "dockyard-local/debian:bookworm", "--uid", "0"),
        cwd=REPO_ROOT,
        env=scope.env(following),
        logs=scope.logs,
    )
    code, out, err = running.finish(300)
    assert code == 0, out + err
    assert not scope.leftovers(killed), scope.leftovers(killed).describe()
    counts = reaped_counts(err, killed)
    assert counts.get("containers", counts.get("container")) == len(left.containers), err
    assert counts.get("temp dir") == len(left.tempdirs), err
    assert live_run.intact() == []
    assert not scope.leftovers(following)


def test_killed_nox_images_is_reaped_by_prune_stale(scope, live_run, site_copy: Path):
    killed = scope.new_run()
    NOX_ENVDIR.mkdir(parents=True, exist_ok=True)
    argv = [NOX, "--envdir", str(NOX_ENVDIR), "-s", "images", "--", "web", "--json", "out/r.json"]
    left = kill_when(scope, killed, argv, site_copy, "containers", 900, at_least=2)  # the checks have started
    assert left.containers and left.images and left.records, left.describe()
    assert all(ref.endswith(f":images-{killed}") for ref in left.images), left.images

    prune = scope.new_run()
    running = start(invoke_argv("prune", "--stale", "--yes"), cwd=site_copy, env=scope.env(prune), logs=scope.logs)
    code, out, err = running.finish(300)
    assert code == 0, out + err
    assert error_lines(out + err) == []
    assert not scope.leftovers(killed), scope.leftovers(killed).describe()
    counts = reaped_counts(out, killed)
    assert counts.get("image tags", counts.get("image tag")) == len(left.images), out
    assert live_run.intact() == []


def test_killed_bench_is_reaped_by_prune_stale(scope, live_run, site_copy: Path, tmp_path: Path):
    killed = scope.new_run()
    argv = invoke_argv("bench", "--skip-cold", "--skip-checks", "--out", str(tmp_path / "bench"))
    left = kill_when(scope, killed, argv, site_copy, "containers", 1500, at_least=2)
    assert left.containers and left.images and left.records, left.describe()
    # the project's images under bench-<run id>; the card's, the scaled site's, the samples' under bench-<run id>-<what>
    assert all(ref.rsplit(":", 1)[1].startswith(f"bench-{killed}") for ref in left.images), left.images

    prune = scope.new_run()
    dry = start(
        invoke_argv("prune", "--stale", "--dry-run"), cwd=site_copy, env=scope.env(prune), logs=scope.logs
    ).finish(300)
    assert dry[0] == 0 and f"run {killed} (pid " in dry[1], dry[1] + dry[2]
    assert "left alone:" in dry[1] and "of runs still going" in dry[1], dry[1]  # the live run, counted
    assert scope.leftovers(killed).containers == left.containers  # a dry run removes nothing

    running = start(invoke_argv("prune", "--stale", "--yes"), cwd=site_copy, env=scope.env(prune), logs=scope.logs)
    code, out, err = running.finish(300)
    assert code == 0, out + err
    assert not scope.leftovers(killed), scope.leftovers(killed).describe()
    assert live_run.intact() == []
