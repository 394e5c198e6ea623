"""dockyard's CapRover client against a local server that answers as CapRover does."""

from __future__ import annotations

import json
import socket

import pytest
from support.fake_caprover import FakeCapRover

from dockyard.deploy import caprover, history

IMAGE = "ghcr.io/user/repo-web:3f2a9c0d"


def deploy(
    fake_url: str,
    token: str,
    app: str = "refsite-web",
    detached: bool = True,
    timeout: float = 5,
    git_hash: str = "3f2a9c0d",
):
    secret = caprover.AppToken(token, "test")
    request = caprover.deploy_request(fake_url, app, IMAGE, secret, git_hash, detached=detached)
    return caprover.send(request, timeout=timeout, token=secret, app=app)


def test_detached_deploy_is_accepted_with_the_cli_request_shape(fake, web_token):
    outcome = deploy(fake.url, web_token)
    assert outcome == caprover.Outcome(101, "Deploy is started", history.ACCEPTED)
    (req,) = fake.requests
    assert (req.method, req.path, req.query) == (
        "POST",
        "/api/v2/user/apps/appData/refsite-web",
        {"detached": ["1"]},
    )
    assert req.headers["x-captain-app-token"] == web_token
    assert req.headers["x-namespace"] == "captain"
    assert req.headers["content-type"] == "application/json"
    assert "x-captain-auth" not in req.headers
    assert req.json == {
        "captainDefinitionContent": '{"schemaVersion":2,"imageName":"' + IMAGE + '"}',
        "gitHash": "3f2a9c0d",
    }
    assert [(d.app, d.image, d.detached) for d in fake.deployed] == [("refsite-web", IMAGE, True)]


def test_wait_asks_for_a_synchronous_deploy(fake, web_token):
    assert deploy(fake.url, web_token, detached=False).result == history.DEPLOYED
    assert fake.requests[0].query == {}


@pytest.mark.parametrize(
    "flavour,status,description",
    [
        ("current", 1102, "The request is not authorized."),
        ("legacy", 1106, "Auth token corrupted"),
    ],
)
def test_wrong_token_is_an_auth_failure_without_the_token_in_the_message(
    web_token, flavour, status, description
):
    wrong = "wrong-" + web_token
    with FakeCapRover(apps={"refsite-web": web_token}, auth_failure=flavour) as fake:
        with pytest.raises(caprover.AuthFailed) as caught:
            deploy(fake.url, wrong)
    message = str(caught.value)
    assert message == (
        f"CapRover rejected the app token for app 'refsite-web' (status {status}: {description}); "
        f"check the token, that 'App Token' is enabled for refsite-web and that the app exists"
    )
    assert wrong not in message and web_token not in message
    assert caught.value.result == history.FAILED
    assert fake.deployed == []


def test_unknown_app_is_refused_because_its_token_cannot_be_checked(fake, web_token):
    with pytest.raises(caprover.AuthFailed, match="app 'refsite-nope' .* and that the app exists"):
        deploy(fake.url, web_token, app="refsite-nope")
    assert fake.deployed == []


def test_app_not_found_answer_names_the_app():
    body = json.dumps(
        {
            "status": 1000,
            "description": "App (refsite-nope) could not be found. Make sure that you "
            "have created the app.",
            "data": {},
        }
    ).encode()
    with pytest.raises(
        caprover.AppNotFound,
        match=r"CapRover has no app 'refsite-nope' \(status 1000: App "
        r"\(refsite-nope\) could not be found",
    ):
        caprover.interpret(
            200, body, "refsite-nope", "https://captain.example.com/api/v2/user/apps/appData/x"
        )


@pytest.mark.parametrize(
    "status,description,error,text",
    [
        (
            1000,
            "Something went wrong",
            caprover.DeployRefused,
            "CapRover refused the deploy of 'refsite-web' (status 1000: Something went wrong)",
        ),
        (1109, "Build failed", caprover.DeployRefused, "(status 1109: Build failed)"),
        (
            1101,
            "User data is being loaded... Please wait...",
            caprover.DeployRefused,
            "is still starting",
        ),
    ],
)
def test_error_statuses_are_refusals(web_token, status, description, error, text):
    with FakeCapRover(apps={"refsite-web": web_token}, status=(status, description)) as fake:
        with pytest.raises(error) as caught:
            deploy(fake.url, web_token)
    assert text in str(caught.value)
    assert caught.value.result == history.FAILED


