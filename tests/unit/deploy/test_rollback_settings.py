"""Where the URL, app names, images and the app token come from."""

from __future__ import annotations

import pytest
from support.dockyard_cli import write_project

from dockyard.core.errors import ConfigError
from dockyard.core.project import find_project
from dockyard.deploy import caprover


def settings_for(tmp_path, caprover_toml="", env=None, monkeypatch=None, services=None):
    write_project(tmp_path, caprover_toml, services=services)
    monkeypatch.setenv("DOCKYARD_ROOT", str(tmp_path))
    return caprover.deploy_config(find_project(), env=env or {})


def test_defaults_and_environment(tmp_path, monkeypatch):
    s = settings_for(
        tmp_path, env={"CAPROVER_URL": "https://captain.example.com/"}, monkeypatch=monkeypatch
    )
    assert s.url == "https://captain.example.com"
    assert s.apps == {"web": "refsite-web", "celery-unified": "refsite-celery"}
    # a `--tag` deploy names the image in the registry CapRover pulls from ([tool.dockyard.registry])
    assert s.image_for("celery-unified", "abc") == "127.0.0.1:5000/refsite-celery:abc"
    assert s.history_path == tmp_path / ".dockyard" / "deploy-history.jsonl"
    assert (s.timeout, s.wait_timeout) == (30, 600)


def test_configuration_table(tmp_path, monkeypatch):
    s = settings_for(
        tmp_path,
        """url = "https://captain.root.example.com/api/v2"
timeout = 5
history_file = "var/deploys.jsonl"
""",
        monkeypatch=monkeypatch,
        services={
            "web": {"app": "site-web", "image": "ghcr.io/u/site-web", "role": "web"},
            "worker": {"role": "worker"},
        },
    )
    assert s.url == "https://captain.root.example.com"
    assert s.app_for("web") == "site-web" and s.timeout == 5
    assert s.image_for("web", "1234567") == "127.0.0.1:5000/u/site-web:1234567"  # the configured registry
    assert s.history_path == tmp_path / "var" / "deploys.jsonl"
    with pytest.raises(
        ConfigError, match=r"no CapRover app for service 'celery-unified' \(configured: web\)"
    ):
        s.app_for("celery-unified")


@pytest.mark.parametrize(
    "url,message",
    [
        ("captain.example.com", "must look like https://"),
        ("ftp://captain.example.com", "must look like https://"),
        ("https://user:pw@captain.example.com", "must not contain credentials"),
    ],
)
def test_bad_urls(url, message):
    with pytest.raises(ConfigError, match=message):
        caprover.normalize_url(url)


def test_missing_url_is_one_line(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="no CapRover URL: set CAPROVER_URL or"):
        settings_for(tmp_path, monkeypatch=monkeypatch).require_url()


def test_token_precedence_service_env_then_env_then_file(tmp_path):
    token_file = tmp_path / "tokens"
    token_file.write_text("# tokens\nweb=from-file-web\nrefsite-celery=from-file-celery\n")
    token_file.chmod(0o600)
    env = {"CAPROVER_APP_TOKEN_WEB": "svc", "CAPROVER_APP_TOKEN": "general"}
    assert caprover.resolve_token("web", "refsite-web", env, token_file).reveal() == "svc"
    assert (
        caprover.resolve_token(
            "web", "refsite-web", {"CAPROVER_APP_TOKEN": "general"}, token_file
        ).reveal()
        == "general"
    )
    web = caprover.resolve_token("web", "refsite-web", {}, token_file)
    assert web.reveal() == "from-file-web" and web.source == f"{token_file} (web=...)"
    assert (
        caprover.resolve_token("celery-unified", "refsite-celery", {}, token_file).reveal()
        == "from-file-celery"
    )
    assert caprover.env_name_for("celery-unified") == "CAPROVER_APP_TOKEN_CELERY_UNIFIED"


def test_single_token_file_and_missing_entries(tmp_path):
    single = tmp_path / "one"
    single.write_text("  only-token  \n")
    single.chmod(0o600)
    assert caprover.resolve_token("web", "refsite-web", {}, single).reveal() == "only-token"
    keyed = tmp_path / "keyed"
    keyed.write_text("web=a\n")
    keyed.chmod(0o600)
    with pytest.raises(
        caprover.TokenMissing, match="has no line 'flower=...' or 'refsite-flower=...'"
    ):
        caprover.resolve_token("flower", "refsite-flower", {}, keyed)
    with pytest.raises(ConfigError, match="does not exist"):
        caprover.resolve_token("web", "refsite-web", {}, tmp_path / "absent")
    with pytest.raises(
        caprover.TokenMissing,
        match="no CapRover app token for web \\(refsite-web\\): set "
        "CAPROVER_APP_TOKEN_WEB or CAPROVER_APP_TOKEN",
    ):
        caprover.resolve_token("web", "refsite-web", {}, None)


def test_world_readable_token_file_is_warned_about(tmp_path):
    loose = tmp_path / "loose"
    loose.write_text("secret-value-123\n")
    loose.chmod(0o644)
    warnings: list[str] = []
    assert caprover.resolve_token("web", "refsite-web", {}, loose, warnings.append).reveal() == "secret-value-123"
    assert warnings == [f"token file {loose} is readable by others; chmod 600 it"]


def test_token_file_from_configuration_is_relative_to_the_project(tmp_path, monkeypatch):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "caprover").write_text("t0k\n")
    (tmp_path / "secrets" / "caprover").chmod(0o600)
    s = settings_for(tmp_path, 'token_file = "secrets/caprover"', monkeypatch=monkeypatch)
    assert s.token_for("web").reveal() == "t0k"


def test_tokens_with_line_breaks_or_empty_are_refused():
    with pytest.raises(caprover.TokenMissing, match="is empty"):
        caprover.AppToken("   ", "CAPROVER_APP_TOKEN")
    with pytest.raises(ConfigError, match="contains a line break"):
        caprover.AppToken("abc\r\nx-evil: 1", "CAPROVER_APP_TOKEN")


def test_deploy_jobs_from_tag_or_image(tmp_path, monkeypatch):
    from dockyard.deploy import deployer as deploy

    s = settings_for(tmp_path, monkeypatch=monkeypatch)
    job = deploy.prepare(s, "web", tag="3f2a9c0d")
    assert job == deploy.Job(
        "web", "refsite-web", "127.0.0.1:5000/refsite-web:3f2a9c0d", "3f2a9c0d"
    )
    job = deploy.prepare(s, "web", image="127.0.0.1:5000/x/web:abc1234")
    assert (job.image, job.sha) == ("127.0.0.1:5000/x/web:abc1234", "abc1234")
    assert deploy.prepare(s, "web", tag="v2", image="r/web@sha256:" + "0" * 64).sha == "v2"
    with pytest.raises(ConfigError, match="cannot tell the git SHA of r/web@sha256"):
        deploy.prepare(s, "web", image="r/web@sha256:" + "0" * 64)
    with pytest.raises(ConfigError, match="give --tag SHA"):
        deploy.prepare(s, "web")
    assert deploy.tag_of("127.0.0.1:5000/web") == ""
