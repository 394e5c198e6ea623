"""CI-scale builds: a machine whose local build cache has none of the steps builds them all from the
registry (the image carries its cache inline; the build imports it with cache-from).

The shared engine's build cache is never pruned wholesale: the probe's first step writes a value
unique to the test, so every record of that build is new, and exactly those records (the ones
that appeared during the build, with the build lock held so no other build ran meanwhile) are
removed before the second build. That is "an empty local cache" for these steps, and nothing
anyone else built is touched."""

from __future__ import annotations

import uuid

from support.registry import registry_or_skip, remove_namespace, unique_namespace

from dockyard.build.runner import BuildRequest, cache_overrides, run_build
from dockyard.core.project import Project
from dockyard.core.settings import Settings
from dockyard.docker import buildx, images
from dockyard.docker.lock import exclusive_build

DOCKERFILE = """\
FROM dockyard-local/debian:bookworm AS base
ARG NONCE
RUN echo "$NONCE" > /nonce
RUN echo one > /one

FROM base AS probe
COPY hello.txt /hello.txt
RUN cat /nonce /one /hello.txt > /all
"""


def record_ids() -> set[str]:
    return {str(r.get("ID")) for r in buildx.cache_records()}


def test_a_build_missing_every_step_locally_takes_them_all_from_the_registry(tmp_path):
    namespace = unique_namespace("dockyard-cache-test")
    registry = registry_or_skip(namespace)
    ref = f"{registry.host}/{namespace}/probe:cache"
    nonce = uuid.uuid4().hex
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "hello.txt").write_text("hello\n")
    (tmp_path / "bake.hcl").write_text(
        f'target "probe" {{\n  context = "."\n  tags = ["{ref}"]\n  args = {{ NONCE = "{nonce}" }}\n}}\n'
    )
    project = Project(root=tmp_path, settings=Settings(bake_file="bake.hcl"))
    request = BuildRequest(names=["probe"], cache_from={"probe": ref})
    try:
        with exclusive_build():  # no other build adds records between the two listings
            before = record_ids()
            cold = run_build(project, request)  # the cache to import does not exist yet: not an error
            mine = record_ids() - before
        (probe,) = cold.targets
        assert (probe.cached_steps, probe.total_steps) == (0, 4)
        for _ in images.push_progress(ref):
            pass
        images.remove_image(ref)
        buildx.prune_records(sorted(mine))
        assert mine and not (mine & record_ids())

        warm = run_build(project, request)
        (probe,) = warm.targets
        assert (probe.cached_steps, probe.total_steps) == (4, 4)
        log = (tmp_path / ".dockyard" / "logs").glob("bake-*.log")
        assert any("importing cache manifest from " + ref in path.read_text() for path in log)
    finally:
        remove_namespace(registry, namespace, ["probe"])


def test_the_cache_flags_are_the_verified_recipe():
    assert cache_overrides({"web": "127.0.0.1:5000/refsite-web:latest"}) == [
        "web.cache-to=type=inline",
        "web.cache-from=type=registry,ref=127.0.0.1:5000/refsite-web:latest",
    ]
