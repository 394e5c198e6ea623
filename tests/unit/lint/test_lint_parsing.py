"""The parsers under the rules: stages, shell commands, .dockerignore, image refs, compose."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.core.imageref import parse_ref
from dockyard.dockerfile.compose import interpolate, load_compose
from dockyard.dockerfile.expand import expand
from dockyard.dockerfile.graph import StageGraph
from dockyard.dockerfile.parser import DockerfileSyntaxError, parse_dockerfile_text
from dockyard.dockerfile.shell import path_covers, split_commands
from dockyard.lint.commands import celery_worker, commands_of, is_http_probe, role, supervisord_programs, uwsgi_uid
from dockyard.lint.dockerignore import DockerIgnore, find_dockerignore, parse

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE_IMAGE=python:3.11-slim-bookworm
ARG UNSET
FROM ${BASE_IMAGE} AS Base
WORKDIR /code
ENV A=1 \\
    B="two words"
USER app

FROM base AS web
COPY --from=base --chown=app:app /code /srv
RUN --mount=type=cache,target=/root/.npm --mount=from=base,source=/x,target=/y true
HEALTHCHECK CMD curl -f http://127.0.0.1/ || exit 1
CMD ["gunicorn", "x"]

FROM web AS worker
ENTRYPOINT ["docker-entrypoint.sh"]
"""


def graph(args=None) -> StageGraph:
    return StageGraph(parse_dockerfile_text(DOCKERFILE, Path("Dockerfile")), args)


def test_stages_lines_and_names_follow_buildkit() -> None:
    dockerfile = parse_dockerfile_text(DOCKERFILE, Path("Dockerfile"))
    assert dockerfile.stage_names == ["base", "web", "worker"]  # names compare lower-case
    assert [s.line for s in dockerfile.stages] == [4, 10, 16]
    assert dockerfile.stage("BASE") is dockerfile.stages[0] and dockerfile.stage("2") is dockerfile.stages[2]
    env = dockerfile.stages[0].instructions[1]
    assert (env.cmd, env.line, env.end_line) == ("ENV", 6, 7)
    assert dockerfile.stage_at(12).name == "web"


def test_graph_lineage_copy_edges_and_image_config() -> None:
    g = graph()
    base, web, worker = g.dockerfile.stages
    assert g.base_ref(base) == "python:3.11-slim-bookworm"
    assert g.lineage(worker) == [base, web, worker]
    edges = g.copy_edges(web)
    assert [(e.source_stage, e.paths) for e in edges] == [(base, ("/code",)), (base, ())]
    config = g.image_config(worker)
    assert config.user == "app" and config.workdir == "/code"
    assert config.env == {"A": "1", "B": "two words"}
    assert config.healthcheck_stage is web and config.has_healthcheck
    assert config.cmd is None  # an ENTRYPOINT in a child stage resets the inherited CMD, as BuildKit does
    assert config.entrypoint.value == ("docker-entrypoint.sh",)
    assert g.image_config(web).cmd.value == ("gunicorn", "x")


def test_build_args_override_global_defaults() -> None:
    assert (
        graph({"BASE_IMAGE": "dockyard-local/python:3.11-bookworm"}).base_ref(graph().dockerfile.stages[0])
        == "dockyard-local/python:3.11-bookworm"
    )


def test_syntax_errors_carry_a_line() -> None:
    with pytest.raises(DockerfileSyntaxError) as caught:
        parse_dockerfile_text("FROM x\nRUN <<EOF\nunterminated\n", Path("Dockerfile"))
    assert "heredoc" in str(caught.value)
    with pytest.raises(DockerfileSyntaxError) as caught:
        parse_dockerfile_text("RUN true\nFROM x\n", Path("Dockerfile"))
    assert caught.value.line == 1


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A}", {"A": "1"}, "1"),
        ("$A/x", {"A": "1"}, "1/x"),
        ("${A:-d}", {}, "d"),
        ("${A:-d}", {"A": ""}, "d"),
        ("${A-d}", {"A": ""}, ""),
        ("${A:+alt}", {"A": "1"}, "alt"),
        ("${A:+alt}", {}, ""),
        ("${MISSING}x", {}, "x"),
    ],
)
def test_variable_expansion(text: str, env: dict, expected: str) -> None:
    assert expand(text, env) == expected


def test_split_commands_handles_operators_assignments_wrappers_and_continuations() -> None:
    commands = split_commands(
        "cd /srv && NODE_ENV=production npm ci --omit=dev || true; exec gosu app celery -A x "
        "worker -B 2>&1 | tee log\n"
        "echo 'a && b' \\\n  --flag  # a comment"
    )
    assert [c.words for c in commands] == [
        ["cd", "/srv"],
        ["npm", "ci", "--omit=dev"],
        ["true"],
        ["celery", "-A", "x", "worker", "-B"],
        ["tee", "log"],
        ["echo", "a && b", "--flag"],
    ]
    assert commands[1].env == {"NODE_ENV": "production"}
    assert commands[3].program == "celery"


def test_celery_worker_options() -> None:
    def worker(text: str):
        return celery_worker(split_commands(text)[0])

    assert worker("celery --app config.celery worker --beat --pool gevent").__dict__ == {
        "beat": True,
        "pool": "gevent",
    }
    assert worker("python -m celery -A x worker -B -Peventlet").pool == "eventlet"
    assert worker("celery -A x worker --pool=threads").beat is False
    assert worker("celery -A x worker -BE").beat is True
    assert worker("celery -A x beat") is None
    assert worker("celery -A x flower") is None


