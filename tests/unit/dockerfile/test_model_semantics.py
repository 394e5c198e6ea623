"""What the Dockerfile model says each instruction runs with: ARG/ENV scope, the effective user
across FROM inheritance, --from edges (later stages too), cycles, context files, bake matrices,
and the compose model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.tools import buildx_available

from dockyard.dockerfile.bake import load_bake
from dockyard.dockerfile.compose import load_compose, same_image
from dockyard.dockerfile.files import ImageFiles
from dockyard.dockerfile.graph import StageCycle, StageGraph, find_cycle_edge, refuse_cycles
from dockyard.dockerfile.parser import parse_dockerfile_text
from dockyard.dockerfile.shell import SUBSTITUTION, script_commands, split_commands

DOCKERFILE = """\
ARG APP_HOME=/srv/app
ARG UNUSED=x
FROM python:3.12-slim-bookworm AS base
ARG APP_HOME
ENV APP_HOME=${APP_HOME}
RUN useradd --uid 1000 app
USER app
WORKDIR ${APP_HOME}

FROM base AS build
RUN echo "${APP_HOME} ${UNUSED}"
USER root
RUN echo as root

FROM base AS web
COPY --from=build ${APP_HOME}/dist /opt/dist/
COPY start.sh /usr/local/bin/start
COPY . .
"""


def graph(text: str = DOCKERFILE) -> StageGraph:
    return StageGraph(parse_dockerfile_text(text, Path("Dockerfile")))


def test_scope_follows_buildkit_arg_env_rules() -> None:
    g = graph()
    base, build, web = g.dockerfile.stages
    states = g.stage_states(build)
    # a global ARG is visible in a stage only when the stage declares it; ENV is inherited
    assert states[0].scope.get("APP_HOME") == "/srv/app" and "UNUSED" not in states[0].scope
    assert states[0].expand("${APP_HOME}/x ${UNUSED}") == "/srv/app/x "
    assert g.stage_states(web)[-1].workdir == "/srv/app"


def test_effective_user_is_inherited_through_from() -> None:
    g = graph()
    base, build, web = g.dockerfile.stages
    first, set_root, after = g.stage_states(build)
    assert first.user == "app" and first.user_instruction.line == 7 and not first.as_root
    assert set_root.user == "root" and after.as_root
    assert all(state.user == "app" for state in g.stage_states(web))  # build's USER root stays in build
    assert g.image_config(web).user == "app" and g.image_config(build).user == "root"


def test_copy_from_paths_are_expanded_in_the_stage_scope() -> None:
    g = graph()
    web = g.dockerfile.stages[2]
    (edge,) = g.copy_edges(web)
    assert edge.paths == ("/srv/app/dist",) and edge.destination == "/opt/dist/"
    assert edge.source_stage.name == "build" and not edge.forward


CYCLE = """\
FROM python:3.12-slim-bookworm AS base
FROM base AS compile
COPY --from=release /srv/requirements.txt ./
FROM compile AS release
"""


def test_a_later_stage_is_a_stage_not_an_image_and_its_cycle_is_refused() -> None:
    g = graph(CYCLE)
    compile_stage = g.dockerfile.stages[1]
    (edge,) = g.copy_edges(compile_stage)
    assert edge.source_stage.name == "release" and edge.source_image is None and edge.forward
    found = find_cycle_edge(g)
    assert found.stages == ["compile", "release", "compile"] and found.edge.instruction.line == 3
    with pytest.raises(StageCycle) as refused:
        refuse_cycles(g.dockerfile)
    assert refused.value.line == 3 and "compile -> release -> compile" in str(refused.value)
    refuse_cycles(graph().dockerfile)  # no cycle: nothing raised


def test_image_files_map_image_paths_to_the_context(tmp_path: Path) -> None:
    (tmp_path / "start.sh").write_text("#!/bin/sh\nexec gunicorn x\n", encoding="utf-8")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "wait.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    g = graph()
    files = ImageFiles(g, g.dockerfile.stages[2], tmp_path)
    assert files.source_of("/usr/local/bin/start") == tmp_path / "start.sh"
    assert files.source_of("/srv/app/scripts/wait.sh") == tmp_path / "scripts" / "wait.sh"
    assert files.find_program("start", "/srv/app", None) == ("/usr/local/bin/start", tmp_path / "start.sh")
    assert files.find_program("scripts/wait.sh", "/srv/app", None)[1] == tmp_path / "scripts" / "wait.sh"
    assert files.source_of("/etc/passwd") is None
    excluded = ImageFiles(g, g.dockerfile.stages[2], tmp_path, lambda relpath: relpath.startswith("scripts"))
    assert excluded.source_of("/srv/app/scripts/wait.sh") is None
    assert sorted(p for p, _ in files.under("/srv/app/scripts")) == ["/srv/app/scripts/wait.sh"]


def test_shell_reading() -> None:
    commands = split_commands("apt-get install -y libpq5 `# at run time` gettext && rm -rf /var/lib/apt/lists/*")
    assert [c.words for c in commands] == [
        ["apt-get", "install", "-y", "libpq5", "gettext"],
        ["rm", "-rf", "/var/lib/apt/lists/*"],
    ]
    (cd, _) = split_commands('cd "$(npm root -g)/npm" && npm install ip')
    assert cd.words == ["cd", f"{SUBSTITUTION}/npm"]
    drops = {
        "exec gosu app gunicorn x": "app",
        "exec su-exec app:app gunicorn x": "app:app",
        "exec s6-setuidgid site celery -A x worker": "site",
        "chpst -u app gunicorn x": "app",
        "setpriv --reuid=1000 --regid=1000 --init-groups gunicorn x": "1000",
        "runuser -u app -- gunicorn x": "app",
        "exec /sbin/tini -- gunicorn x": None,
    }
    for text, user in drops.items():
        (command,) = split_commands(text)
        assert (command.program, command.runs_as) == ("gunicorn" if "gunicorn" in text else "celery", user), text
    script = '#!/bin/sh\nset -e\npython <<END\nimport sys\nEND\nuntil pg_isready; do\n  sleep 1\ndone\nexec "$@"\n'
    assert [(line, c.words) for line, c in script_commands(script)] == [
        (2, ["set", "-e"]),
        (3, ["python"]),
        (6, ["pg_isready"]),
        (7, ["sleep", "1"]),
        (9, ["$@"]),
    ]


MATRIX = """\
variable "TAG" {
  default = "dev"
}
group "default" {
  targets = ["app"]
}
target "app" {
  name       = "app-${tgt}"
  matrix = {
    tgt = ["web", "worker"]
  }
  dockerfile = "Dockerfile"
  target     = tgt
  tags       = ["registry.example.org/${tgt}:${TAG}"]
}
target "items" {
  name   = "x-${item.name}"
  matrix = {
    item = [{ name = "a", stage = "web" }]
  }
  target = item.stage
}
"""
PARSERS = [pytest.param("buildx", marks=pytest.mark.skipif(not buildx_available(), reason="no buildx")), "hcl2"]


@pytest.mark.parametrize("parser", PARSERS)
def test_bake_matrix_expands_to_its_targets(tmp_path: Path, parser: str, monkeypatch) -> None:
    monkeypatch.delenv("TAG", raising=False)
    path = tmp_path / "docker-bake.hcl"
    path.write_text(MATRIX, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "TAG"}
    bake = load_bake(path, parser=parser, cwd=tmp_path, env=env)
    assert sorted(bake.targets) == ["app-web", "app-worker", "x-a"]  # no phantom `app` or `default`
    web = bake.targets["app-web"]
    assert (web.stage, web.tags, web.block, web.line, web.line_of("target")) == (
        "web",
        ["registry.example.org/web:dev"],
        "app",
        7,
        13,
    )
    assert bake.targets["x-a"].stage == "web"
    assert bake.resolve(["default"]) == ["app-web", "app-worker"]


def test_compose_model(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(
        "x-env: &env\n"
        "  DATABASE_URL: postgres://app:${POSTGRES_PASSWORD:-app}@db/app\n"
        "services:\n"
        "  web:\n"
        "    build: .\n"
        "    image: site-web\n"
        "    user: '1000:1000'\n"
        "    environment:\n"
        "      <<: *env\n"
        "      DJANGO_DEBUG: 'false'\n"
        "  worker:\n"
        "    image: site-web:latest\n"
        "    environment: *env\n"
        "    profiles: [jobs]\n",
        encoding="utf-8",
    )
    compose = load_compose(path)
    web, worker = compose.services["web"], compose.services["worker"]
    assert web.user == "1000:1000" and worker.profiles == ["jobs"]
    assert [(e.name, e.line) for e in web.environment] == [("DATABASE_URL", 2), ("DJANGO_DEBUG", 10)]
    assert worker.environment[0].raw == "postgres://app:${POSTGRES_PASSWORD:-app}@db/app"  # as written
    assert compose.builders_of("site-web:latest") == [web] and same_image("docker.io/redis", "redis:latest")
    assert compose.development is None


@pytest.mark.parametrize(
    ("name", "extra", "why"),
    [
        ("docker-compose.local.yml", "", "its name says local"),
        ("docker-compose.test.yml", "", "its name says test"),
        ("compose.yaml", "    volumes:\n      - .:/app\n", "mounts the source"),
        ("compose.yaml", "    command: python manage.py runserver 0.0.0.0:8000\n", "development server"),
        ("compose.yaml", "    environment:\n      DJANGO_DEBUG: '1'\n", "DJANGO_DEBUG=1"),
    ],
)
def test_development_compose_files(tmp_path: Path, name: str, extra: str, why: str) -> None:
    path = tmp_path / name
    path.write_text(f"services:\n  web:\n    build: .\n{extra}", encoding="utf-8")
    assert why in load_compose(path).development


def test_a_production_sibling_makes_the_plain_file_development(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: x:1\n", encoding="utf-8")
    assert load_compose(tmp_path / "compose.yaml").development is None
    (tmp_path / "compose.prod.yaml").write_text("services:\n  web:\n    image: x:1\n", encoding="utf-8")
    assert "compose.prod.yaml" in load_compose(tmp_path / "compose.yaml").development
    assert load_compose(tmp_path / "compose.prod.yaml").development is None
