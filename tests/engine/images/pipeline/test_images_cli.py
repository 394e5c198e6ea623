"""`python -m dockyard.images_run` (what `nox -s images` runs) end to end, on a copy of the repository."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

RUN = [sys.executable, "-m", "dockyard.images_run"]


def images_run(repo, *args, timeout=600):
    return subprocess.run(
        [*RUN, *args, "--json", "out/report.json", "--junit", "out/junit.xml"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )


def leftovers(docker_client, report):
    containers = docker_client.containers.list(all=True, filters={"label": f"dockyard.run={report['run_id']}"})
    images = [t for i in docker_client.api.images() for t in i.get("RepoTags") or [] if t.endswith(f":{report['tag']}")]
    return containers, images


def test_reference_web_passes_and_leaves_nothing_behind(repo, docker_client):
    proc = images_run(repo, "web")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((repo / "out" / "report.json").read_text())
    assert report["passed"] and report["targets"] == ["web"] and report["source"] == "worktree"
    assert {r["name"] for r in report["results"]} >= {
        "non_root",
        "healthcheck",
        "healthy",
        "node_modules",
        "image_size",
        "idle_memory",
        "no_secrets",
        "probe_fits",
    }
    suite = ET.parse(repo / "out" / "junit.xml").getroot().find("testsuite")
    assert suite.get("name") == "images.web" and suite.get("failures") == "0"
    assert int(suite.get("tests")) == len(report["results"])
    assert "images: 8 checks on 1 target(s), 0 failed" in proc.stdout
    assert leftovers(docker_client, report) == ([], [])


def test_dropping_user_app_fails_naming_check_target_and_uid(repo, docker_client):
    dockerfile = repo / "deployment" / "Dockerfile.multistage"
    dockerfile.write_text(dockerfile.read_text().replace("USER app\n", ""))  # an uncommitted edit
    proc = images_run(repo, "web")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: 1 image check(s) failed: web non_root: no USER; uid=0(root)"), last
    assert "Traceback" not in proc.stderr
    report = json.loads((repo / "out" / "report.json").read_text())
    failed = [r for r in report["results"] if r["status"] == "fail"]
    assert [(r["target"], r["name"]) for r in failed] == [("web", "non_root")]
    junit = ET.parse(repo / "out" / "junit.xml").getroot()
    failure = junit.find(".//testcase[@name='non_root']/failure")
    assert failure is not None and "uid=0(root)" in failure.get("message")
    assert leftovers(docker_client, report) == ([], [])


def test_untracked_dockerfile_is_one_line_error(repo):
    subprocess.run(["git", "-C", str(repo), "rm", "-q", "--cached", "deployment/Dockerfile.multistage"], check=True)
    proc = images_run(repo, "web")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: deployment/Dockerfile.multistage is not tracked by git, so a CI checkout would not have "
        "it: `git add deployment/Dockerfile.multistage`"
    )


def test_sigterm_during_checks_cleans_up(repo, docker_client):
    proc = subprocess.Popen(
        [*RUN, "web", "--json", "out/report.json", "--junit", "out/junit.xml"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 300
    for line in proc.stderr:  # progress goes to stderr
        if "web healthcheck" in line or time.monotonic() > deadline:
            break
    time.sleep(1)  # the web container is starting now
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143  # 128 + SIGTERM, after the cleanup
    assert err.strip().splitlines()[-1] == "error: interrupted by SIGTERM"
    report = json.loads((repo / "out" / "report.json").read_text())
    assert leftovers(docker_client, report) == ([], [])


def test_unknown_target_is_one_line_error_and_reported(repo):
    proc = images_run(repo, "nope")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: unknown bake target 'nope' (known: celery-beat, celery-unified, celery-worker")
    report = json.loads((repo / "out" / "report.json").read_text())
    assert report["passed"] is False and report["error"].startswith("unknown bake target 'nope'")


def test_engine_down_is_one_line_error(repo, tmp_path):
    proc = subprocess.run(
        [*RUN, "web"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/none.sock", "COLUMNS": "200"},
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: Docker Engine is not reachable")
