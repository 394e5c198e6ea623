"""CapRover's version history through its admin API, against the fake that answers as CapRover does
(login, app definitions, 1105/1106/1113/1114): only the version fields are kept, secrets never show."""

from __future__ import annotations

import secrets

import pytest
from support.fake_caprover import FakeCapRover

from dockyard.core.errors import ConfigError
from dockyard.deploy import caprover_versions as versions

PASSWORD = "pw-" + secrets.token_hex(8)
DEFINITIONS = [
    {
        "appName": "refsite-web",
        "deployedVersion": 2,
        "versions": [
            {"version": 2, "deployedImageName": "reg/web:bbbbbbbb", "timeStamp": "2024-11-21T10:00:00.000Z",
             "gitHash": "bbbbbbbb"},
            {"version": 1, "deployedImageName": "reg/web:aaaaaaaa", "timeStamp": "2024-11-20T10:00:00.000Z",
             "gitHash": "aaaaaaaa"},
            {"version": 3, "deployedImageName": "", "timeStamp": "2024-11-22T10:00:00.000Z"},
        ],
        "envVars": [{"key": "DJANGO_SECRET_KEY", "value": "env-secret"}],
        "appDeployTokenConfig": {"enabled": True, "appDeployToken": "deploy-secret"},
    },
    {"appName": "other", "deployedVersion": 0, "versions": []},
]


@pytest.fixture
def captain():
    with FakeCapRover(apps={}, admin_password=PASSWORD, app_definitions=DEFINITIONS) as server:
        yield server


def client(server: FakeCapRover, password: str = PASSWORD, otp: str = "") -> versions.VersionsClient:
    return versions.VersionsClient(server.url, versions.Secret(password, "test"), timeout=5, otp=otp)


def test_login_then_app_definitions_keep_only_the_version_fields(captain):
    apps = client(captain).app_histories()
    web = apps["refsite-web"]
    assert [v.version for v in web.versions] == [1, 2, 3]  # ordered by version
    assert web.current == versions.AppVersion(2, "reg/web:bbbbbbbb", "2024-11-21T10:00:00.000Z", "bbbbbbbb")
    assert web.versions[2].image == "" and web.versions[2].git_hash == ""
    assert "env-secret" not in repr(apps) and "deploy-secret" not in repr(apps)
    login, read = captain.requests
    assert (login.method, login.path, login.json) == ("POST", "/api/v2/login", {"password": PASSWORD})
    assert login.headers["x-namespace"] == "captain" and "x-captain-auth" not in login.headers
    assert (read.method, read.path) == ("GET", "/api/v2/user/apps/appDefinitions")
    assert read.headers["x-captain-auth"] in captain.sessions
    assert PASSWORD not in repr(client(captain))


def test_a_session_captain_no_longer_accepts_is_renewed_once(captain):
    session = client(captain)
    session.app_histories()
    captain.expire_sessions()
    assert "refsite-web" in session.app_histories()
    assert [r.path for r in captain.requests].count("/api/v2/login") == 2


def test_wrong_password_then_back_off_for_every_client(captain):
    for _ in range(5):
        with pytest.raises(versions.VersionsError) as wrong:
            client(captain, "nope").app_histories()
    assert str(wrong.value) == (
        f"CapRover at {captain.url} rejected the admin password (status 1105: Password is incorrect.); "
        "check CAPROVER_PASSWORD or the password file"
    )
    with pytest.raises(versions.VersionsError, match=r"refuses logins for 30 s .*status 1113"):
        client(captain).app_histories()  # the right password too, as CapRover does


def test_two_factor_login_needs_the_one_time_code():
    with FakeCapRover(apps={}, admin_password=PASSWORD, otp_token="123456", app_definitions=DEFINITIONS) as server:
        with pytest.raises(versions.VersionsError, match=r"two-factor login on \(status 1114.*set CAPROVER_OTP"):
            client(server).app_histories()
        assert "refsite-web" in client(server, otp="123456").app_histories()
        assert server.requests[-2].json == {"password": PASSWORD, "otpToken": "123456"}


def test_not_the_api_and_unreachable_are_one_line_without_secrets(captain):
    with FakeCapRover(apps={}, http_status=502) as broken:
        with pytest.raises(versions.VersionsError, match=r"answered HTTP 502 to /api/v2/login, not its API"):
            client(broken).app_histories()
    captain.stop()
    with pytest.raises(versions.VersionsError, match=r"cannot reach CapRover at http://127.0.0.1:\d+") as down:
        client(captain).app_histories()
    assert PASSWORD not in str(down.value)


def test_a_redirect_is_not_followed(captain):
    with FakeCapRover(apps={}, admin_password=PASSWORD, redirect_to=captain.url) as moved:
        with pytest.raises(versions.VersionsError, match="redirect"):
            client(moved).app_histories()
    assert captain.requests == []  # the password never went to the other address


def test_the_password_comes_from_the_environment_or_a_private_file(tmp_path):
    assert versions.admin_password({}, None) is None
    assert versions.admin_password({"CAPROVER_PASSWORD": " s3cret \n"}, None).reveal() == "s3cret"
    path = tmp_path / "captain-password"
    path.write_text("from-file\n")
    path.chmod(0o644)
    warned: list[str] = []
    assert versions.admin_password({}, path, warned.append).reveal() == "from-file"
    assert warned == [f"password file {path} is readable by others; chmod 600 it"]
    path.write_text("one\ntwo\n")
    with pytest.raises(ConfigError, match="must hold one line"):
        versions.admin_password({}, path)
    with pytest.raises(ConfigError, match="does not exist"):
        versions.admin_password({}, tmp_path / "missing")
    assert "s3cret" not in repr(versions.Secret("s3cret", "x"))
