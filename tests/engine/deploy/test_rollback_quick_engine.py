"""`invoke deploy` and `invoke rollback.quick` end to end: real images pushed to the loopback registry
(a rollback redeploys only what the registry confirms), a fake CapRover on 127.0.0.1, the history
file on disk."""

from __future__ import annotations

import json
import socket
import subprocess
import uuid
from collections.abc import Iterator

import docker.errors
import pytest
from support.dockyard_cli import clean_env, invoke, write_project
from support.fake_caprover import FakeCapRover
from support.registry import registry_or_skip, remove_namespace, unique_namespace

from dockyard.deploy import deployer as deploy
from dockyard.deploy import history
from dockyard.docker.client import client

pytestmark = pytest.mark.engine

RUN = uuid.uuid4().hex[:10]
NAMESPACE = unique_namespace()
REGISTRY = registry_or_skip().host
REPO = f"{REGISTRY}/{NAMESPACE}"
SHA0, SHA1, SHA2, SHA3 = "0000ffff" + RUN, "1111aaaa" + RUN, "2222bbbb" + RUN, "3333cccc" + RUN
# pushed in this order: SHA0 last, though its commit is the oldest (the order must be the commits')
COMMIT_TIMES = {
    SHA1: "2024-11-20T10:00:00+00:00",
    SHA2: "2024-11-21T10:00:00+00:00",
    SHA0: "2024-11-19T10:00:00+01:00",
}


@pytest.fixture(scope="module")
def images() -> Iterator[dict[str, str]]:
    """web and celery images tagged SHA1 and SHA2 in the registry (empty FROM scratch images, each
    labelled with its commit time as `build.*` labels them: quick)."""
    tags = []
    try:
        for sha, when in COMMIT_TIMES.items():
            argv = ["docker", "buildx", "build", "--quiet", "--label", f"dockyard.test={RUN}",
                    "--label", f"dockyard.commit-time={when}", "--label", f"org.opencontainers.image.revision={sha}"]
            mine = [f"{REPO}/{service}:{sha}" for service in ("web", "celery")]
            for tag in mine:
                argv += ["-t", tag]
            tags += mine
            subprocess.run(
                ["flock", "/tmp/dockyard-build.lock", *argv, "-f", "-", "."],
                input="FROM scratch\n", text=True, check=True, capture_output=True, cwd="/tmp",
            )
            for tag in mine:
                subprocess.run(["docker", "push", "-q", tag], check=True, capture_output=True)
        yield {"web": f"{REPO}/web", "celery-unified": f"{REPO}/celery"}
    finally:
        remove_namespace(registry_or_skip(), NAMESPACE, ["web", "celery", "gone"])
        for tag in tags:
            try:
                client().images.remove(tag)
            except docker.errors.ImageNotFound:
                pass


@pytest.fixture
def project(tmp_path, images):
    return write_project(
        tmp_path / "site",
        "timeout = 2",
        services={
            "web": {"target": "web", "app": "refsite-web", "image": images["web"], "role": "web"},
            "celery-unified": {
                "target": "celery-unified",
                "app": "refsite-celery",
                "image": images["celery-unified"],
                "role": "worker",
            },
        },
    )


def env_for(fake: FakeCapRover, web_token: str, celery_token: str, **extra: str) -> dict[str, str]:
    return clean_env(
        DOCKYARD_REGISTRY=REGISTRY,
        CAPROVER_URL=fake.url,
        CAPROVER_APP_TOKEN_WEB=web_token,
        CAPROVER_APP_TOKEN_CELERY_UNIFIED=celery_token,
        **extra,
    )


def history_path(project):
    return project / ".dockyard" / "deploy-history.jsonl"


def two_deploys(project, env) -> None:
    for sha in (SHA1, SHA2):
        for service in ("web", "celery-unified"):
            proc = invoke(project, "deploy", service, "--tag", sha, env=env)
            assert proc.returncode == 0, proc.stderr


def assert_secret_free(proc, *tokens: str) -> None:
    for token in tokens:
        assert token not in proc.stdout and token not in proc.stderr


