"""Hostile and broken CapRover servers (issue 14 defects 4, 6, 7 and 10's escapes), through
`invoke deploy` / `invoke rollback.quick` against the fake server in tests/support.

The engine is needed only to check that the image to deploy exists (a tiny imported image). Every
case checks: one `error:` line or a clean success, no traceback, the token in no output and in no
file under the project or TMPDIR, and every earlier byte of the history kept.
"""

from __future__ import annotations

import json
import secrets
import signal
from collections.abc import Iterator

import pytest
from faults.harness import (
    Result,
    Sandbox,
    assert_no_ansi,
    assert_no_secret,
    assert_no_traceback,
    expect_failure,
    expect_success,
    file_mode,
)
from support.fake_caprover import FakeCapRover

ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x1b[31mred"


@pytest.fixture
def token() -> str:
    return "tok-" + secrets.token_hex(16)


@pytest.fixture
def fake(token: str) -> Iterator[FakeCapRover]:
    with FakeCapRover(apps={"refsite-web": token, "refsite-celery": token}) as server:
        yield server


class Deploy:
    """One sandbox set up to deploy the tiny image to the fake server, with two earlier deploys."""

    def __init__(self, sandbox: Sandbox, fake: FakeCapRover, token: str, image: str) -> None:
        self.sandbox, self.fake, self.token, self.image = sandbox, fake, token, image
        repository = image.rsplit(":", 1)[0]
        sandbox.set_config("tool.dockyard.services.web", "image", json.dumps(repository))
        sandbox.set_config("tool.dockyard.services.celery-unified", "image", json.dumps(repository))
        self.env = {"CAPROVER_URL": fake.url, "CAPROVER_APP_TOKEN_WEB": token, "CAPROVER_APP_TOKEN": token}
        self.before = sandbox.write_history([
            _entry("0000aaaa", image), _entry("0000bbbb", image),
        ]).read_bytes()

    def run(self, *args: str, timeout: float = 90, **kwargs) -> Result:  # noqa: ANN003
        return self.sandbox.invoke(*(args or ("deploy", "web", "--tag", "abc1234")), env=self.env,
                                   timeout=timeout, **kwargs)

    def start(self, *args: str):  # noqa: ANN201
        return self.sandbox.start_invoke(*(args or ("deploy", "web", "--tag", "abc1234")), env=self.env)

    def new_entries(self) -> list[dict]:
        data = self.sandbox.history_path.read_bytes()
        assert data.startswith(self.before), "an earlier history byte changed"
        return [json.loads(line) for line in data[len(self.before):].splitlines() if line.strip()]

    def assert_token_nowhere(self, result: Result) -> None:
        assert_no_secret(self.token, result, [self.sandbox.root, self.sandbox.tmp])


def _entry(sha: str, image: str) -> dict:
    return {"v": 1, "time": "2024-11-21T10:00:00.000000Z", "service": "web", "app": "refsite-web",
            "image": image.rsplit(":", 1)[0] + ":" + sha, "sha": sha, "result": "accepted", "action": "deploy",
            "detail": "Deploy is started", "server": "http://127.0.0.1:9"}


@pytest.fixture
def deploy(sandbox: Sandbox, fake: FakeCapRover, token: str, tiny_image: str) -> Deploy:
    return Deploy(sandbox, fake, token, tiny_image)


def test_a_normal_deploy_is_recorded_and_shows_no_token(deploy: Deploy) -> None:
    result = deploy.run()
    expect_success(result)
    assert [e["result"] for e in deploy.new_entries()] == ["accepted"]
    deploy.assert_token_nowhere(result)
    deploy.sandbox.assert_no_leaks(within=0)


def test_the_history_file_is_private(deploy: Deploy) -> None:
    deploy.sandbox.history_path.unlink()
    expect_success(deploy.run())
    assert file_mode(deploy.sandbox.history_path) == 0o600


# --------------------------------------------------------------------------- defect 4: echoed token


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("deploy", "web", "--tag", "abc1234"), id="deploy"),
        pytest.param(("deploy", "web", "--tag", "abc1234", "--json"), id="deploy-json"),
        pytest.param(("deploy", "web", "--tag", "abc1234", "--wait"), id="deploy-wait"),
        pytest.param(("rollback.quick", "--yes"), id="rollback-quick"),
        pytest.param(("rollback.quick", "--yes", "--json"), id="rollback-quick-json"),
    ],
)
def test_a_token_echoed_in_a_success_answer_is_scrubbed(deploy: Deploy, args: tuple[str, ...]) -> None:
    deploy.fake.description = "Deploy is started for token {token}"
    result = deploy.run(*args)
    expect_success(result)
    assert deploy.new_entries(), "the deploy was not recorded"
    deploy.assert_token_nowhere(result)


def test_a_token_echoed_in_an_error_answer_is_scrubbed(deploy: Deploy) -> None:
    deploy.fake.status = (1000, "bad request from {token}")
    result = deploy.run()
    expect_failure(result, "refused")
    assert [e["result"] for e in deploy.new_entries()] == ["failed"]
    deploy.assert_token_nowhere(result)


def test_a_wrong_token_fails_and_is_recorded(deploy: Deploy) -> None:
    deploy.env["CAPROVER_APP_TOKEN_WEB"] = "tok-wrong-" + secrets.token_hex(8)
    result = deploy.run()
    expect_failure(result, "token")
    assert [e["result"] for e in deploy.new_entries()] == ["failed"]
    assert_no_secret(deploy.env["CAPROVER_APP_TOKEN_WEB"], result, [deploy.sandbox.root])


