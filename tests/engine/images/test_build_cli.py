"""`invoke build.*` as a user meets it: one clear line and a non-zero exit on expected failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

INVOKE = Path(sys.executable).with_name("invoke")


def run_invoke(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(INVOKE), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_unknown_target_is_one_line_and_exit_1(project):
    proc = run_invoke("build.targets", "--targets", "nope", cwd=project.root)
    assert proc.returncode == 1
    assert "error: unknown bake target 'nope' (known: celery-unified, essential, flower" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_daemon_down_is_one_line_and_exit_1(project, tmp_path):
    proc = run_invoke("build.web", cwd=project.root, env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"})
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("error: Docker Engine is not reachable at unix://")
    assert "Traceback" not in proc.stderr


def test_missing_bake_file_is_one_line_and_exit_1(project, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.dockyard]\n")
    proc = run_invoke("-r", str(project.root), "build.web", cwd=tmp_path, env={"DOCKYARD_ROOT": str(tmp_path)})
    assert proc.returncode == 1
    assert f"error: bake file not found: {tmp_path}/deployment/docker-bake.multistage.hcl" in proc.stderr


def test_malformed_bake_file_is_one_line_and_exit_1(project, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.dockyard]\n")
    (tmp_path / "deployment").mkdir()
    (tmp_path / "deployment" / "docker-bake.multistage.hcl").write_text('target "web" {\n  tags = [\n')
    proc = run_invoke("-r", str(project.root), "build.web", cwd=tmp_path, env={"DOCKYARD_ROOT": str(tmp_path)})
    assert proc.returncode == 1
    assert "buildx cannot read it" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_build_reports_tags_sizes_and_steps(reference_build):
    by_target = {t.target: t for t in reference_build.targets}
    assert set(by_target) == {"web", "celery-unified", "flower", "test"}
    for result in by_target.values():
        assert result.size_bytes and result.size_bytes > 50_000_000
        assert 0 <= result.cached_steps <= result.total_steps
        assert result.total_steps >= 3
    assert by_target["celery-unified"].total_steps >= by_target["web"].total_steps
