"""`invoke push` end to end: a local image tagged with a SHA goes to the loopback registry under a
namespace, its digest is the one the registry's manifest HEAD gives; a stale `latest` is refused."""

from __future__ import annotations

import json
import subprocess
import uuid

from support.dockyard_cli import clean_env, invoke, write_project
from support.registry import registry_or_skip, remove_namespace, unique_namespace

from dockyard.docker.client import client


def test_push_sends_the_sha_tag_and_refuses_a_stale_latest(tmp_path):
    namespace = unique_namespace("dockyard-push-test")
    registry = registry_or_skip(namespace)
    run = uuid.uuid4().hex[:10]
    repo = f"dockyard.local/dyt-{run}-web"
    sha = uuid.uuid4().hex[:12]
    project = write_project(
        tmp_path / "site",
        extra="",
        services={"web": {"target": "web", "image": repo, "app": "refsite-web", "role": "web"}},
    )
    with open(project / "pyproject.toml", "a", encoding="utf-8") as config:
        config.write(f'\n[tool.dockyard.registry]\nnamespace = "{namespace}"\ncache_tag = ""\n')
    built = [f"{repo}:{sha}", f"{repo}:latest"]
    try:
        subprocess.run(
            ["flock", "/tmp/dockyard-build.lock", "docker", "buildx", "build", "--quiet", "-t", built[0], "-t",
             built[1], "--label", "org.opencontainers.image.revision=" + "9" * 40, "-f", "-", "."],
            input=f"FROM scratch\nLABEL dockyard.test={run}\n", text=True, check=True, capture_output=True,
            cwd=tmp_path,
        )
        env = clean_env(DOCKYARD_REGISTRY=registry.host)
        proc = invoke(project, "push", "--tag", sha, "--json", env=env)
        assert proc.returncode == 0, proc.stderr
        (pushed,) = json.loads(proc.stdout)["pushed"]
        ref = f"{registry.host}/{namespace}/dyt-{run}-web:{sha}"
        assert (pushed["service"], pushed["ref"]) == ("web", ref)
        assert pushed["digest"] == registry.manifest_digest(f"{namespace}/dyt-{run}-web", sha)

        other = uuid.uuid4().hex[:12]  # no image built with this tag; latest says commit 999...
        stale = invoke(project, "push", "--tag", other, env=env)
        assert stale.returncode == 1
        assert stale.stderr.strip().splitlines()[-1] == (
            f"error: {repo}:{other} is not on this machine: build it with `--tag {other}`, "
            f"or push the current commit's build"
        )
    finally:
        for ref in built:
            try:
                client().images.remove(ref)
            except Exception:  # noqa: BLE001 - cleanup goes on
                pass
        remove_namespace(registry, namespace, [f"dyt-{run}-web"])
