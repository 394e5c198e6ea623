"""Issue 14 defect 3: Ctrl-C, SIGTERM and SIGHUP in the middle of a run.

Each task is started in its own process group and session, with its own run id. As soon as it has
made something (containers for the test tasks, its temp dir for rollback.full) it gets the signal:

* SIGINT to the whole group (a terminal's Ctrl-C),
* SIGTERM to the process only (`kill PID`, a CI job's timeout),
* SIGHUP to the whole group (the terminal closed).

Wanted, for every signal alike: the run removes everything it made (containers, networks, volumes,
its temp dir) and ends with exactly one `error:` line and the exit code 128+N (130, 143, 129).
Each (task, signal) run happens once; its outcome is judged by two tests, clean-up and message, so
each can pass on its own.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass

import pytest
from faults.harness import (
    EngineObjects,
    Result,
    Sandbox,
    assert_no_traceback,
    assert_one_error_line,
    labels_of,
    remove_images,
)
from support.fake_caprover import FakeCapRover

SIGNALS = {"SIGINT": (signal.SIGINT, True), "SIGTERM": (signal.SIGTERM, False), "SIGHUP": (signal.SIGHUP, True)}
TASKS = ["test.compose", "test.celery", "test.web", "rollback.full"]
RUN_LABEL = "dockyard.run"
NEVER_READY = "dockyard-local/redis:7"


@dataclass
class Outcome:
    result: Result
    leftovers: tuple[EngineObjects, list[str]]
    labels: dict[str, dict[str, str]]  # what the run had made when it got the signal, with labels
    run_id: str


class Runs:
    """Each (task, signal) once per session; its sandbox is closed (leftovers removed) at the end."""

    def __init__(self, template, tmp_path_factory, images) -> None:  # noqa: ANN001
        self.template, self.tmp_path_factory, self.images = template, tmp_path_factory, images
        self.outcomes: dict[tuple[str, str, str], Outcome] = {}
        self.sandboxes: list[Sandbox] = []

    def get(self, task: str, signame: str, moment: str = "settled") -> Outcome:
        if (task, signame, moment) not in self.outcomes:
            self.outcomes[(task, signame, moment)] = self._run(task, signame, moment)
        return self.outcomes[(task, signame, moment)]

    def _run(self, task: str, signame: str, moment: str) -> Outcome:
        workdir = self.tmp_path_factory.mktemp(f"signal-{task}-{signame}")
        sandbox = Sandbox.create(self.template, workdir, engine=True)
        self.sandboxes.append(sandbox)
        signum, group = SIGNALS[signame]
        if task == "rollback.full":
            return self._rollback_full(sandbox, signum, group)
        # test.web and test.celery run an image that starts but never passes (redis answers no HTTP and
        # logs no worker): the run is surely still going when the signal comes
        args = {
            "test.compose": ["test.compose", "--timeout", "120"],
            "test.celery": ["test.celery", "--timeout", "120", "--image", NEVER_READY],
            "test.web": ["test.web", "--timeout", "120", "--image", NEVER_READY],
        }[task]
        running = sandbox.start_invoke(*args)
        if moment == "early":  # the moment the first container exists: dockyard may be inside a create/start
            sandbox.wait_for(lambda: sandbox.observe().containers, 120, f"{task} to create a container", running,
                             poll=0.05)
        else:  # a container has been running for a moment: dockyard is waiting/polling
            sandbox.wait_for(lambda: any(c.endswith("(running)") for c in sandbox.observe().containers), 120,
                             f"{task} to start a container", running)
            if task == "test.compose":
                sandbox.wait_for(lambda: len(sandbox.observe().containers) >= 4, 60, "the stack's 4 containers",
                                 running)
            time.sleep(1.5)
        labels = labels_of(sandbox.run_id)
        assert running.alive(), f"{task} ended before the signal\n{running.finish(5).describe()}"
        running.signal(signum, group=group)
        result = running.finish(120)
        return Outcome(result, sandbox.leftovers_after(10), labels, sandbox.run_id)

    def _rollback_full(self, sandbox: Sandbox, signum: int, group: bool) -> Outcome:
        registry = f"dockyard-faults-signal-{sandbox.run_id}"
        sandbox.on_close(lambda: remove_images(registry + "/"))
        sha = sandbox.commit("the ref rollback.full rebuilds")
        with FakeCapRover(apps={"refsite-web": "tok-signal"}, delay=60) as fake:
            running = sandbox.start_invoke(
                "rollback.full", sha, "--target", "web", "--yes",
                env={"CAPROVER_URL": fake.url, "CAPROVER_APP_TOKEN": "tok-signal", "REGISTRY": registry},
            )
            sandbox.wait_for(lambda: sandbox.leftovers()[1], 120, "rollback.full's temp dir", running, poll=0.05)
            assert running.alive()
            running.signal(signum, group=group)
            result = running.finish(120)
        return Outcome(result, sandbox.leftovers_after(10), {}, sandbox.run_id)

    def close(self) -> None:
        for sandbox in self.sandboxes:
            sandbox.close()


@pytest.fixture(scope="module")
def runs(project_template, tmp_path_factory, reference_images):  # noqa: ANN001, ANN201
    registry = Runs(project_template, tmp_path_factory, reference_images)
    yield registry
    registry.close()


def param(task: str, signame: str):  # noqa: ANN201
    return pytest.param(task, signame, id=f"{task}-{signame}")


CLEANUP = [param(task, signame) for task in TASKS for signame in SIGNALS]


@pytest.mark.parametrize("task, signame", CLEANUP)
def test_a_signal_leaves_nothing_behind(runs: Runs, task: str, signame: str) -> None:
    outcome = runs.get(task, signame)
    objects, temps = outcome.leftovers
    assert not objects and not temps, (
        f"{task} after {signame} left: containers {sorted(objects.containers)}, networks "
        f"{sorted(objects.networks)}, volumes {sorted(objects.volumes)}, temp entries {temps}\n"
        + outcome.result.describe()
    )


@pytest.mark.parametrize("task", ["test.web", "test.celery"])
def test_an_early_ctrl_c_leaves_nothing_behind(runs: Runs, task: str) -> None:
    """Ctrl-C the moment the first container exists: dockyard may be inside the create or start
    request. run_container lets each request finish before the signal acts, so it holds the
    container and removes it (issue 14, found by this suite)."""
    outcome = runs.get(task, "SIGINT", moment="early")
    objects, temps = outcome.leftovers
    assert not objects and not temps, f"{task} after an early Ctrl-C left {objects} {temps}"


MESSAGE = [param(task, signame) for task in TASKS for signame in SIGNALS]


@pytest.mark.parametrize("task, signame", MESSAGE)
def test_a_signal_ends_the_run_with_one_error_line(runs: Runs, task: str, signame: str) -> None:
    outcome = runs.get(task, signame)
    result = outcome.result
    assert not result.timed_out, result.describe()
    assert_no_traceback(result)
    assert result.code == 128 + SIGNALS[signame][0], result.describe()
    assert_one_error_line(result)


@pytest.mark.parametrize(
    "task",
    ["test.compose", "test.celery", "test.web"],
)
def test_everything_a_run_makes_carries_its_label(runs: Runs, task: str) -> None:
    outcome = runs.get(task, "SIGINT")
    assert outcome.labels, "the run had made nothing when it was interrupted"
    unlabelled = [name for name, labels in outcome.labels.items() if labels.get(RUN_LABEL) != outcome.run_id]
    assert not unlabelled, f"without {RUN_LABEL}={outcome.run_id}: {unlabelled}"
