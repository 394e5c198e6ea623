"""dockyard sends the request the real `caprover deploy --imageName` sends (caprover CLI from npm).

The CLI is installed once into .pytest_cache (about 15 s the first time; skipped
with a reason when node/npm or the npm registry is not available). It always
talks to `captain.<host>` on port 80/443, so it reaches the fake server through
HTTP_PROXY; the token goes in CAPROVER_APP_TOKEN, never on its command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dockyard.deploy import caprover, history

CLI_VERSION = os.environ.get("DOCKYARD_CAPROVER_CLI_VERSION", "2.4.4")
IMAGE = "ghcr.io/user/repo-web:3f2a9c0d1e2f"
SHA = "3f2a9c0d1e2f"
COMPARED_HEADERS = ("x-captain-app-token", "x-namespace", "content-type", "accept")


@pytest.fixture(scope="session")
def caprover_cli(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node/npm not installed: cannot install the caprover CLI from the npm registry")
    major = (
        subprocess.run([node, "--version"], capture_output=True, text=True)
        .stdout.strip()
        .lstrip("v")
    )
    if not major.split(".")[0].isdigit() or int(major.split(".")[0]) < 20:
        pytest.skip(f"caprover {CLI_VERSION} needs node >= 20 (found {major or 'unknown'})")
    cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    name = f"caprover-cli-{CLI_VERSION}"
    prefix = Path(cache.mkdir(name) if cache else tmp_path_factory.mktemp(name))
    entry = prefix / "node_modules" / "caprover" / "built" / "commands" / "caprover.js"
    if not entry.is_file():
        proc = subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
                str(prefix),
                f"caprover@{CLI_VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0 or not entry.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            pytest.skip(f"npm install caprover@{CLI_VERSION} failed: {tail[0]}")
    return entry


def test_dockyard_sends_what_caprover_deploy_sends(caprover_cli, fake, web_token, tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
        "HTTP_PROXY": fake.url,
        "http_proxy": fake.url,
        "CAPROVER_APP_TOKEN": web_token,
        "NO_UPDATE_NOTIFIER": "1",
        "CI": "1",
    }
    cli = subprocess.run(
        [
            "node",
            str(caprover_cli),
            "deploy",
            "--caproverUrl",
            "http://127.0.0.1",
            "--appName",
            "refsite-web",
            "--imageName",
            IMAGE,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert web_token not in cli.stdout + cli.stderr
    (theirs,) = fake.requests

    token = caprover.AppToken(web_token, "CAPROVER_APP_TOKEN")
    request = caprover.deploy_request(
        fake.url, "refsite-web", IMAGE, token, caprover.git_hash_for(SHA)
    )
    assert (
        caprover.send(request, timeout=10, token=token, app="refsite-web").result
        == history.ACCEPTED
    )
    ours = fake.requests[1]

    assert (
        (ours.method, ours.path, ours.query)
        == (theirs.method, theirs.path, theirs.query)
        == ("POST", "/api/v2/user/apps/appData/refsite-web", {"detached": ["1"]})
    )
    for name in COMPARED_HEADERS:
        assert ours.headers.get(name) == theirs.headers.get(name), (
            name
        )  # the token too (value not printed)
    their_body, our_body = theirs.json, ours.json
    assert isinstance(their_body, dict) and isinstance(our_body, dict)
    assert our_body["captainDefinitionContent"] == their_body["captainDefinitionContent"]
    # the one deliberate difference: dockyard sends the git SHA it deploys (the CLI sends "")
    assert (their_body["gitHash"], our_body["gitHash"]) == ("", SHA)
    assert set(our_body) == set(their_body) == {"captainDefinitionContent", "gitHash"}
    assert [d.image for d in fake.deployed] == [IMAGE, IMAGE]
