"""Bad command-line arguments, without the engine: help where help is asked for, one `error:` line
naming the option for a bad value, and no engine contact before the arguments are checked.

Decisions written down in docs/reliability.md:
* `--help`/`-h` anywhere after a task name shows that task's help (exit 0), also for tasks with a
  positional argument;
* a count, a port, a uid or a number of seconds must be a whole/real number in range: text, a
  negative number (and 0 for `--limit`) is an error naming the option;
* a list option that names nothing (`--targets ''`, `--images ',,,'`) is an error, never "all" or
  "none";
* an unknown option, an unknown task or a missing positional argument is one `error:` line too.
"""

from __future__ import annotations

import re

import pytest
from faults.harness import Sandbox, expect_failure, expect_success

OWN = "issue 14 (fault suite): "


# --------------------------------------------------------------------------- --help


POSITIONAL_TASKS = ["deploy", "troubleshoot.beat", "troubleshoot.container", "troubleshoot.size",
                    "troubleshoot.build", "rollback.full", "build.targets"]


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("task", POSITIONAL_TASKS)
def test_help_after_a_task_with_a_positional_argument(sandbox: Sandbox, task: str, flag: str) -> None:
    result = sandbox.invoke(task, flag)
    expect_success(result)
    assert f"Usage: inv[oke] [--core-opts] {task}" in result.stdout, result.describe()
    assert sandbox.tripwire.connections == 0


@pytest.mark.parametrize("task", ["rollback.history", "test.web", "prune", "lint", "build.web"])
def test_help_after_a_task_without_positional_arguments(sandbox: Sandbox, task: str) -> None:
    result = sandbox.invoke(task, "--help")
    expect_success(result)
    assert f"Usage: inv[oke] [--core-opts] {task}" in result.stdout, result.describe()


def task_names(listing: dict, prefix: str = "") -> list[str]:
    names = [prefix + t["name"] for t in listing["tasks"]]
    for sub in listing["collections"]:
        names += task_names(sub, prefix + sub["name"] + ".")
    return names


def test_every_task_has_help_with_every_option_described(sandbox: Sandbox) -> None:
    """`invoke --list` names every task, and each task's --help describes each of its options."""
    import json

    listing = sandbox.invoke("--list", "--list-format", "json")
    expect_success(listing)
    tasks = task_names(json.loads(listing.stdout))
    assert len(tasks) >= 20, listing.describe()
    for task in tasks:
        shown = sandbox.invoke("--help", task)
        expect_success(shown)
        assert "Docstring:" in shown.stdout and "none" not in shown.stdout.split("Docstring:")[1][:10], task
        # an option's own line is indented by two spaces; deeper lines continue its help text
        options = [line.strip() for line in shown.stdout.splitlines() if re.match(r"  -", line)]
        undocumented = [line for line in options if len(re.split(r"\s{2,}", line)) < 2]
        assert not undocumented, f"{task}: options without help: {undocumented}"


# --------------------------------------------------------------------------- numbers


NUMBER_OPTIONS = [
    ("rollback.history --limit", []),
    ("test.web --port", []),
    ("test.web --timeout", []),
    ("test.celery --timeout", []),
    ("test.compose --timeout", []),
    ("test.security --uid", []),
    ("test.health --wait", []),
    ("troubleshoot.container some-name --lines", []),
    ("troubleshoot.beat some-name --wait", []),
]


@pytest.mark.parametrize("command", [c for c, _ in NUMBER_OPTIONS], ids=lambda c: c.replace(" some-name", ""))
def test_a_number_option_given_text(sandbox: Sandbox, command: str) -> None:
    *words, option = command.split()
    result = sandbox.invoke(*words, option, "abc")
    expect_failure(result, option, "abc")
    assert sandbox.tripwire.connections == 0


OUT_OF_RANGE = [
    pytest.param("rollback.history --limit", "0", id="history-limit-0"),
    pytest.param("rollback.history --limit", "-1", id="history-limit-negative"),
    pytest.param("test.web --port", "99999", id="web-port-too-big"),
    pytest.param("test.web --port", "-1", id="web-port-negative"),
    pytest.param("test.web --timeout", "-1", id="web-timeout-negative"),
    pytest.param("test.celery --timeout", "0", id="celery-timeout-0"),
    pytest.param("test.compose --timeout", "-5", id="compose-timeout-negative"),
    pytest.param("test.security --uid", "-1", id="security-uid-negative"),
    pytest.param("test.health --wait", "-1", id="health-wait-negative"),
    pytest.param("troubleshoot.container some-name --lines", "-5", id="container-lines-negative"),
]


@pytest.mark.parametrize("command, value", OUT_OF_RANGE)
def test_a_number_option_out_of_range(sandbox: Sandbox, command: str, value: str) -> None:
    *words, option = command.split()
    result = sandbox.invoke(*words, option, value)
    expect_failure(result, option)
    assert sandbox.tripwire.connections == 0, "the engine was contacted before the option was checked"


# --------------------------------------------------------------------------- lists and names


@pytest.mark.parametrize("value", ["", ",", " , "])
def test_build_targets_that_name_nothing(sandbox: Sandbox, value: str) -> None:
    result = sandbox.invoke("build.targets", "--targets", value)
    expect_failure(result, "--targets")
    assert sandbox.tripwire.connections == 0, "the engine was contacted for an empty target list"


@pytest.mark.parametrize("value", [",,,", " ", ", ,"])
def test_security_images_that_name_nothing(sandbox: Sandbox, value: str) -> None:
    expect_failure(sandbox.invoke("test.security", "--images", value), "--images")


