"""What init found in a repository: SiteFacts, each fact with the file and line it came from."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Evidence:
    """Where a fact was read: a repository-relative path, a line (0: the file as a whole), an excerpt."""

    path: str
    line: int = 0
    text: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class EnvVar:
    """An environment variable the site's settings (or Celery app) read."""

    name: str
    role: str  # database, database-host, database-name, database-user, database-password, database-port,
    #            broker, result-backend, secret, allowed-hosts, debug, other
    required: bool  # read without a default (os.environ["X"], env("X"))
    evidence: Evidence


@dataclass(frozen=True)
class Dependencies:
    """How the site's Python dependencies are installed."""

    kind: str  # "requirements", "uv", "poetry", "pyproject"
    files: tuple[str, ...]  # what the production install reads (a requirements -r chain, or pyproject + lock)
    production: str  # the file the install names (requirements/production.txt, pyproject.toml)
    dev_files: tuple[str, ...] = ()  # the development requirements chain (test image), if any
    dev: str | None = None  # the development requirements file, if any
    packages: frozenset[str] = frozenset()  # normalised distribution names of the production install
    dev_packages: frozenset[str] = frozenset()
    evidence: Evidence = Evidence("")


@dataclass(frozen=True)
class Npm:
    """package.json and what its build needs."""

    package_json: str  # repository-relative
    lockfile: str | None  # package-lock.json or None (npm install)
    build_script: str | None  # the text of scripts.build, None: no build step
    production_dependencies: tuple[str, ...]
    dev_dependencies: tuple[str, ...]
    inputs: tuple[str, ...]  # repository-relative files/directories the build reads (besides package*.json)
    evidence: Evidence = Evidence("")


@dataclass(frozen=True)
class Command:
    """A service command found in a legacy Dockerfile, compose file or start script."""

    argv: tuple[str, ...]
    evidence: Evidence


@dataclass(frozen=True)
class SiteFacts:
    """Everything generation needs; nothing in here is read from disk again."""

    name: str  # image prefix, e.g. "ledger"
    project_dir: str  # the directory holding manage.py ("." or "src")
    manage_py: str
    settings_module: str
    wsgi: str  # "ledger.wsgi:application"
    celery_app: str  # module, e.g. "ledger.worker"
    celery_instance: str  # the variable holding Celery(...)
    python_version: str  # "3.13"
    debian_suite: str  # "trixie"
    dependencies: Dependencies
    web_port: int
    web_command: tuple[str, ...]  # argv of the web server
    worker_args: tuple[str, ...]  # celery worker options (after `worker`), beat options merged in for unified
    worker_global: tuple[str, ...]  # celery options before the sub-command (e.g. --quiet)
    beat_args: tuple[str, ...]  # options of a separate `celery beat`
    health_path: str | None  # None: no endpoint found and none named
    source_root: str  # repository-relative directory mapped to code_dir ("." or the project dir)
    code_dir: str  # where source_root lands in the image ("/code", "/app", "/srv/kanban")
    test_settings_module: str | None = None
    asgi: str | None = None
    npm: Npm | None = None
    apt_runtime: tuple[str, ...] = ()
    apt_build: tuple[str, ...] = ()
    env: tuple[EnvVar, ...] = ()
    static_root: str | None = None  # absolute path in the image, None: no collectstatic
    writable_dirs: tuple[str, ...] = ()  # absolute paths in the image uid 1000 must be able to write
    uses_tini: bool = False
    migrate_on_start: bool = True
    beat_scheduler: str = "persistent"  # "persistent" (a schedule file) or "database" (django_celery_beat)
    beat_schedule_file: str | None = None  # absolute path in the image
    test_runner: str = "django"  # "django" (manage.py test) or "pytest"
    heartbeat_task: str | None = None  # the first periodic task found in the beat schedule
    result_backend: bool = False  # the Celery app has a result backend (a round trip can come back)
    postgres_image: str | None = None  # from the legacy compose file
    redis_image: str | None = None
    health_added: bool = False  # --add-health-view and no endpoint found: init writes the view
    urlconf_path: str | None = None  # the ROOT_URLCONF module's file
    legacy_files: tuple[str, ...] = ()  # the pre-migration files that were read
    evidence: dict[str, Evidence] = field(default_factory=dict)  # fact name -> where it came from
    notes: tuple[str, ...] = ()  # facts init could not settle: the user decides

    # ----------------------------------------------------------------- derived paths

    def in_image(self, relative: str) -> str:
        """The image path of a repository-relative path under source_root."""
        rel = _relative(relative, self.source_root)
        return self.code_dir if rel == "." else f"{self.code_dir.rstrip('/')}/{rel}"

    @property
    def workdir(self) -> str:
        """Where manage.py is in the image (the runtime's WORKDIR)."""
        return self.in_image(self.project_dir)

    def env_of(self, *roles: str) -> list[EnvVar]:
        return [v for v in self.env if v.role in roles]


def _relative(path: str, start: str) -> str:
    path, start = posixpath.normpath(path), posixpath.normpath(start)
    if start == ".":
        return path
    if path == start:
        return "."
    if path.startswith(start + "/"):
        return path[len(start) + 1 :]
    raise ValueError(f"{path} is not under {start}")
