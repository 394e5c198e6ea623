"""Generation: SiteFacts -> file texts. Checked through dockyard's own Dockerfile model, YAML and TOML."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import facts_of, minimal_site

from dockyard.core.settings import load_settings
from dockyard.dockerfile.bake import scan
from dockyard.dockerfile.graph import StageGraph, find_cycle
from dockyard.dockerfile.parser import parse_dockerfile_text
from dockyard.dockerfile.shell import instruction_commands
from dockyard.init.generate import contract, files
from dockyard.init.generate.dockerfile import dockerfile, ping_probe, unified_args
from dockyard.init.generate.instructions import exec_form
from dockyard.init.pyproject import with_tool_dockyard

STAGES = [
    "base",
    "builder",
    "runtime-full",
    "runtime-minimal",
    "celery-unified",
    "celery-worker",
    "celery-beat",
    "test",
]


def graph_of(facts) -> StageGraph:
    return StageGraph(parse_dockerfile_text(dockerfile(facts), Path("Dockerfile.multistage")))


def probe(graph: StageGraph, stage: str) -> str:
    config = graph.image_config(graph.dockerfile.stage(stage))
    return " ".join(config.healthcheck.value) if config.healthcheck else ""


def cmd(graph: StageGraph, stage: str) -> list[str]:
    return list(graph.image_config(graph.dockerfile.stage(stage)).cmd.value)


@pytest.mark.parametrize("name", ["ledger", "kanban", "refsite"])
def test_stages_user_and_no_cycles(name, request):
    facts = request.getfixturevalue(name)
    graph = graph_of(facts)
    assert graph.dockerfile.stage_names == STAGES
    assert find_cycle(graph) is None
    for stage in ("runtime-full", "runtime-minimal", "celery-unified", "celery-worker", "celery-beat", "test"):
        assert graph.image_config(graph.dockerfile.stage(stage)).user == "app"
    base = graph.dockerfile.stage("base")
    accounts = [
        c for i in base.instructions if i.cmd == "RUN" for c in instruction_commands(i) if c.program == "useradd"
    ]
    assert accounts and accounts[0].option("--uid") == "1000" and accounts[0].option("--gid") == "app"
    args = dict(a.value[0].split("=", 1) for a in graph.dockerfile.global_args)
    assert args["BASE_IMAGE"] == f"python:{facts.python_version}-slim-{facts.debian_suite}"
    assert graph.dockerfile.stages[0].base == "${BASE_IMAGE}"


def test_ledger_probes_and_commands(ledger):
    graph = graph_of(ledger)
    assert "http://127.0.0.1:5000/healthz" in probe(graph, "runtime-full")
    assert probe(graph, "runtime-full").startswith("CMD python -c")
    ping = 'celery --app ledger.worker inspect ping --destination "celery@$HOSTNAME" --timeout 3 || exit 1'
    assert probe(graph, "celery-unified") == f"CMD {ping}"
    assert probe(graph, "celery-worker") == f"CMD {ping}"
    assert 'find /app/var -maxdepth 1 -name "celerybeat-schedule*" -mmin -5' in probe(graph, "celery-beat")
    assert cmd(graph, "runtime-full")[:4] == ["gunicorn", "ledger.wsgi:application", "--bind", "0.0.0.0:5000"]
    assert cmd(graph, "celery-unified") == [
        "celery", "--app", "ledger.worker", "worker", "--concurrency", "2", "--loglevel", "INFO", "--beat",
        "--schedule", "/app/var/celerybeat-schedule", "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    assert cmd(graph, "celery-beat")[3:] == ["beat", "--loglevel", "INFO", "--schedule", "/app/var/celerybeat-schedule"]
    assert cmd(graph, "test") == ["python", "manage.py", "test", "--noinput"]
    config = graph.image_config(graph.dockerfile.stage("runtime-full"))
    assert config.env["DJANGO_SETTINGS_MODULE"] == "ledger.settings.production" and config.workdir == "/app"
    assert list(config.exposed) == ["5000"]
    test_env = graph.image_config(graph.dockerfile.stage("test")).env
    assert test_env["DJANGO_SETTINGS_MODULE"] == "ledger.settings.test"


def test_npm_steps_only_where_npm_is_used(ledger, kanban):
    text = dockerfile(ledger)
    assert "npm ci" not in text and "nodejs" not in text and "node_modules" not in text
    text = dockerfile(kanban)
    assert "npm ci --prefix /srv/kanban --omit=dev --no-audit --no-fund" in text
    assert "mv /srv/kanban/node_modules /opt/node_modules" in text
    graph = graph_of(kanban)
    runtime = graph.dockerfile.stage("runtime-full")
    copies = [i for i in runtime.instructions if i.cmd == "COPY" and i.flag("from") == "builder"]
    assert [i.value for i in copies] == [
        ("/opt/venv", "/opt/venv"),
        ("/opt/node_modules", "/srv/kanban/node_modules"),
        ("/srv/kanban/staticfiles", "/srv/kanban/staticfiles"),
    ]
    assert graph.image_config(runtime).entrypoint.value == ("tini", "--", "docker-entrypoint.sh")
    builder = graph.dockerfile.stage("builder")
    apt = [c for i in builder.instructions if i.cmd == "RUN" for c in instruction_commands(i) if c.program == "apt-get"]
    assert any({"nodejs", "npm"} <= set(c.words) for c in apt)
    no_prod = dataclasses.replace(kanban, npm=dataclasses.replace(kanban.npm, production_dependencies=()))
    assert "/opt/node_modules" not in dockerfile(no_prod) and "npm run build --prefix /srv/kanban" in dockerfile(
        no_prod
    )


def test_every_install_takes_the_optional_ca_secret(ledger, kanban, refsite):
    for facts in (ledger, kanban, refsite):
        graph = graph_of(facts)
        installs = 0
        for stage in graph.dockerfile.stages:
            for instruction in stage.instructions:
                programs = {c.program for c in instruction_commands(instruction)} if instruction.cmd == "RUN" else set()
                if programs & {"pip", "uv", "npm", "poetry"} and "build" not in " ".join(instruction.value):
                    installs += 1
                    mounts = instruction.flag_values("mount")
                    assert "type=secret,id=ca-certs,required=false" in mounts, instruction.original
        assert installs >= 1


def test_dependencies_before_code_and_cache_mounts(ledger):
    builder = graph_of(ledger).dockerfile.stage("builder")
    lines = [(i.cmd, i.original) for i in builder.instructions]
    requirements = next(n for n, (c, o) in enumerate(lines) if c == "COPY" and "requirements" in o)
    code = next(n for n, (c, o) in enumerate(lines) if c == "COPY" and ". /app" in o)
    install = next(n for n, (c, o) in enumerate(lines) if "pip install" in o)
    assert requirements < install < code
    assert "--mount=type=cache,target=/root/.cache/pip" in lines[install][1]
    collect = lines[-1][1]
    assert (
        "DATABASE_URL=postgres://build@127.0.0.1:1/build" in collect
        and "DJANGO_SECRET_KEY=collectstatic-only" in collect
    )


def test_database_scheduler_beat_has_no_probe_it_cannot_back(refsite):
    text = dockerfile(refsite)
    assert "# dockyard: ignore=DY010\nHEALTHCHECK NONE" in text
    assert probe(graph_of(refsite), "celery-beat") == "NONE"
    # and the image checks do not ask it for the probe it cannot have
    checks = load_settings(tomllib.loads(contract.render_tool_dockyard(refsite))["tool"]["dockyard"]).checks
    beat = checks.for_target("celery-beat").checks
    assert "healthcheck" not in beat and "healthy" not in beat and "celery_starts" in beat
    assert "healthcheck" in checks.for_target("celery-worker").checks


def test_unified_command_drops_a_green_pool_and_pings_custom_node_names():
    facts = facts_of(
        minimal_site(
            Procfile="worker: celery -A site_pkg.celery worker -P gevent -n w1@%h\n"
            "beat: celery -A site_pkg.celery beat -S redbeat.RedBeatScheduler\n"
        )
    )
    assert unified_args(facts) == [
        "-n", "w1@%h", "--beat", "-S", "redbeat.RedBeatScheduler",
        "--without-mingle", "--without-gossip", "--loglevel", "INFO",
    ]  # fmt: skip
    assert '--destination "w1@$HOSTNAME"' in ping_probe(facts)


def test_poetry_and_plain_pyproject_builders_parse():
    pyproject = '[tool.poetry.dependencies]\npython = "^3.11"\ndjango = "*"\ncelery = "*"\ngunicorn = "*"\n'
    poetry = minimal_site(**{"requirements.txt": None, "poetry.lock": "#\n", "pyproject.toml": pyproject})
    text = dockerfile(facts_of(poetry))
    assert "poetry --directory /code install --only main --no-root --no-interaction" in text
    assert find_cycle(StageGraph(parse_dockerfile_text(text, Path("D")))) is None
    plain = minimal_site(
        **{
            "requirements.txt": None,
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["django", "celery", "gunicorn"]\n',
        }
    )
    text = dockerfile(facts_of(plain))
    assert "tomllib.load(open('/tmp/project/pyproject.toml'" in text


def test_exec_form_wraps_but_stays_json():
    words = ["gunicorn", "a.wsgi:application"] + [f"--option-{i}" for i in range(30)]
    text = exec_form(words)
    assert "\\\n" in text
    assert json.loads(text.replace("\\\n", "")) == words


def test_bake_targets_groups_and_variables(kanban):
    text = files.bake_file(kanban)
    targets, groups = scan(text)
    assert {"web", "celery-unified", "flower", "test", "celery-worker", "celery-beat"} <= set(targets)
    assert groups["essential"] == ["web", "celery-unified"]
    assert groups["production"] == ["web", "celery-unified", "flower"]
    assert groups["legacy"] == ["web", "celery-worker", "celery-beat"]
    for variable in ("REGISTRY", "IMAGE_PREFIX", "TAG", "BASE_IMAGE", "CA_CERTS"):
        assert f'variable "{variable}"' in text
    assert 'default = "kanban"' in text and 'default = "python:3.11-slim-bookworm"' in text
    assert 'secret = CA_CERTS != "" ? ["id=ca-certs,src=${CA_CERTS}"] : []' in text


def test_compose_stack_uses_the_sites_own_variable_names(ledger, kanban):
    stack = yaml.safe_load(files.compose_file(ledger))
    assert set(stack["services"]) == {"postgres", "redis", "web", "celery-unified"}
    env = stack["x-site-env"]
    assert env["DATABASE_URL"] == "postgres://ledger:${POSTGRES_PASSWORD:-ledger-test-only}@postgres:5432/ledger"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:-")
    assert stack["services"]["web"]["ports"] == ["127.0.0.1:${WEB_PORT:-0}:5000"]
    assert stack["services"]["postgres"]["image"] == "${POSTGRES_IMAGE:-postgres:17}"
    assert stack["services"]["celery-unified"]["depends_on"]["web"]["condition"] == "service_healthy"
    kanban_env = yaml.safe_load(files.compose_file(kanban))["x-site-env"]
    assert kanban_env["POSTGRES_HOST"] == "postgres" and kanban_env["BROKER_URL"] == "redis://redis:6379/0"
    assert kanban_env["RESULT_BACKEND_URL"] == "redis://redis:6379/0" and kanban_env["ALLOWED_HOSTS"] == "*"


def test_entrypoint_migrates_as_the_old_commands_did(ledger):
    assert '"${DJANGO_MIGRATE:-1}" = "1"' in files.entrypoint(ledger)
    assert '"${DJANGO_MIGRATE:-0}" = "1"' in files.entrypoint(dataclasses.replace(ledger, migrate_on_start=False))


def test_tool_dockyard_loads_and_carries_the_contract(ledger, kanban):
    data = tomllib.loads(with_tool_dockyard(None, contract.render_tool_dockyard(ledger)))["tool"]["dockyard"]
    settings = load_settings(data)
    assert settings.base_image == "python:3.13-slim-trixie"
    assert settings.local_base_image == "dockyard-local/python:3.13-trixie"
    assert settings.service("web").image == "dockyard.local/ledger-web"
    assert settings.service("celery-unified").role == "worker+beat"
    assert (settings.service("celery-worker").role, settings.service("celery-beat").role) == ("worker", "beat")
    web = settings.service("web")
    assert (web.port, web.health_path, web.healthy_status) == (5000, "/healthz", 200)
    assert dict(settings.environment) == {
        "DATABASE_URL": "{database_url}", "REDIS_URL": "{broker_url}",
        "DJANGO_SECRET_KEY": "{secret_key}", "DJANGO_ALLOWED_HOSTS": "*",
    }  # fmt: skip
    assert settings.celery.app == "ledger.worker"
    trip = settings.celery.round_trip
    assert (trip.task, trip.args, trip.expected) == ("celery.accumulate", (19, 23), [19, 23])
    assert settings.celery.heartbeat.task == "ledger.billing.tasks.record_tick"
    assert "node_modules" not in settings.checks.for_target("web").checks  # ledger ships none
    assert settings.test.postgres_image == "postgres:17"
    assert settings.troubleshoot.code_dir == "/app" and "/app/var" in settings.troubleshoot.writable_paths
    assert "SITE CONTRACT" not in contract.render_tool_dockyard(ledger)
    kanban_settings = load_settings(tomllib.loads(contract.render_tool_dockyard(kanban))["tool"]["dockyard"])
    assert kanban_settings.checks.for_target("web").node_modules_path == "/srv/kanban/node_modules"
    assert "node_modules" in kanban_settings.checks.for_target("web").checks
    assert kanban_settings.environment["BROKER_URL"] == "{broker_url}"
    assert kanban_settings.environment["POSTGRES_HOST"] == "{postgres_host}"
    assert kanban_settings.service("web").port == 8000