def test_dry_run_names_the_earlier_deploy_and_the_real_run_deploys_and_records_it(
    project, fake, web_token, celery_token
):
    env = env_for(fake, web_token, celery_token)
    two_deploys(project, env)
    recorded = history.read(history_path(project)).entries
    assert [(e.service, e.sha, e.result) for e in recorded] == [
        ("web", SHA1, "accepted"),
        ("celery-unified", SHA1, "accepted"),
        ("web", SHA2, "accepted"),
        ("celery-unified", SHA2, "accepted"),
    ]
    assert recorded[0].image == f"{REPO}/web:{SHA1}" and recorded[0].server == fake.url
    sent_before, bytes_before = len(fake.requests), history_path(project).read_bytes()

    dry = invoke(project, "rollback.quick", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing deployed" in dry.stdout
    plan_rows = [line for line in dry.stdout.splitlines() if "refsite-" in line]
    assert len(plan_rows) == 2 and all(SHA1[:12] in row and SHA2[:12] in row for row in plan_rows)
    assert len(fake.requests) == sent_before and history_path(project).read_bytes() == bytes_before

    real = invoke(project, "rollback.quick", "--yes", env=env)
    assert real.returncode == 0, real.stderr
    assert [(d.app, d.image, d.git_hash) for d in fake.deployed[-2:]] == [
        ("refsite-web", f"{REPO}/web:{SHA1}", SHA1),
        ("refsite-celery", f"{REPO}/celery:{SHA1}", SHA1),
    ]
    after = history.read(history_path(project)).entries
    assert history_path(project).read_bytes().startswith(bytes_before)
    assert [(e.service, e.sha, e.action, e.result) for e in after[4:]] == [
        ("web", SHA1, "rollback", "accepted"),
        ("celery-unified", SHA1, "rollback", "accepted"),
    ]
    assert_secret_free(real, web_token, celery_token)
    assert web_token not in history_path(project).read_text()


def test_wrong_token_fails_cleanly_and_keeps_the_history(project, fake, web_token, celery_token):
    env = env_for(fake, web_token, celery_token)
    two_deploys(project, env)
    before = history_path(project).read_bytes()
    deployed = len(fake.deployed)

    wrong = "not-" + web_token
    proc = invoke(
        project,
        "rollback.quick",
        "--yes",
        "--service",
        "web",
        env=env_for(fake, wrong, celery_token),
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: CapRover rejected the app token for app 'refsite-web' (status 1102: The request "
        "is not authorized.); check the token, that 'App Token' is enabled for refsite-web and "
        "that the app exists"
    )
    assert "Traceback" not in proc.stderr
    assert_secret_free(proc, wrong, web_token, celery_token)
    assert len(fake.deployed) == deployed

    after = history_path(project).read_bytes()
    assert after.startswith(before)  # every earlier entry intact, byte for byte
    (failure,) = history.read(history_path(project)).entries[4:]
    assert (failure.service, failure.sha, failure.action, failure.result) == (
        "web",
        SHA1,
        "rollback",
        "failed",
    )
    assert wrong not in after.decode()

    # the failure record changes nothing: same plan, and with the right token it goes through
    retry = invoke(project, "rollback.quick", "--yes", "--service", "web", env=env)
    assert retry.returncode == 0, retry.stderr
    assert fake.deployed[-1].image == f"{REPO}/web:{SHA1}"


def test_answering_no_deploys_nothing(project, fake, web_token, celery_token):
    env = env_for(fake, web_token, celery_token)
    for sha in (SHA1, SHA2):  # recorded directly: this test is about the question, not the deploys
        history.append(
            history_path(project),
            history.Entry(
                time=history.now(),
                service="web",
                app="refsite-web",
                image=f"{REPO}/web:{sha}",
                sha=sha,
                result=history.ACCEPTED,
            ),
        )
    before, sent = history_path(project).read_bytes(), len(fake.requests)
    proc = invoke(project, "rollback.quick", env=env, stdin="n\n")
    assert proc.returncode == 1
    assert (
        proc.stderr.strip().splitlines()[-1]
        == "error: not confirmed: nothing deployed, history unchanged"
    )
    assert len(fake.requests) == sent and history_path(project).read_bytes() == before


def test_an_image_gone_from_the_registry_stops_before_touching_anything(tmp_path, fake, web_token, celery_token):
    """The local history names SHA3 and SHA2 of a repository the registry has no tags of (so the
    history is the only source): the manifest HEAD finds no SHA3, and nothing is asked or sent."""
    project = write_project(
        tmp_path / "gone",
        "timeout = 2",
        services={"web": {"target": "web", "app": "refsite-web", "image": f"{REPO}/gone", "role": "web"}},
    )
    path = history_path(project)
    for sha in (SHA3, SHA2):
        history.append(
            path,
            history.Entry(
                time=history.now(),
                service="web",
                app="refsite-web",
                image=f"{REPO}/gone:{sha}",
                sha=sha,
                result=history.DEPLOYED,
            ),
        )
    before = path.read_bytes()
    proc = invoke(project, "rollback.quick", "--to", SHA3[:8], env=env_for(fake, web_token, celery_token))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: image {REPO}/gone:{SHA3} is not in the registry {REGISTRY} (no manifest for {SHA3}): "
        f"push it (invoke push --tag {SHA3}) or pick another SHA"
    )
    assert fake.requests == [] and path.read_bytes() == before


def test_unreachable_server_and_timeout_are_recorded_honestly(project, web_token, celery_token):
    path = history_path(project)
    for sha in (SHA1, SHA2):
        history.append(
            path,
            history.Entry(
                time=history.now(),
                service="web",
                app="refsite-web",
                image=f"{REPO}/web:{sha}",
                sha=sha,
                result=history.ACCEPTED,
            ),
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    env = clean_env(DOCKYARD_REGISTRY=REGISTRY, CAPROVER_URL=f"http://127.0.0.1:{closed}", CAPROVER_APP_TOKEN=web_token)
    proc = invoke(project, "rollback.quick", "--yes", env=env)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: cannot reach CapRover at "
        f"http://127.0.0.1:{closed}/api/v2/user/apps/appData/refsite-web "
        f"(Connection refused); nothing was deployed"
    )

    with FakeCapRover(apps={"refsite-web": web_token}, delay=10) as slow:
        proc = invoke(
            project,
            "rollback.quick",
            "--yes",
            env=clean_env(DOCKYARD_REGISTRY=REGISTRY, CAPROVER_URL=slow.url, CAPROVER_APP_TOKEN=web_token),
        )
    assert proc.returncode == 1
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"error: no answer from CapRover at {slow.url}/api/v2/user/apps/appData/refsite-web "
            f"within 2 s (the deadline of the whole request); the deploy may have started"
        )
    )
    entries = history.read(path).entries
    assert [(e.sha, e.result) for e in entries] == [
        (SHA1, "accepted"),
        (SHA2, "accepted"),
        (SHA1, "failed"),
        (SHA1, "unknown"),
    ]
    assert_secret_free(proc, web_token)