def test_roles_of_commands() -> None:
    def roles(value) -> list:
        return [role(c) for c in commands_of(value)]

    assert roles(["gunicorn", "config.wsgi"]) == ["web"]
    assert roles("celery --app config.celery flower --port=5555") == ["flower"]
    assert roles(["celery", "--app", "config.celery", "worker", "--beat"]) == ["worker"]
    assert roles("celery -A x -b redis://r beat -l INFO") == ["beat"]
    assert roles(["sh", "-c", "python manage.py migrate && exec celery -A x worker"]) == [None, "worker"]
    assert roles("python manage.py runserver 0.0.0.0:8000") == ["web"]
    assert roles(["python", "-m", "debugpy", "--listen", "0.0.0.0:5678", "manage.py", "runserver"]) == ["web"]
    assert roles("nginx -g 'daemon off;'") == ["proxy"]
    assert roles(["docker-entrypoint.sh"]) == [None]


def test_supervisord_programs_and_uwsgi_uid() -> None:
    conf = "[supervisord]\nuser=root\n\n[program:web]\ncommand=gunicorn x\nuser=app\n[program:nginx]\ncommand=nginx\n"
    assert supervisord_programs(conf) == [("web", 5, "gunicorn x", "app"), ("nginx", 8, "nginx", None)]
    assert uwsgi_uid("[uwsgi]\nmodule = x\nuid = app\n") == "app"
    assert uwsgi_uid("[other]\nuid = app\n") is None


def test_http_probe_detection() -> None:
    assert is_http_probe({"test": ["CMD-SHELL", "curl -f http://127.0.0.1/health/ || exit 1"]})
    assert is_http_probe({"test": "wget -qO- localhost:80/health/"})
    assert not is_http_probe({"test": ["CMD", "celery", "inspect", "ping"]})
    assert not is_http_probe(None)


@pytest.mark.parametrize(
    ("patterns", "path", "excluded"),
    [
        ("**\n!app/\n**/.env", "app/main.py", False),
        ("**\n!app/\n**/.env", "app/.env", True),
        ("**\n!app/\n**/.env", ".git/config", True),
        (".git", ".git/HEAD", True),  # a directory pattern excludes what is below it
        ("/.env", ".env", True),  # a leading slash is dropped
        ("*.env", "app/x.env", False),  # * does not cross /
        ("**/*.env", "app/x.env", True),
        (".env*\n!.env.example", ".env.example", False),  # the last match wins
        (".env*\n!.env.example", ".env.local", True),
        ("# comment\n\n.git", ".git", True),
        ("app/[a-c]*.py", "app/b.py", True),
    ],
)
def test_dockerignore_matching(patterns: str, path: str, excluded: bool) -> None:
    assert DockerIgnore(None, parse(patterns)).excludes(path) is excluded


def test_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text(".git\n", encoding="utf-8")
    dockerfile = tmp_path / "deployment" / "Dockerfile.multistage"
    dockerfile.parent.mkdir()
    dockerfile.write_text("FROM x\n", encoding="utf-8")
    assert find_dockerignore(tmp_path, dockerfile).path == tmp_path / ".dockerignore"
    specific = dockerfile.with_name("Dockerfile.multistage.dockerignore")
    specific.write_text(".env\n", encoding="utf-8")
    ignore = find_dockerignore(tmp_path, dockerfile)
    assert ignore.path == specific and ignore.excludes(".env") and not ignore.excludes(".git")
    assert find_dockerignore(tmp_path / "deployment", None).path is None


@pytest.mark.parametrize(
    ("ref", "repository", "tag", "floating"),
    [
        ("python", "python", None, True),
        ("python:latest", "python", "latest", True),
        ("python:3.11-slim-bookworm", "python", "3.11-slim-bookworm", False),
        ("localhost:5000/redis", "localhost:5000/redis", None, True),
        ("localhost:5000/redis:7", "localhost:5000/redis", "7", False),
        ("python@sha256:abc", "python", None, False),
    ],
)
def test_image_refs(ref: str, repository: str, tag: str | None, floating: bool) -> None:
    parsed = parse_ref(ref)
    assert (parsed.repository, parsed.tag, parsed.floating) == (repository, tag, floating)


def test_path_covers() -> None:
    assert path_covers("/code", "/code/node_modules")
    assert path_covers("/", "/anything")
    assert not path_covers("/code/static", "/code/node_modules")
    assert path_covers("/code/*", "/code/node_modules")
    assert not path_covers("/cod", "/code/node_modules")


def test_compose_lines_and_interpolation(tmp_path: Path) -> None:
    path = tmp_path / "docker-compose.yml"
    path.write_text(
        "x-env: &env\n  A: 1\nservices:\n  web:\n    image: ${IMG:-example/web:1}\n    "
        "environment:\n      <<: *env\n"
        "    depends_on:\n      - db\n  db:\n    image: postgres:15\n    deploy:\n      replicas: "
        "2\n",
        encoding="utf-8",
    )
    compose = load_compose(path)
    web = compose.services["web"]
    assert web.line == 4 and web.line_of("image") == 5
    assert web.image == interpolate("${IMG:-example/web:1}", {}) == "example/web:1"
    assert [(d.service, d.condition, d.line) for d in web.depends_on] == [("db", None, 9)]
    assert compose.services["db"].replicas == 2
    assert interpolate("$$HOME ${X-a} ${X:-b}", {"X": ""}) == "$HOME  b"
