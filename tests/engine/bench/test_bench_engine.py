"""What the bench relies on the Engine for, tried on small local images (no reference build needed).

- without a start interval a HEALTHCHECK turns healthy one interval late (the card's way is slow);
- time to healthy and `docker stats` memory of a running container;
- a one-file edit in an export invalidates only the steps after it (cached/total steps);
- redis + postgres for celery-unified, with a new database per start.
"""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from pathlib import Path

import docker.errors
import pytest

from dockyard.bench import runtime
from dockyard.bench.builds import Builder, cached_percent
from dockyard.bench.edits import Edit
from dockyard.core.project import Project
from dockyard.core.settings import load_settings
from dockyard.docker import containers
from dockyard.docker.client import client
from dockyard.docker.images import remove_tagged

BASE = "dockyard-local/debian:bookworm"
RUN = uuid.uuid4().hex[:8]


def _build(dockerfile: str, tag: str) -> str:
    proc = subprocess.run(
        ["docker", "buildx", "build", "--quiet", "--tag", tag, "-"],
        input=dockerfile,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return tag


@pytest.fixture(scope="module")
def images():
    made: list[str] = []
    try:
        client().images.get(BASE)
    except docker.errors.ImageNotFound:
        pytest.skip(f"{BASE} is missing: run invoke base.bootstrap")

    def make(name: str, dockerfile: str) -> str:
        tag = _build(dockerfile, f"dockyard-test/bench-{name}:{RUN}")
        made.append(tag)
        return tag

    yield make
    for tag in reversed(made):
        with contextlib.suppress(docker.errors.APIError):
            client().images.remove(tag, force=True)


def test_time_to_healthy_start_interval_against_no_start_interval_and_memory(images):
    # Ready after ~1 s. With a 1 s start interval it is healthy soon after; without one, the
    # first probe waits a whole interval (Engine < 27) or the 5 s default start interval (27+).
    ready = 'CMD ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 600"]'
    fast = images(
        "fast",
        f"FROM {BASE}\nHEALTHCHECK --interval=8s --start-period=30s --start-interval=1s "
        f"CMD test -f /tmp/ready\n{ready}\n",
    )
    slow = images(
        "slow",
        f"FROM {BASE}\nHEALTHCHECK --interval=8s --start-period=30s CMD test -f /tmp/ready\n{ready}\n",
    )
    with contextlib.ExitStack() as stack:
        fast_c, fast_s = runtime.seconds_to_healthy(fast, stack, 30, name=containers.unique_name("bench-fast"))
        _slow_c, slow_s = runtime.seconds_to_healthy(slow, stack, 30, name=containers.unique_name("bench-slow"))
        assert fast_s.status == "healthy" and slow_s.status == "healthy"
        assert fast_s.engine_seconds is not None and fast_s.seconds >= fast_s.engine_seconds
        assert slow_s.seconds > fast_s.seconds
        samples = runtime.sample_memory({"fast": fast_c}, rounds=2, interval=0.2)
        assert len(samples.rounds) == 2 and all(r["fast"] > 0 for r in samples.rounds)
        assert "cgroup v" in samples.formula
    for container in (fast_c,):
        with pytest.raises(docker.errors.NotFound):
            client().containers.get(container.id)  # removed with the stack


def test_a_container_that_exits_is_reported_not_timed(images):
    dies = images("dies", f'FROM {BASE}\nHEALTHCHECK --interval=1s CMD true\nCMD ["sh", "-c", "exit 3"]\n')
    with contextlib.ExitStack() as stack:
        _c, startup = runtime.seconds_to_healthy(dies, stack, 20, name=containers.unique_name("bench-dies"))
    assert startup.status == "exited" and startup.seconds is None
    assert "exited with code 3" in startup.reason


def test_median_startup_keeps_only_the_last_container_and_reports_the_median(images):
    ready = 'CMD ["sh", "-c", "sleep 0.5; touch /tmp/ready; exec sleep 600"]'
    fast = images(
        "median",
        f"FROM {BASE}\nHEALTHCHECK --interval=8s --start-period=30s --start-interval=0.5s "
        f"CMD test -f /tmp/ready\n{ready}\n",
    )
    environments = iter([{"N": "1"}, {"N": "2"}, {"N": "3"}])
    with contextlib.ExitStack() as stack:
        kept, figure, starts = runtime.median_startup(
            fast, stack, 30, 3, lambda: next(environments), name_prefix="bench-median"
        )
        assert [s.status for s in starts] == ["healthy"] * 3
        assert figure.seconds == round(sorted(s.seconds for s in starts)[1], 2)
        mine = client().containers.list(all=True, filters={"ancestor": fast})
        assert [c.id for c in mine] == [kept.id]  # the first two were removed once timed
        assert "N=3" in kept.attrs["Config"]["Env"]  # each start had its own environment
    with pytest.raises(docker.errors.NotFound):
        client().containers.get(kept.id)


def _tiny_project(root: Path) -> Project:
    (root / "deploy").mkdir()
    (root / "app").mkdir()
    (root / "app" / "a.py").write_text("A = 1\n")
    (root / "app" / "b.js").write_text("let b = 2;\n")
    (root / "deploy" / "Dockerfile").write_text(
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS base\nFROM base AS app\n"
        "COPY app/b.js /srv/b.js\nRUN cp /srv/b.js /srv/b.min.js\n"
        "COPY app/a.py /srv/a.py\nRUN cp /srv/a.py /srv/a.pyc\nRUN echo done > /srv/done\n"
    )
    (root / "deploy" / "bake.hcl").write_text(
        'variable "TAG" {\n  default = "x"\n}\nvariable "BASE_IMAGE" {\n  default = ""\n}\n'
        'group "essential" {\n  targets = ["web"]\n}\n'
        'target "web" {\n  context = "."\n  dockerfile = "deploy/Dockerfile"\n'
        '  args = { BASE_IMAGE = BASE_IMAGE }\n  tags = ["dockyard-test/bench-tiny:${TAG}"]\n}\n'
    )
    settings = {"bake_file": "deploy/bake.hcl", "dockerfile": "deploy/Dockerfile", "base_image": BASE}
    return Project(root, load_settings(settings))


def test_one_file_edit_rebuilds_only_the_steps_after_it_and_is_undone(tmp_path):
    project = _tiny_project(tmp_path)
    tag = f"bench-{RUN}"
    builder = Builder(project, tmp_path, tag, lambda: contextlib.nullcontext(lambda update: None), lambda m: None)
    try:
        builder.bake(["essential"])
        again = builder.bake(["essential"])
        assert (again.cached_steps, again.total_steps) == (5, 5)
        late = builder.bake_with_edit(["essential"], Edit("python", "app/a.py"), f"bench {RUN} python")
        assert (late.cached_steps, late.total_steps) == (2, 5)  # COPY b.js, RUN cp b kept
        early = builder.bake_with_edit(["essential"], Edit("asset", "app/b.js"), f"bench {RUN} asset")
        assert (early.cached_steps, early.total_steps) == (0, 5)
        assert cached_percent(late.cached_steps, late.total_steps) == 40.0
        assert (tmp_path / "app" / "a.py").read_text() == "A = 1\n"
        assert builder.bake(["essential"]).cached_steps == 5  # back to the cached state
    finally:
        remove_tagged(tag)  # also drops the tag from this process's run record


def test_services_give_each_celery_start_its_own_database():
    for image in ("dockyard-local/redis:7", "dockyard-local/postgres:15"):
        try:
            client().images.get(image)
        except docker.errors.ImageNotFound:
            pytest.skip(f"{image} is missing: run invoke base.bootstrap")
    with contextlib.ExitStack() as stack:
        services = runtime.Services(stack, "dockyard-local/redis:7", "dockyard-local/postgres:15")
        first, second = services.environment(), services.environment()
        assert first["DATABASE_URL"] != second["DATABASE_URL"]
        assert first["CELERY_BROKER_URL"] != second["CELERY_BROKER_URL"]
        code, listing = containers.exec_text(services.postgres, ["psql", "--username", "bench", "-lqt"])
        names = {line.split("|")[0].strip() for line in listing.splitlines()}
        assert code == 0 and {"bench1", "bench2"} <= names
        network = services.network
    assert not client().networks.list(names=[network])
