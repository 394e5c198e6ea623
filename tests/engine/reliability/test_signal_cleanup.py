"""Ctrl-C, SIGTERM and SIGHUP in the middle of a run that has made something (issue 14, defect 3).

Each task is started in its own process group with its own run id, TMPDIR and state dir. As soon
as it has made something (a container for the test tasks; its temp dir for rollback.full, held at
the build lock so that the moment is certain) it gets one signal:

* SIGINT to the whole group (a terminal's Ctrl-C),
* SIGTERM to the leader only (`kill PID`, a CI job's timeout: its children are not told),
* SIGHUP to the whole group (the terminal went away).

Wanted for each: exit 128+N (130, 143, 129) within a bounded time, exactly one `error:` line, no
traceback, and nothing of the run left: containers, networks, volumes, images, temp dirs, record.

The long runs get SIGTERM to the leader only (the case where nothing else is told): the real
`nox -s images`, which must pass it on to its session and wait for its cleanup, and `invoke bench`
(the reference site's build, its containers), once their containers exist.
"""

from __future__ import annotations

import fcntl
import json
import signal
import sys
from pathlib import Path

import pytest
from support.dockyard_cli import write_project
from support.git import git
from support.leaks import error_lines, start, wait_for

REPO_ROOT = Path(__file__).resolve().parents[3]
INVOKE = [sys.executable, "-m", "invoke", "--search-root", str(REPO_ROOT)]
NOX = str(Path(sys.executable).with_name("nox"))
NOX_ENVDIR = Path.home() / ".cache" / "dockyard-tests" / "nox"  # reused between test runs, like a CI cache
SIGNALS = {"SIGINT": (signal.SIGINT, True), "SIGTERM": (signal.SIGTERM, False), "SIGHUP": (signal.SIGHUP, True)}
WORDS = {"SIGINT": "error: interrupted (Ctrl-C)", "SIGTERM": "error: interrupted by SIGTERM",
         "SIGHUP": "error: interrupted by SIGHUP"}
CLEANUP_SECONDS = 120  # from the signal to the exit, cleanup included


def _signalled(scope, run_id, running, signame):
    signum, group = SIGNALS[signame]
    running.signal(signum, group)
    code, out, err = running.finish(CLEANUP_SECONDS)
    assert code == 128 + signum, f"exit {code}\n{out[-2000:]}\n{err[-3000:]}"
    assert "Traceback" not in out + err, err[-3000:]
    assert error_lines(out + err) == [WORDS[signame]], err[-3000:]
    assert not scope.leftovers(run_id), scope.leftovers(run_id).describe()


@pytest.mark.parametrize("signame", list(SIGNALS))
@pytest.mark.parametrize("task", ["test.compose", "test.celery", "test.web"])
def test_a_signal_while_containers_run_cleans_up(scope, reference_images, task, signame):
    run_id = scope.new_run()
    args = {
        "test.compose": ["--web-image", reference_images["web"], "--celery-image", reference_images["celery-unified"]],
        "test.celery": ["--image", reference_images["celery-unified"]],
        "test.web": ["--image", reference_images["web"]],
    }[task]
    running = start([*INVOKE, task, *args, "--timeout", "120"], cwd=REPO_ROOT, env=scope.env(run_id), logs=scope.logs)
    wait_for(lambda: scope.leftovers(run_id).containers, 120, f"a container of {task}", running, poll=0.05)
    _signalled(scope, run_id, running, signame)


@pytest.fixture
def old_commit_site(tmp_path):
    """A site whose bake file builds a FROM scratch image, with a commit to roll back to."""
    prefix = f"dockyard-test-sig-{tmp_path.name[-6:].lower()}"
    root = write_project(
        tmp_path / "site",
        services={"web": {"target": "web", "app": "refsite-web", "image": f"127.0.0.1:1/{prefix}/web", "role": "web"}},
    )
    (root / ".gitignore").write_text(".dockyard/\n")
    (root / "deployment").mkdir()
    (root / "deployment" / "docker-bake.multistage.hcl").write_text(
        'variable "TAG" {\n  default = "latest"\n}\n'
        'target "web" {\n  context = "."\n  dockerfile = "deployment/Dockerfile.multistage"\n'
        f'  target = "runtime-full"\n  tags = ["127.0.0.1:1/{prefix}/web:${{TAG}}"]\n}}\n'
    )
    (root / "deployment" / "Dockerfile.multistage").write_text("FROM scratch AS runtime-full\nLABEL v=1\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "v1")
    return root


@pytest.mark.parametrize("signame", list(SIGNALS))
def test_a_signal_during_rollback_full_removes_its_temp_dir(scope, old_commit_site, fake, web_token, signame):
    run_id = scope.new_run()
    lock = scope.root / "build.lock"
    env = scope.env(
        run_id, DOCKYARD_ROOT=str(old_commit_site), DOCKYARD_BUILD_LOCK=str(lock),
        CAPROVER_URL=fake.url, CAPROVER_APP_TOKEN=web_token,
    )
    with open(lock, "a+") as held:  # the rollback waits at the build lock, its export in its temp dir
        fcntl.flock(held, fcntl.LOCK_EX)
        running = start([*INVOKE, "rollback.full", "HEAD", "--yes"], cwd=old_commit_site, env=env, logs=scope.logs)
        wait_for(lambda: scope.leftovers(run_id).tempdirs, 60, "the rollback's temp dir", running, poll=0.05)
        wait_for(lambda: "waiting for it to finish" in running.output(), 60, "the wait at the lock", running)
        _signalled(scope, run_id, running, signame)
    assert fake.requests == []  # nothing was deployed


def test_sigterm_to_nox_reaches_the_images_session_which_cleans_up(scope, site_copy):
    run_id = scope.new_run()
    NOX_ENVDIR.mkdir(parents=True, exist_ok=True)
    argv = [NOX, "--envdir", str(NOX_ENVDIR), "-s", "images", "--", "web", "--json", "out/sig.json"]
    running = start(argv, cwd=site_copy, env=scope.env(run_id), logs=scope.logs)
    wait_for(lambda: len(scope.leftovers(run_id).containers) >= 2, 900, "the checks' containers", running, poll=0.5)
    assert scope.leftovers(run_id).images  # the run's images exist: the cleanup has them to remove
    running.signal(signal.SIGTERM, group=False)  # nox only: the session hears of it from nox
    code, out, err = running.finish(CLEANUP_SECONDS + 30)
    assert code not in (0, None), out[-2000:] + err[-2000:]
    assert "Traceback" not in out + err
    assert error_lines(out + err) == ["error: interrupted by SIGTERM"], out[-2000:] + err[-2000:]
    assert not scope.leftovers(run_id), scope.leftovers(run_id).describe()
    report = json.loads((site_copy / "out" / "sig.json").read_text())
    assert report["passed"] is False and report["error"] == "interrupted by SIGTERM"


def test_sigterm_during_bench_cleans_up(scope, site_copy, tmp_path):
    run_id = scope.new_run()
    argv = [*INVOKE, "bench", "--skip-cold", "--skip-checks", "--out", str(tmp_path / "bench")]
    running = start(argv, cwd=site_copy, env=scope.env(run_id), logs=scope.logs)
    wait_for(lambda: scope.leftovers(run_id).containers, 1500, "a container of the bench", running, poll=0.5)
    assert scope.leftovers(run_id).images
    _signalled(scope, run_id, running, "SIGTERM")
