"""How much of a build an empty local build cache gets from the registry (CI-scale builds).

    python bench/registry_cache.py [--target web]

A CI runner starts with no build cache. This measures what `build.* --cache-from-registry` gives
it, on the shared engine, without pruning anyone's cache:

1. a base image unique to this run (the site's base image plus one small layer: BuildKit keys a
   base image by its layers, so every cache key of the build below is new) makes the build miss
   the local cache everywhere;
2. cold: the target is built from it, its cache written inline (`cache-to=type=inline`), pushed;
3. exactly the build-cache records that appeared during that build (the build lock held: no
   other build ran meanwhile) are removed, and the image: for these steps the local cache is empty;
4. warm from the registry: the same build with `cache-from=type=registry,ref=<pushed image>`.

Prints the steps cached and the seconds of both builds, then removes everything it made
(its records, images, the registry repository). Needs the loopback registry.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dockyard.build.base_images import choose_base_image  # noqa: E402
from dockyard.build.runner import BuildRequest, run_build  # noqa: E402
from dockyard.core.project import find_project  # noqa: E402
from dockyard.deploy.registry import registry_from_settings  # noqa: E402
from dockyard.docker import buildx, images  # noqa: E402
from dockyard.docker.git import archive  # noqa: E402
from dockyard.docker.lock import exclusive_build  # noqa: E402


def record_ids() -> set[str]:
    return {str(r.get("ID")) for r in buildx.cache_records()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="web")
    target = parser.parse_args().target
    project = find_project(ROOT)
    run = uuid.uuid4().hex[:8]
    namespace = f"dockyard-bench-{run}"
    registry = registry_from_settings(project.settings.registry)
    registry.ping()
    settings = project.settings
    base = choose_base_image(settings.base_image, settings.local_base_image)
    nonce_base = f"dockyard-bench/cache-base:{run}"
    variables = {"BASE_IMAGE": nonce_base, "REGISTRY": f"{registry.host}/{namespace}", "TAG": run}
    made: set[str] = set()
    context = Path(tempfile.mkdtemp(prefix="dockyard-cache-bench-"))
    pushed = ""
    try:
        archive(project.root, "HEAD", context)  # the committed files: what CI would check out
        with exclusive_build():
            # a layer of its own: BuildKit keys a base image by its layers, not its config
            buildx.build_from_stdin(f"FROM {base}\nRUN echo {run} > /etc/dockyard-bench-run\n", nonce_base)
            before = record_ids()
            start = time.monotonic()
            cold = run_build(project, BuildRequest([target], context_root=context, variables=variables,
                                                   cache_from={target: ""}))
            cold_s = time.monotonic() - start
            made |= record_ids() - before
        (built,) = cold.targets
        pushed = built.tag
        for _ in images.push_progress(pushed):
            pass
        images.remove_image(pushed)
        buildx.prune_records(sorted(made))
        with exclusive_build():
            before = record_ids()
            start = time.monotonic()
            warm = run_build(project, BuildRequest([target], context_root=context, variables=variables,
                                                   cache_from={target: pushed}))
            warm_s = time.monotonic() - start
            made |= record_ids() - before
        (again,) = warm.targets
        print(json.dumps({
            "target": target,
            "cold": {"seconds": round(cold_s, 1), "cached": built.cached_steps, "steps": built.total_steps},
            "from_registry": {"seconds": round(warm_s, 1), "cached": again.cached_steps, "steps": again.total_steps},
        }, indent=1))
        print(f"{target}: cold {cold_s:.1f} s ({built.cached_steps}/{built.total_steps} cached); "
              f"empty local cache + registry {warm_s:.1f} s ({again.cached_steps}/{again.total_steps} cached)")
        return 0
    finally:
        for ref in (pushed, nonce_base):
            if ref:
                try:
                    images.remove_image(ref)
                except images.ImageError:
                    pass
        buildx.prune_records(sorted(made))
        if pushed:
            path, _ = registry.split(pushed)
            for tag in registry.tags(path):
                digest = registry.manifest_digest(path, tag)
                if digest:
                    registry.delete(path, digest)
            storage = Path(os.environ.get("DOCKYARD_REGISTRY_DIR", "/var/lib/dockyard-registry")) / "storage"
            shutil.rmtree(storage / "docker/registry/v2/repositories" / namespace, ignore_errors=True)
        shutil.rmtree(context, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
