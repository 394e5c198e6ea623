"""A failed bake as a BuildFailed: the failing step located in its Dockerfile, the cause, the hint."""

from pathlib import Path

from test_build_progress import FIXTURES, read

from dockyard.build.failure import BuildFailed, failed_step, short_error
from dockyard.dockerfile.parser import parse_dockerfile


def test_failed_step_names_target_stage_line_and_cause():
    progress, _ = read("broken.rawjson")
    step = failed_step(progress, {"broken": parse_dockerfile(FIXTURES / "Dockerfile")})
    assert (step.target, step.label, step.stage) == ("broken", "broken 1/1", "broken")
    assert step.dockerfile_line == f"{FIXTURES / 'Dockerfile'}:14"
    assert step.cause == "ERROR: Package 'refsite' requires a different Python: 3.11.2 not in '>=3.12'"
    assert short_error(step.error) == "exit code 1"


def test_the_message_says_where_and_why_and_points_at_the_failed_target():
    progress, _ = read("broken.rawjson")
    step = failed_step(progress, {"broken": parse_dockerfile(FIXTURES / "Dockerfile")})
    error = BuildFailed(["broken"], ".dockyard/logs/bake-1.log", step, progress.failure)
    assert str(error) == (
        'bake of broken failed at [broken 1/1] RUN echo "Collecting refsite"  && echo "ERROR: Package \'refsite\' '
        "requires a d...: ERROR: Package 'refsite' requires a different Python: 3.11.2 not in '>=3.12' "
        "(log: .dockyard/logs/bake-1.log; details: invoke troubleshoot.build broken)"
    )
    assert error.target == "broken" and error.log_path == ".dockyard/logs/bake-1.log"
    noted = error.with_note("[built from git's tracked files only]")
    assert str(noted).endswith("troubleshoot.build broken) [built from git's tracked files only]")
    assert noted.step is step


def test_with_several_targets_the_hint_names_the_one_that_failed():
    progress, _ = read("broken.rawjson")
    step = failed_step(progress, {"broken": parse_dockerfile(FIXTURES / "Dockerfile")})
    error = BuildFailed(["base", "broken"], "x.log", step)
    assert "details: invoke troubleshoot.build broken)" in str(error)


def test_without_a_failed_step_the_message_carries_buildxs_error():
    error = BuildFailed(["web"], "x.log", None, "failed to solve: base image not found")
    assert str(error) == (
        "bake of web failed: failed to solve: base image not found (log: x.log; details: invoke troubleshoot.build web)"
    )


def test_an_unknown_instruction_has_no_line():
    progress, _ = read("app.rawjson")
    assert failed_step(progress, {"runtime": parse_dockerfile(FIXTURES / "Dockerfile")}) is None
    assert Path(FIXTURES / "Dockerfile").is_file()
