"""`nox -s images` on a build whose `test` target fails: the one error line carries the cause (the
last error line of the failing step) and points at `troubleshoot.build test`, not at the first target."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.git import git

DOCKERFILE = """\
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE} AS base
RUN echo base > /base.txt
FROM base AS runtime-full
USER 1000
CMD ["python3", "-m", "http.server", "8000"]
FROM base AS test
RUN echo "ERROR: Package 'site' requires a different Python: 3.11.2 not in '>=3.12'" >&2 && exit 1
"""
BAKE = """\
variable "BASE_IMAGE" { default = "python:3.11-slim-bookworm" }
variable "TAG" { default = "latest" }
target "_common" {
  context = "."
  dockerfile = "deployment/Dockerfile.multistage"
  args = { BASE_IMAGE = BASE_IMAGE }
}
target "web" {
  inherits = ["_common"]
  target = "runtime-full"
  tags = ["dockyard.local/failed-target-web:${TAG}"]
}
target "test" {
  inherits = ["_common"]
  target = "test"
  tags = ["dockyard.local/failed-target-test:${TAG}"]
}
"""
PYPROJECT = """\
[tool.dockyard.services.web]
target = "web"
role = "web"
[tool.dockyard.services.test]
target = "test"
role = "test"
"""


def test_the_error_points_at_the_target_that_failed(tmp_path: Path):
    (tmp_path / "deployment").mkdir()
    (tmp_path / "deployment" / "Dockerfile.multistage").write_text(DOCKERFILE)
    (tmp_path / "deployment" / "docker-bake.multistage.hcl").write_text(BAKE)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    proc = subprocess.run(
        [sys.executable, "-m", "dockyard.images_run"], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: bake of web, test failed at [test test 1/1] RUN echo"), last
    assert "requires a different Python: 3.11.2 not in '>=3.12'" in last
    assert "details: invoke troubleshoot.build test)" in last
    assert "Traceback" not in proc.stderr