def test_image_check_local_and_registry_paths(images):
    found = deploy.check_image(f"{images['web']}:{SHA1}")
    assert found.where == "local" and found.detail
    with pytest.raises(
        deploy.ImageMissing,
        match=r"image 127.0.0.1:1/dockyard-none/x:y is not on this machine "
        r"and its registry did not confirm it \(.+\)",
    ):
        deploy.check_image("127.0.0.1:1/dockyard-none/x:y")


def test_deploy_dry_run_masks_the_token_and_wait_records_deployed(
    project, fake, web_token, celery_token
):
    env = env_for(fake, web_token, celery_token)
    dry = invoke(project, "deploy", "web", "--tag", SHA1, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert (
        "'x-captain-app-token': '***'" in dry.stdout
        and "appData/refsite-web?detached=1" in dry.stdout
    )
    assert_secret_free(dry, web_token)
    assert fake.requests == [] and not history_path(project).exists()

    waited = invoke(project, "deploy", "web", "--tag", SHA1, "--wait", "--json", env=env)
    assert waited.returncode == 0, waited.stderr
    assert '"result": "deployed"' in waited.stdout
    assert fake.requests[0].query == {} and fake.deployed[0].detached is False
    (entry,) = history.read(history_path(project)).entries
    assert (entry.result, entry.detail) == ("deployed", "Deploy is done")


def test_a_fresh_clone_finds_the_previous_sha_in_the_registry(project, fake, web_token, celery_token):
    """No local history at all: the registry's tags, in commit order, say SHA2 is the newest and
    SHA1 the one before it (SHA0 was pushed last but is the oldest commit)."""
    env = env_for(fake, web_token, celery_token)
    assert not history_path(project).exists()
    dry = invoke(project, "rollback.quick", "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    steps = {s["service"]: (s["from_sha"], s["to_sha"], s["to_image"]) for s in plan["steps"]}
    assert steps == {
        "web": (SHA2, SHA1, f"{REPO}/web:{SHA1}"),
        "celery-unified": (SHA2, SHA1, f"{REPO}/celery:{SHA1}"),
    }
    assert f"web: nothing says which SHA runs now; taking the newest pushed one ({SHA2[:12]}) as running" in (
        plan["notes"]
    )
    assert fake.requests == [] and not history_path(project).exists()

    shown = invoke(project, "rollback.history", "--service", "web", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    rows = [json.loads(line) for line in shown.stdout.splitlines()]
    assert [(r["sha"], r["source"], r["result"]) for r in rows] == [
        (SHA0, "registry", "pushed"), (SHA1, "registry", "pushed"), (SHA2, "registry", "pushed")
    ]


def app_definitions(app: str, repo: str) -> list[dict]:
    """CapRover's answer for one app, secrets included (as the real one sends them): placeholder
    version 0, SHA0, SHA2, a deploy that did not complete, the dashboard's revert to SHA0 (built
    as img-captain-APP:4 with SHA0's gitHash), then SHA1, which runs."""
    versions = [
        {"version": 0, "deployedImageName": "caprover/caprover-placeholder-app:latest",
         "timeStamp": "2024-11-18T09:00:00.000Z", "gitHash": ""},
        {"version": 1, "deployedImageName": f"{repo}:{SHA0}", "timeStamp": "2024-11-19T11:00:00.000Z",
         "gitHash": SHA0},
        {"version": 2, "deployedImageName": f"{repo}:{SHA2}", "timeStamp": "2024-11-21T11:00:00.000Z",
         "gitHash": SHA2},
        {"version": 3, "deployedImageName": "", "timeStamp": "2024-11-21T12:00:00.000Z", "gitHash": SHA3},
        {"version": 4, "deployedImageName": f"img-captain-{app}:4", "timeStamp": "2024-11-21T13:00:00.000Z",
         "gitHash": SHA0},
        {"version": 5, "deployedImageName": f"{repo}:{SHA1}", "timeStamp": "2024-11-22T10:00:00.000Z",
         "gitHash": SHA1},
    ]
    return [{
        "appName": app, "deployedVersion": 5, "versions": versions, "instanceCount": 1,
        "envVars": [{"key": "DJANGO_SECRET_KEY", "value": "secret-env-value-" + RUN}],
        "appDeployTokenConfig": {"enabled": True, "appDeployToken": "secret-deploy-token-" + RUN},
        "appPushWebhook": {"pushWebhookToken": "secret-webhook-" + RUN,
                           "repoInfo": {"password": "secret-repo-password-" + RUN, "sshKey": ""}},
    }]


def test_caprover_versions_win_over_the_registry_and_a_stale_local_history(project, web_token, celery_token):
    password = "admin-" + uuid.uuid4().hex
    with FakeCapRover(apps={"refsite-web": web_token}, admin_password=password,
                      app_definitions=app_definitions("refsite-web", f"{REPO}/web")) as captain:
        history.append(  # this checkout last deployed SHA2: stale, CapRover runs SHA1 now
            history_path(project),
            history.Entry(time=history.now(), service="web", app="refsite-web", image=f"{REPO}/web:{SHA2}",
                          sha=SHA2, result=history.ACCEPTED, server=captain.url),
        )
        env = env_for(captain, web_token, celery_token, CAPROVER_PASSWORD=password)
        dry = invoke(project, "rollback.quick", "--service", "web", "--dry-run", "--json", env=env)
        assert dry.returncode == 0, dry.stderr
        plan = json.loads(dry.stdout)
        (step,) = plan["steps"]
        assert (step["from_sha"], step["to_sha"], step["to_image"]) == (SHA1, SHA0, f"{REPO}/web:{SHA0}")
        assert any(f"the local history says {SHA2[:12]} runs, CapRover says {SHA1[:12]}" in n for n in plan["notes"])
        logins = [r for r in captain.requests if r.path == "/api/v2/login"]
        assert len(logins) == 1 and logins[0].json == {"password": password}
        reads = [r for r in captain.requests if r.path == "/api/v2/user/apps/appDefinitions"]
        assert len(reads) == 1 and reads[0].headers["x-captain-auth"] in captain.sessions
        assert not captain.deployed

        shown = invoke(project, "rollback.history", "--service", "web", "--json", env=env)
        rows = [json.loads(line) for line in shown.stdout.splitlines()]
        assert [(r["sha"], r["result"], r["action"]) for r in rows] == [
            (SHA0, "deployed", "deploy"), (SHA2, "deployed", "deploy"), (SHA3, "failed", "deploy"),
            (SHA0, "deployed", "rollback"), (SHA1, "deployed", "deploy"),
        ]
        assert {r["source"] for r in rows} == {"caprover"}
        for proc in (dry, shown):
            for secret in (password, "secret-env-value-", "secret-deploy-token-", "secret-webhook-",
                           "secret-repo-password-", *captain.sessions):
                assert secret not in proc.stdout + proc.stderr

        wrong = invoke(project, "rollback.quick", "--dry-run", env={**env, "CAPROVER_PASSWORD": "nope"})
        assert wrong.returncode == 1
        assert wrong.stderr.strip().splitlines()[-1] == (
            f"error: CapRover at {captain.url} rejected the admin password (status 1105: Password is incorrect.); "
            "check CAPROVER_PASSWORD or the password file"
        )
