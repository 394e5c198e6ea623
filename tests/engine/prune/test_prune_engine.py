"""`invoke prune` against the real builder, scoped so it can only remove what this test created.

Each test builds cache records of its own (`COPY <<EOF /dockyard-prune-<uuid>` on FROM
scratch: no base image, no registry) and prunes with `--filter id=<record id>`, which buildx
turns into BuildKit's `id~=<id>` filter. Before any prune the test checks with
`docker buildx du --filter` that the filter selects exactly its own record, and skips
otherwise. Left behind: the few-hundred-byte "local source for dockerfile/context" records
every build makes (they name no test, so they are not touched)."""

from __future__ import annotations

import json
import subprocess
import uuid

import docker.errors
import pytest
from support.dockyard_cli import clean_env, invoke, write_project

from dockyard.deploy import history
from dockyard.docker.client import client

pytestmark = pytest.mark.engine


def make_record(tmp_path, label: str) -> dict:
    """Build a one-step cache record whose description carries `label`; returns its df entry."""
    context = tmp_path / f"ctx-{label}"
    context.mkdir()
    dockerfile = f"FROM scratch\nCOPY <<EOF /dockyard-prune-{label}\n{label * 40}\nEOF\n"
    subprocess.run(
        ["docker", "buildx", "build", "--output", "type=cacheonly", "-f", "-", str(context)],
        input=dockerfile,
        text=True,
        check=True,
        capture_output=True,
    )
    found = [
        r for r in client().df().get("BuildCache") or [] if label in (r.get("Description") or "")
    ]
    assert len(found) == 1, found
    return found[0]


def rows_selected_by(record_id: str) -> list[str]:
    out = subprocess.run(
        ["docker", "buildx", "du", "--filter", f"id={record_id}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split()[0].rstrip("*") for line in out.splitlines()[1:] if line.strip()]


def present(record_id: str) -> bool:
    return any(r["ID"] == record_id for r in client().df().get("BuildCache") or [])


def scoped(record_id: str) -> None:
    if rows_selected_by(record_id) != [record_id]:
        pytest.skip(
            f"`--filter id={record_id}` does not select exactly one record here: not safe to prune"
        )


@pytest.fixture
def records(tmp_path):
    run = uuid.uuid4().hex[:12]
    made = {name: make_record(tmp_path, f"{run}{name}") for name in ("a", "b")}
    yield made
    for record in made.values():  # leave nothing of ours behind, touch nothing else
        if present(record["ID"]) and rows_selected_by(record["ID"]) == [record["ID"]]:
            subprocess.run(
                ["docker", "buildx", "prune", "--force", "--filter", f"id={record['ID']}"],
                capture_output=True,
            )


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path / "site")


def test_answering_no_removes_nothing(project, records):
    target = records["a"]["ID"]
    scoped(target)
    proc = invoke(
        project, "prune", "--all", "--filter", f"id={target}", stdin="no\n", env=clean_env()
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == "error: not confirmed: nothing removed"
    assert f"will run: docker buildx prune --force --all --filter id={target}" in proc.stdout
    assert "build cache now: " in proc.stdout and " records, " in proc.stdout
    assert present(target) and present(records["b"]["ID"])


def test_yes_prunes_only_the_filtered_record_and_reports_before_and_after(project, records):
    target, bystander = records["a"], records["b"]
    scoped(target["ID"])
    proc = invoke(
        project, "prune", "--yes", "--json", "--filter", f"id={target['ID']}", env=clean_env()
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert not present(target["ID"]) and present(bystander["ID"])
    assert report["command"] == ["docker", "buildx", "prune", "--force", "--filter", f"id={target['ID']}"]
    assert report["reclaimed"] == target["Size"]  # the Engine's own count, to the byte
    assert (
        report["cache_before"]["records"] >= 2 and report["cache_after"] is not None
    )  # ours were measured
    assert report["removed_images"] == []


def test_human_report(project, records):
    target = records["b"]["ID"]
    scoped(target)
    proc = invoke(project, "prune", "--yes", "--filter", f"id={target}", env=clean_env())
    assert proc.returncode == 0, proc.stderr
    for text in (
        "disk space",
        "build cache (",
        "not shared with images",
        "image layers (",
        "the engine reported",
    ):
        assert text in proc.stdout
    assert not present(target)


@pytest.fixture
def tagged(tmp_path):
    """Four tags of one empty image in a repository unique to this test."""
    repo = f"dockyard-test-prune-{uuid.uuid4().hex[:10]}/web"
    tags = [f"{repo}:{t}" for t in ("old", "previous", "current", "latest")]
    argv = ["docker", "buildx", "build", "--quiet", "-f", "-"]
    for tag in tags:
        argv += ["-t", tag]
    subprocess.run(
        [*argv, str(tmp_path)], input="FROM scratch\n", text=True, check=True, capture_output=True
    )
    yield repo, tags
    for tag in tags:
        try:
            client().images.remove(tag)
        except docker.errors.ImageNotFound:
            pass


def tag_exists(ref: str) -> bool:
    try:
        client().images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return True


def test_images_never_removes_the_last_two_deploys_unless_asked(tmp_path, tagged):
    repo, tags = tagged
    project = write_project(tmp_path / "images-site", services={"web": {"image": repo, "role": "web"}})
    path = project / ".dockyard" / "deploy-history.jsonl"
    for sha in ("old", "previous", "current"):
        history.append(
            path,
            history.Entry(
                time=history.now(),
                service="web",
                image=f"{repo}:{sha}",
                sha=sha,
                result=history.ACCEPTED,
            ),
        )
    nothing = f"id=dockyard-matches-nothing-{uuid.uuid4().hex}"
    assert rows_selected_by(nothing.split("=", 1)[1]) == []

    proc = invoke(project, "prune", "--yes", "--images", "--filter", nothing, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    assert [t for t in tags if tag_exists(t)] == [
        f"{repo}:previous",
        f"{repo}:current",
        f"{repo}:latest",
    ]
    assert f"keeps {repo}:previous: named by a recent web deploy (previous)" in proc.stdout
    assert f"removed image tag {repo}:old" in proc.stdout

    proc = invoke(
        project,
        "prune",
        "--yes",
        "--images",
        "--include-deployed",
        "--filter",
        nothing,
        env=clean_env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert [t for t in tags if tag_exists(t)] == [f"{repo}:latest"]
