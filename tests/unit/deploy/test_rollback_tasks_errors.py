"""`invoke rollback.*` / `invoke deploy` failures before any image or server is involved:
one `error:` line on stderr, a non-zero exit, no traceback, the history untouched."""

from __future__ import annotations

import pytest
from support.dockyard_cli import clean_env, invoke, write_project

from dockyard.deploy import history


def recorded(project, *shas, service="web"):
    path = project / ".dockyard" / "deploy-history.jsonl"
    for sha in shas:
        history.append(
            path,
            history.Entry(
                time=history.now(),
                service=service,
                app="refsite-web",
                image=f"reg/web:{sha}",
                sha=sha,
                result=history.ACCEPTED,
            ),
        )
    return path


def one_error_line(proc, expected: str) -> None:
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[-1] == expected, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path / "site")  # the card's services: web and celery-unified have apps


def test_quick_without_history(project):
    proc = invoke(
        project, "rollback.quick", "--dry-run", env=clean_env(CAPROVER_URL="http://127.0.0.1:9")
    )
    one_error_line(
        proc,
        f"error: no deploys recorded in {project}/.dockyard/deploy-history.jsonl: nothing to roll "
        f"back to (deploys made with `invoke deploy` are recorded)",
    )


def test_quick_with_an_unknown_sha_leaves_the_history_as_it_was(project):
    path = recorded(project, "aaaa1111", "bbbb2222")
    before = path.read_bytes()
    proc = invoke(
        project,
        "rollback.quick",
        "--to",
        "cccc",
        "--yes",
        env=clean_env(CAPROVER_URL="http://127.0.0.1:9"),
    )
    one_error_line(
        proc,
        "error: cccc is not a successful deploy of web in the history (known, newest first: "
        "bbbb2222, aaaa1111); to deploy any other build use `invoke deploy web --tag SHA`",
    )
    assert path.read_bytes() == before


def test_quick_without_a_token_names_the_variables(project):
    recorded(project, "aaaa1111", "bbbb2222")
    proc = invoke(
        project, "rollback.quick", "--yes", env=clean_env(CAPROVER_URL="http://127.0.0.1:9")
    )
    one_error_line(
        proc,
        "error: no CapRover app token for web (refsite-web): set CAPROVER_APP_TOKEN_WEB or "
        "CAPROVER_APP_TOKEN, or point CAPROVER_APP_TOKEN_FILE at a file holding it",
    )


def test_quick_without_a_url(project):
    recorded(project, "aaaa1111", "bbbb2222")
    proc = invoke(project, "rollback.quick", "--yes", env=clean_env(CAPROVER_APP_TOKEN="x"))
    one_error_line(proc, "error: no CapRover URL: set CAPROVER_URL or [tool.dockyard.caprover] url")


def test_torn_history_is_reported_and_the_rest_still_used(project):
    path = recorded(project, "aaaa1111")
    with open(path, "ab") as f:
        f.write(b'{"time":"2024-11-21T10:00:00Z","serv')
    proc = invoke(project, "rollback.history", env=clean_env())
    assert proc.returncode == 0, proc.stderr
    assert (
        "skipped a torn last line (an interrupted write); earlier entries are intact" in proc.stderr
    )
    assert "aaaa1111" in proc.stdout
    proc = invoke(
        project, "rollback.quick", "--dry-run", env=clean_env(CAPROVER_URL="http://127.0.0.1:9")
    )
    one_error_line(
        proc, "error: web has one successful deploy (aaaa1111) and nothing earlier to roll back to"
    )


def test_deploy_with_a_bad_tag_or_service(project):
    env = clean_env(CAPROVER_URL="http://127.0.0.1:9", CAPROVER_APP_TOKEN="x")
    one_error_line(
        invoke(project, "deploy", "web", "--tag", "bad tag", env=env),
        "error: 'bad tag' is not a valid image tag (letters, digits, '_', '.', '-'; at most 128)",
    )
    one_error_line(
        invoke(project, "deploy", "flower", "--tag", "abc", env=env),
        "error: no CapRover app for service 'flower' (configured: celery-unified, web); "
        'add `app = "..."` under [tool.dockyard.services.flower]',
    )
    assert not (project / ".dockyard" / "deploy-history.jsonl").exists()


def test_full_with_an_unknown_ref(project):
    proc = invoke(project, "rollback.full", "no-such-ref", "--dry-run", env=clean_env())
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert (
        proc.stderr.strip().splitlines()[-1].startswith("error: 'no-such-ref' is not a commit in")
    )


def test_push_to_a_registry_that_does_not_answer_names_it_and_how_to_start_it(project):
    proc = invoke(project, "push", "--tag", "3f2a9c0d", env=clean_env(DOCKYARD_REGISTRY="127.0.0.1:9"))
    one_error_line(
        proc,
        "error: registry 127.0.0.1:9 does not answer (Connection refused); "
        "start it with: bash deployment/host/ensure-registry.sh",
    )


def test_a_stage_deploy_needs_a_stage_service_and_a_known_target(project):
    proc = invoke(project, "deploy", "web", "--tag", "3f2a9c0d", "--target", "moon")
    one_error_line(proc, "error: --target must be 'caprover' or 'stage', not 'moon'")