def test_the_token_is_never_in_the_process_arguments(deploy: Deploy) -> None:
    """While the request is in flight, no process's argv holds the token (the card put it there)."""
    import os

    deploy.fake.delay = 3
    running = deploy.start()
    deploy.sandbox.wait_for(deploy.fake.received.is_set, 60, "the deploy request", running)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                assert deploy.token.encode() not in f.read(), f"process {pid} has the token in its arguments"
        except OSError:
            continue
    expect_success(running.finish(60))


# --------------------------------------------------------------------------- defect 6: slow and huge answers


def says_deadline(line: str) -> bool:
    return any(word in line.lower() for word in ("deadline", "timeout", "timed out", "within"))


def test_a_server_that_drips_its_answer_meets_a_total_deadline(deploy: Deploy) -> None:
    deploy.sandbox.set_config("tool.dockyard.caprover", "timeout", "1")
    deploy.fake.drip_seconds = 0.25  # a ~60-byte answer: 15 s, each byte well within the 1 s timeout
    result = deploy.run(timeout=60)
    line = expect_failure(result)
    assert says_deadline(line), line
    assert [e["result"] for e in deploy.new_entries()] == ["unknown"]


def test_a_huge_answer_is_cut_off_with_bounded_memory(deploy: Deploy) -> None:
    baseline = deploy.run(measure_rss=True)
    expect_success(baseline)
    deploy.fake.body_bytes = 300 * 1024 * 1024
    result = deploy.run(measure_rss=True, timeout=120)
    expect_failure(result)
    assert result.max_rss_kb is not None and baseline.max_rss_kb is not None
    grew_mb = (result.max_rss_kb - baseline.max_rss_kb) / 1024
    assert grew_mb < 64, f"the run used {grew_mb:.0f} MB more than a normal deploy for a 300 MB answer"
    assert len(deploy.new_entries()) == 2


def test_a_server_that_never_answers(deploy: Deploy) -> None:
    deploy.sandbox.set_config("tool.dockyard.caprover", "timeout", "1")
    deploy.fake.delay = 30
    result = deploy.run(timeout=60)
    line = expect_failure(result)
    assert says_deadline(line), line
    assert [e["result"] for e in deploy.new_entries()] == ["unknown"]


def test_a_server_that_closes_after_the_request(deploy: Deploy) -> None:
    deploy.fake.drop_connection = True
    result = deploy.run()
    expect_failure(result, "may have started")
    assert [e["result"] for e in deploy.new_entries()] == ["unknown"]
    deploy.assert_token_nowhere(result)


@pytest.mark.parametrize("status", [500, 502, 504, 404])
def test_a_server_error_status(deploy: Deploy, status: int) -> None:
    deploy.fake.http_status = status
    result = deploy.run()
    expect_failure(result, str(status))
    assert len(deploy.new_entries()) == 1


def test_a_redirect_is_not_followed(deploy: Deploy, token: str) -> None:
    with FakeCapRover(apps={"refsite-web": token}) as elsewhere:
        deploy.fake.redirect_to = elsewhere.url + "/api/v2/user/apps/appData/refsite-web"
        result = deploy.run()
        expect_failure(result, "redirect")
        assert not elsewhere.requests, "the redirect was followed (with the token)"


def test_nothing_answers_at_the_url(deploy: Deploy) -> None:
    deploy.env["CAPROVER_URL"] = "http://127.0.0.1:9"
    result = deploy.run()
    expect_failure(result, "cannot reach")
    assert [e["result"] for e in deploy.new_entries()] == ["failed"]


# --------------------------------------------------------------------------- defect 7: interrupted, unwritable


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_deploy_interrupted_after_sending_is_recorded_as_unknown(deploy: Deploy, signum: int) -> None:
    deploy.fake.delay = 30
    running = deploy.start()
    deploy.sandbox.wait_for(deploy.fake.received.is_set, 60, "the deploy request", running)
    running.signal(signum, group=signum == signal.SIGINT)
    result = running.finish(30)
    expect_failure(result, code=128 + signum)
    assert [e["result"] for e in deploy.new_entries()] == ["unknown"]


@pytest.mark.parametrize("history", ["pyproject.toml/deploy-history.jsonl", "fifo"])
def test_an_unwritable_history_stops_the_deploy_before_sending(deploy: Deploy, history: str) -> None:
    import os

    if history == "fifo":
        deploy.sandbox.history_path.unlink()
        os.mkfifo(deploy.sandbox.history_path)
    else:
        deploy.sandbox.set_config("tool.dockyard.caprover", "history_file", json.dumps(history))
    result = deploy.run(timeout=20)
    expect_failure(result, "history")
    assert not deploy.fake.requests, "the deploy was sent although it could not be recorded"


# --------------------------------------------------------------------------- what the server says, shown safely


@pytest.mark.parametrize("where", ["success", "error"])
def test_terminal_escapes_from_the_server_never_reach_the_terminal(deploy: Deploy, where: str) -> None:
    if where == "success":
        deploy.fake.description = f"Deploy {ESCAPES} is started"
    else:
        deploy.fake.status = (1000, f"nope {ESCAPES}")
    result = deploy.run()
    assert_no_traceback(result)
    assert_no_ansi(result)


@pytest.mark.parametrize("where", ["success", "error"])
def test_markup_from_the_server_is_printed_literally(deploy: Deploy, where: str) -> None:
    text = "[/] [bold red]x[/]"
    if where == "success":
        deploy.fake.description = text
        result = deploy.run()
        expect_success(result)
    else:
        deploy.fake.status = (1000, text)
        result = deploy.run()
        expect_failure(result)
    assert text in result.output, result.describe()
