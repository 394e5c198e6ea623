"""Detection on the two sample projects (their pre-migration files) and on the reference site."""

from __future__ import annotations


def test_ledger_project_settings_and_wsgi(ledger):
    assert ledger.manage_py == "manage.py" and ledger.project_dir == "."
    assert ledger.settings_module == "ledger.settings.production"
    assert str(ledger.evidence["settings_module"]) == "ledger/wsgi.py:6"
    assert ledger.wsgi == "ledger.wsgi:application"
    assert ledger.test_settings_module == "ledger.settings.test"


def test_ledger_celery_app_is_the_module_that_creates_it(ledger):
    assert (ledger.celery_app, ledger.celery_instance) == ("ledger.worker", "app")
    assert str(ledger.evidence["celery_app"]) == "ledger/worker.py:8"


def test_ledger_requirements_chain_production_and_dev(ledger):
    deps = ledger.dependencies
    assert deps.kind == "requirements"
    assert deps.production == "requirements/production.txt"
    assert deps.files == ("requirements/base.txt", "requirements/production.txt")
    assert deps.dev == "requirements/local.txt"
    assert {"django", "celery", "gunicorn", "psycopg", "flower"} <= deps.packages
    assert "ruff" not in deps.packages and "ruff" in deps.dev_packages
    assert deps.evidence.path.startswith("docker/")  # what the old images installed


def test_ledger_python_from_python_version(ledger):
    assert (ledger.python_version, ledger.debian_suite) == ("3.13", "trixie")
    assert str(ledger.evidence["python"]) == ".python-version:1"


def test_ledger_commands_ports_and_layout_carried_over(ledger):
    assert ledger.web_command[:4] == ("gunicorn", "ledger.wsgi:application", "--bind", "0.0.0.0:5000")
    assert ledger.web_port == 5000
    assert ledger.worker_args == ("--concurrency", "2", "--loglevel", "INFO")
    assert ledger.beat_args == ("--loglevel", "INFO", "--schedule", "/app/var/celerybeat-schedule")  # --pidfile dropped
    assert ledger.code_dir == "/app" and ledger.workdir == "/app"
    assert ledger.writable_dirs == ("/app/var",)
    assert ledger.migrate_on_start and str(ledger.evidence["migrate_on_start"]) == "scripts/start-web.sh:3"
    assert not ledger.uses_tini


def test_ledger_system_packages_environment_and_health(ledger):
    assert ledger.apt_runtime == ("curl", "libpq5") and ledger.apt_build == ()
    env = {v.name: (v.role, v.required) for v in ledger.env}
    assert env["DATABASE_URL"] == ("database", True)
    assert env["REDIS_URL"] == ("broker", True)
    assert env["DJANGO_SECRET_KEY"] == ("secret", True)  # env("DJANGO_SECRET_KEY") in production.py
    assert env["DJANGO_ALLOWED_HOSTS"] == ("allowed-hosts", False)
    assert ledger.health_path == "/healthz" and str(ledger.evidence["health_path"]) == "ledger/urls.py:8"
    assert ledger.npm is None
    assert ledger.static_root == "/app/staticfiles"
    assert (ledger.beat_scheduler, ledger.beat_schedule_file) == ("persistent", "/app/var/celerybeat-schedule")
    assert ledger.postgres_image == "postgres:17" and ledger.redis_image == "redis:7"
    assert ledger.heartbeat_task == "ledger.billing.tasks.record_tick"


def test_kanban_src_layout_uv_and_npm(kanban):
    assert kanban.manage_py == "src/manage.py" and kanban.project_dir == "src"
    assert kanban.settings_module == "kanban_site.settings"
    assert (kanban.celery_app, kanban.celery_instance) == ("kanban_site.celery_app", "celery")
    deps = kanban.dependencies
    assert (deps.kind, deps.files) == ("uv", ("pyproject.toml", "uv.lock"))
    assert "pytest" in deps.dev_packages and "pytest" not in deps.packages
    assert (kanban.python_version, kanban.debian_suite) == ("3.11", "bookworm")
    assert kanban.source_root == "." and kanban.code_dir == "/srv/kanban" and kanban.workdir == "/srv/kanban/src"
    npm = kanban.npm
    assert npm is not None and npm.lockfile == "package-lock.json"
    assert npm.production_dependencies == ("mitt", "sortablejs") and npm.dev_dependencies == ("esbuild",)
    assert npm.inputs == ("assets",)  # src/board/static/board/dist/board.js is the output, not an input
    assert kanban.test_runner == "pytest"


def test_kanban_carries_tini_port_and_environment(kanban):
    assert kanban.uses_tini and kanban.apt_runtime == ("tini",)
    assert kanban.apt_build == ()  # nodejs/npm are the builder's, added for the npm build
    assert kanban.web_port == 8000 and "--threads" in kanban.web_command
    assert kanban.health_path == "/status/ready/"
    roles = {v.name: v.role for v in kanban.env}
    assert roles["BROKER_URL"] == "broker" and roles["SECRET_KEY"] == "secret"
    assert roles["POSTGRES_HOST"] == "database-host" and roles["POSTGRES_PASSWORD"] == "database-password"
    assert not next(v for v in kanban.env if v.name == "POSTGRES_HOST").required  # guarded by .get()
    assert kanban.static_root == "/srv/kanban/staticfiles"  # PROJECT_DIR / "staticfiles", above src/
    assert kanban.beat_args == ("--loglevel", "INFO", "--schedule", "/tmp/beat-schedule")


def test_reference_site_has_its_project_in_app(refsite):
    assert refsite.manage_py == "app/manage.py" and refsite.source_root == "app"
    assert refsite.code_dir == "/code" and refsite.workdir == "/code"
    assert refsite.celery_app == "config.celery" and refsite.health_path == "/health/"
    assert refsite.dependencies.production == "app/requirements.txt"
    assert refsite.apt_runtime == ("libpq5",)  # psycopg without [binary] loads Debian's libpq
    assert str(refsite.evidence["apt"]) == "app/requirements.txt:10"
    assert refsite.beat_scheduler == "database" and refsite.beat_schedule_file is None
    assert refsite.static_root == "/code/staticfiles"
    assert refsite.npm is not None and refsite.npm.inputs == ("app/frontend",)
    assert refsite.web_port == 80 and refsite.legacy_files == ()