def test_build_with_an_illegal_tag(sandbox: Sandbox) -> None:
    result = sandbox.invoke("build.web", "--tag", "bad tag!")
    expect_failure(result, "bad tag!")
    assert sandbox.tripwire.connections == 0


@pytest.mark.parametrize(
    "args, facts",
    [
        pytest.param(["build.web", "--progress", "fancy"], ("--progress",), id="build-progress"),
        pytest.param(["prune", "--keep-storage", "lots"], ("lots",), id="prune-keep-storage"),
        pytest.param(["prune", "--filter", "until=soon"], ("soon",), id="prune-filter-duration"),
        pytest.param(["prune", "--filter", "nonsense"], ("nonsense",), id="prune-filter-shape"),
        pytest.param(["prune", "--include-deployed"], ("--images",), id="prune-include-deployed-alone"),
        pytest.param(["deploy", "web", "--tag", "bad tag"], ("bad tag",), id="deploy-tag"),
        pytest.param(["deploy", "nosuch", "--tag", "abc1234"], ("nosuch",), id="deploy-service"),
        pytest.param(["deploy", "web"], ("--tag",), id="deploy-without-tag"),
        pytest.param(["rollback.full", "no-such-ref", "--dry-run"], ("no-such-ref",), id="full-unknown-ref"),
    ],
)
def test_a_bad_value_checked_before_anything_else(sandbox: Sandbox, args: list[str], facts: tuple[str, ...]) -> None:
    result = sandbox.invoke(*args, env={"CAPROVER_URL": "http://127.0.0.1:9", "CAPROVER_APP_TOKEN": "t"})
    expect_failure(result, *facts)
    assert sandbox.tripwire.connections == 0


@pytest.mark.parametrize(
    "args, facts",
    [
        pytest.param(["test.web", "--nope"], ("--nope",), id="unknown-option"),
        pytest.param(["no.such.task"], ("no.such.task",), id="unknown-task"),
        pytest.param(["deploy"], ("service",), id="missing-positional"),
        pytest.param(["rollback.history", "--limit"], ("--limit",), id="option-without-value"),
    ],
)
def test_a_command_line_invoke_cannot_parse(sandbox: Sandbox, args: list[str], facts: tuple[str, ...]) -> None:
    expect_failure(sandbox.invoke(*args), *facts)


# --------------------------------------------------------------------------- CapRover URL and token


URL_ENV = {"CAPROVER_APP_TOKEN": "token-for-url-tests"}


@pytest.mark.parametrize(
    "url, command",
    [
        pytest.param("http://[::1", "deploy web --tag abc1234 --dry-run", id="bracket-deploy"),
        pytest.param("http://[::1", "rollback.quick --dry-run", id="bracket-quick"),
        pytest.param("http://127.0.0.1:99999", "deploy web --tag abc1234 --dry-run", id="port-deploy"),
        pytest.param("http://127.0.0.1:99999", "rollback.history", id="port-history"),
        pytest.param("ftp://captain.example.com", "deploy web --tag abc1234 --dry-run", id="scheme"),
        pytest.param("captain.example.com", "deploy web --tag abc1234 --dry-run", id="no-scheme"),
    ],
)
def test_a_malformed_caprover_url(sandbox: Sandbox, url: str, command: str) -> None:
    sandbox.write_history([_entry("aaaa1111"), _entry("bbbb2222")])
    result = sandbox.invoke(*command.split(), env={**URL_ENV, "CAPROVER_URL": url})
    expect_failure(result, "URL")
    assert sandbox.tripwire.connections == 0


def test_a_url_with_credentials_is_refused_without_printing_them(sandbox: Sandbox) -> None:
    from faults.harness import assert_no_secret

    result = sandbox.invoke("deploy", "web", "--tag", "abc1234", "--dry-run",
                            env={**URL_ENV, "CAPROVER_URL": "https://admin:S3cretPW@captain.example.com"})
    expect_failure(result, "credentials")
    assert_no_secret("S3cretPW", result, sandbox.files_written())


@pytest.mark.parametrize(
    "make, facts",
    [
        pytest.param(lambda p: None, ("does not exist",), id="missing"),
        pytest.param(lambda p: p.mkdir(), ("token",), id="directory"),
        pytest.param(lambda p: p.write_bytes(b"\xff\xfe tok\n"), ("token",), id="not-utf8"),
        pytest.param(lambda p: p.write_text("\n\n"), ("token",), id="empty"),
        pytest.param(lambda p: p.write_text("celery-unified=abc\n"), ("web",), id="no-line-for-the-service"),
        pytest.param(lambda p: __import__("os").mkfifo(p), ("token",), id="fifo"),
    ],
)
def test_a_bad_token_file(sandbox: Sandbox, make, facts: tuple[str, ...]) -> None:  # noqa: ANN001
    path = sandbox.root / "caprover-token"
    make(path)
    result = sandbox.invoke("deploy", "web", "--tag", "abc1234", "--dry-run", timeout=5,
                            env={"CAPROVER_URL": "http://127.0.0.1:9", "CAPROVER_APP_TOKEN_FILE": str(path)})
    expect_failure(result, *facts)
    assert sandbox.tripwire.connections == 0


def _entry(sha: str, **fields: str) -> dict:
    return {"v": 1, "time": "2024-11-21T10:00:00.000000Z", "service": "web", "app": "refsite-web",
            "image": f"dockyard.local/refsite-web:{sha}", "sha": sha, "result": "accepted", "action": "deploy",
            "detail": "Deploy is started", "server": "http://127.0.0.1:9", **fields}