def test_http_500_is_a_server_error(web_token):
    with FakeCapRover(apps={"refsite-web": web_token}, http_status=500) as fake:
        with pytest.raises(
            caprover.ServerError,
            match=r"failed with HTTP 500 \(Internal Server Error\); check the "
            r"captain service logs",
        ):
            deploy(fake.url, web_token)


def test_gateway_timeout_leaves_the_outcome_unknown(web_token):
    with FakeCapRover(apps={"refsite-web": web_token}, http_status=504) as fake:
        with pytest.raises(
            caprover.DeployTimeout, match="gave up waiting \\(HTTP 504\\)"
        ) as caught:
            deploy(fake.url, web_token)
    assert caught.value.result == history.UNKNOWN


def test_a_page_that_is_not_the_api_says_so(fake, web_token):
    with pytest.raises(
        caprover.ServerError,
        match=r"answered HTTP 404 \(Cannot POST /elsewhere/api/v2/user/apps/"
        r"appData/refsite-web\), not its API; is CAPROVER_URL",
    ):
        deploy(fake.url + "/elsewhere", web_token)


def test_timeout_is_unknown_not_failed(web_token):
    with FakeCapRover(apps={"refsite-web": web_token}, delay=5) as fake:
        with pytest.raises(
            caprover.DeployTimeout,
            match=r"no answer from CapRover at http://127.0.0.1:\d+/api/v2/"
            r"user/apps/appData/refsite-web within 0.3 s",
        ) as caught:
            deploy(fake.url, web_token, timeout=0.3)
    assert caught.value.result == history.UNKNOWN
    assert len(fake.requests) == 1  # it was sent: the deploy may well have started


def test_unreachable_server_is_a_failure(web_token):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(
        caprover.Unreachable,
        match=rf"cannot reach CapRover at http://127.0.0.1:{port}/api/v2/user/"
        r"apps/appData/refsite-web \(Connection refused\); nothing was "
        r"deployed",
    ):
        deploy(f"http://127.0.0.1:{port}", web_token)


def test_redirects_are_not_followed_so_the_token_stays_put(web_token):
    with (
        FakeCapRover(apps={"refsite-web": web_token}) as target,
        FakeCapRover(
            apps={}, redirect_to=target.url + "/api/v2/user/apps/appData/refsite-web"
        ) as redirector,
    ):
        with pytest.raises(caprover.ServerError, match="answered with a redirect \\(HTTP 302\\)"):
            deploy(redirector.url, web_token)
    assert target.requests == []


def test_describe_masks_the_token(web_token):
    secret = caprover.AppToken(web_token, "CAPROVER_APP_TOKEN")
    request = caprover.deploy_request("https://captain.example.com", "refsite-web", IMAGE, secret)
    text = request.describe(secret)
    assert web_token not in text and "'x-captain-app-token': '***'" in text
    assert text.startswith(
        "POST https://captain.example.com/api/v2/user/apps/appData/refsite-web?detached=1 "
    )
    assert web_token not in repr(secret) and web_token not in str(secret)


def test_captain_definition_matches_json_stringify_byte_for_byte():
    assert caprover.captain_definition("r/x:1") == '{"schemaVersion":2,"imageName":"r/x:1"}'


@pytest.mark.parametrize(
    "sha,sent", [("3f2a9c0", "3f2a9c0"), ("a" * 40, "a" * 40), ("v1.2.3", ""), ("latest", "")]
)
def test_git_hash_is_sent_only_for_git_shas(sha, sent):
    assert caprover.git_hash_for(sha) == sent


@pytest.mark.parametrize("bad", ["Refsite", "refsite_web", "-x", "a/b"])
def test_app_names_are_validated_before_they_reach_a_url(bad):
    with pytest.raises(caprover.ConfigError, match="is not a CapRover app name"):
        caprover.deploy_request("https://c.example.com", bad, IMAGE, caprover.AppToken("t", "x"))
