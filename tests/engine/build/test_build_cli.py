"""`invoke build.*` as a user meets it: one clear line and a non-zero exit on expected failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dockyard.build.runner import BuildRequest, run_build

# Steps of each target of deployment/Dockerfile.multistage (FROM not counted): the stages a
# target is built from, COPY --from and RUN --mount=from= included. Change with the Dockerfile.
STEPS = {"web": 23, "celery-unified": 23, "flower": 18, "test": 16}
ALL_STEPS = 27  # distinct steps of the four together
REPOSITORIES = {
    "web": "dockyard.local/refsite-web",
    "celery-unified": "dockyard.local/refsite-celery",
    "flower": "dockyard.local/refsite-flower",
    "test": "dockyard.local/refsite-test",
}


def run_invoke(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)  # fmt: skip


def test_unknown_target_is_one_line_and_exit_1(project):
    proc = run_invoke("build.targets", "--targets", "nope", cwd=project.root)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: unknown bake target 'nope' (known: celery-beat, celery-unified, celery-worker, essential, "
        "flower, legacy, production, test, web)"
    )
    assert "Traceback" not in proc.stderr + proc.stdout


def test_daemon_down_is_one_line_and_exit_1(project, tmp_path):
    proc = run_invoke("build.web", cwd=project.root, env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"})
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("error: Docker Engine is not reachable at unix://")
    assert "Traceback" not in proc.stderr


def test_missing_bake_file_is_one_line_and_exit_1(project, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.dockyard]\n")
    root = {"DOCKYARD_ROOT": str(tmp_path)}
    listed = run_invoke("-r", str(project.root), "--list", cwd=tmp_path, env=root)
    assert listed.returncode == 0 and "build.targets" in listed.stdout and "build.web" not in listed.stdout
    proc = run_invoke("-r", str(project.root), "build.targets", "--targets", "web", cwd=tmp_path, env=root)
    assert proc.returncode == 1
    missing = tmp_path / "deployment" / "docker-bake.multistage.hcl"
    assert proc.stderr.strip().splitlines()[-1] == f"error: bake file not found: {missing}"


def test_malformed_bake_file_is_one_line_and_exit_1(project, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.dockyard]\n")
    (tmp_path / "deployment").mkdir()
    (tmp_path / "deployment" / "docker-bake.multistage.hcl").write_text('target "web" {\n  tags = [\n')
    proc = run_invoke("-r", str(project.root), "build.web", cwd=tmp_path, env={"DOCKYARD_ROOT": str(tmp_path)})
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: {tmp_path}/deployment/docker-bake.multistage.hcl:3: Missing expression; "
        "Expected the start of an expression, but found the end of the file."
    )
    assert "Traceback" not in proc.stderr


def test_tasks_follow_the_bake_files_targets_and_groups(project, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.dockyard]\nbake_file = "bake.hcl"\n')
    (tmp_path / "bake.hcl").write_text(
        'target "_base" {\n  dockerfile = "Dockerfile"\n}\n'
        'target "api" {\n  inherits = ["_base"]\n  target = "runtime"\n}\n'
        'target "worker" {\n  inherits = ["_base"]\n}\n'
        'group "default" {\n  targets = ["api", "worker"]\n}\n'
    )
    proc = run_invoke("-r", str(project.root), "--list", "build", cwd=tmp_path, env={"DOCKYARD_ROOT": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    listed = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert listed == [".api", ".default", ".targets", ".worker"]  # `--list build` names them relative to build
    assert "Build bake target 'api' (Dockerfile stage runtime)." in proc.stdout
    assert "Build bake group 'default': api, worker." in proc.stdout


def test_build_reports_tags_sizes_and_steps(reference_build, project):
    by_target = {t.target: t for t in reference_build.targets}
    assert set(by_target) == set(STEPS)
    for name, result in by_target.items():
        assert result.size_bytes and result.size_bytes > 50_000_000
        assert result.total_steps == STEPS[name], name
        assert result.tags == [f"{REPOSITORIES[name]}:{reference_build_tag(by_target['web'].tag)}"]
        assert result.seconds is not None and 0 < result.seconds <= reference_build.wall_seconds
    assert reference_build.total_steps == ALL_STEPS
    # built a moment ago: the same bake again comes entirely from the cache
    tag = reference_build_tag(by_target["web"].tag)
    again = run_build(project, BuildRequest(names=["production", "test"], variables={"TAG": tag}))
    assert {t.target: (t.cached_steps, t.total_steps) for t in again.targets} == {n: (s, s) for n, s in STEPS.items()}
    assert (again.cached_steps, again.total_steps) == (ALL_STEPS, ALL_STEPS)


def reference_build_tag(ref: str) -> str:
    tag = ref.rsplit(":", 1)[1]
    assert tag.startswith("pytest-")  # the session's own tag (tests/engine/conftest.py)
    return tag
