"""deployment/Dockerfile.multistage from SiteFacts: the card's six stages plus the legacy two,
with the pre-deployment checklist done (uid 1000, HEALTHCHECKs, production-only node_modules)."""

from __future__ import annotations

import json
import posixpath
import shlex

from dockyard.dockerfile.shell import SimpleCommand
from dockyard.init.facts import SiteFacts
from dockyard.init.generate.templates import render

UV_VERSION = "0.13.9"
POETRY_VERSION = "2.5.1"
GREEN_POOLS = {"gevent", "eventlet"}
BEAT_OPTIONS = {"-s", "--schedule", "-S", "--scheduler", "--max-interval"}
CA = "/run/secrets/ca-certs"
PLACEHOLDERS = {
    "database": "postgres://build@127.0.0.1:1/build",
    "database-host": "127.0.0.1",
    "database-port": "1",
    "database-name": "build",
    "database-user": "build",
    "database-password": "build-only",
    "broker": "redis://127.0.0.1:1/0",
    "result-backend": "redis://127.0.0.1:1/0",
    "secret": "collectstatic-only",
    "allowed-hosts": "localhost",
}


# --------------------------------------------------------------------------- small pieces


def exec_form(words: list[str] | tuple[str, ...], indent: int = 4, width: int = 100) -> str:
    """A JSON array, wrapped with backslashes when long (as the repository's own Dockerfile does)."""
    items = [json.dumps(w) for w in words]
    lines, current = [], "["
    for i, item in enumerate(items):
        piece = item + (", " if i < len(items) - 1 else "]")
        if len(current) + len(piece) > width and current not in ("[",):
            lines.append(current.rstrip())
            current = " " * (indent + 1)
        current += piece
    lines.append(current)
    return " \\\n".join(lines)


def secret_run(cache: str | None, exports: str, body: list[str]) -> str:
    """A RUN with the optional CA secret (and a cache mount): the tool finds the bundle when given."""
    mounts = []
    if cache:
        mounts.append(f"--mount=type=cache,target={cache}")
    mounts.append("--mount=type=secret,id=ca-certs,required=false")
    lines = ["RUN " + " \\\n    ".join(mounts) + " \\"]
    lines.append(f"    if [ -s {CA} ]; then {exports}; fi \\")
    lines.append("\n".join(f" && {part} \\" for part in body).rstrip(" \\"))
    return "\n".join(lines)


def _export(*names: str) -> str:
    return "export " + " ".join(f"{n}={CA}" for n in names)


def apt_run(packages: tuple[str, ...] | list[str]) -> str:
    return (
        "RUN apt-get update \\\n"
        f" && apt-get install -y --no-install-recommends {' '.join(packages)} \\\n"
        " && apt-get clean \\\n"
        " && rm -rf /var/lib/apt/lists/*"
    )


def urllib_probe(url: str) -> str:
    code = f"import sys, urllib.request; sys.exit(urllib.request.urlopen('{url}', timeout=5).status != 200)"
    return json.dumps(["python", "-c", code])


def _copy_preserving(paths: list[str], destination_root: str) -> list[str]:
    """COPY lines that put each repository path under destination_root at the same relative place."""
    by_dir: dict[str, list[str]] = {}
    for path in paths:
        by_dir.setdefault(posixpath.dirname(path), []).append(path)
    lines = []
    for directory, files in by_dir.items():
        target = posixpath.join(destination_root, directory) if directory else destination_root
        lines.append(f"COPY {' '.join(files)} {target.rstrip('/')}/")
    return lines


# --------------------------------------------------------------------------- commands


def celery(facts: SiteFacts, sub: str, args: list[str] | tuple[str, ...]) -> list[str]:
    return ["celery", *facts.worker_global, "--app", facts.celery_app, sub, *args]


def unified_args(facts: SiteFacts) -> list[str]:
    """The old worker's options, prefork, --beat with the old beat's schedule options, no mingle/gossip
    (it is the only worker)."""
    args, skip = [], False
    for i, word in enumerate(facts.worker_args):
        if skip:
            skip = False
            continue
        name = word.partition("=")[0]
        if name in ("-P", "--pool"):
            value = (
                word.partition("=")[2]
                if "=" in word
                else (facts.worker_args[i + 1] if i + 1 < len(facts.worker_args) else "")
            )
            skip = "=" not in word
            if value in GREEN_POOLS:
                continue
            args += [word] if "=" in word else [word, value]
            continue
        args.append(word)
    args.append("--beat")
    beat = iter(facts.beat_args)
    for word in beat:
        if word.partition("=")[0] in BEAT_OPTIONS:
            args.append(word)
            if "=" not in word:
                args.append(next(beat, ""))
    for flag in ("--without-mingle", "--without-gossip"):
        if flag not in args:
            args.append(flag)
    if not any(w.partition("=")[0] in ("-l", "--loglevel") for w in args):
        args += ["--loglevel", "INFO"]
    return args


def ping_probe(facts: SiteFacts) -> str:
    """`celery inspect ping` sent to this container's own worker, with a 3 s reply timeout."""
    node = SimpleCommand(["celery", *facts.worker_args]).option("-n", "--hostname")
    destination = '"celery@$HOSTNAME"'
    if node:
        if node.replace("%h", "").count("%"):
            destination = ""
        else:
            destination = '"' + node.replace("%h", "$HOSTNAME") + '"'
    words = ["celery", *facts.worker_global, "--app", facts.celery_app, "inspect", "ping"]
    text = " ".join(shlex.quote(w) for w in words)
    if destination:
        text += f" --destination {destination}"
    return text + " --timeout 3 || exit 1"


def beat_probe(facts: SiteFacts) -> str:
    if facts.beat_scheduler == "database":
        return (
            "# beat with django_celery_beat's DatabaseScheduler writes no file and answers no ping: nothing\n"
            "# here could tell a stuck beat from a working one (invoke troubleshoot.beat reads its log).\n"
            "# dockyard: ignore=DY010\n"
            "HEALTHCHECK NONE"
        )
    schedule = facts.beat_schedule_file or posixpath.join(facts.workdir, "celerybeat-schedule")
    directory, name = posixpath.split(schedule)
    return (
        "# beat answers no ping; it writes its schedule file at start and at least every 3 minutes\n"
        "# (PersistentScheduler's sync), so a stale file means a stuck beat.\n"
        "HEALTHCHECK --interval=60s --timeout=5s --start-period=30s --start-interval=1s --retries=3 \\\n"
        f'    CMD find {directory} -maxdepth 1 -name "{name}*" -mmin -5 | grep -q . || exit 1'
    )


# --------------------------------------------------------------------------- stages


def _package_dir(facts: SiteFacts) -> str | None:
    if facts.npm is None:
        return None
    return facts.in_image(posixpath.dirname(facts.npm.package_json) or ".")


def _npm_steps(facts: SiteFacts) -> list[str]:
    npm = facts.npm
    assert npm is not None
    package_dir = _package_dir(facts)
    files = [npm.package_json] + ([npm.lockfile] if npm.lockfile else [])
    install = "ci" if npm.lockfile else "install"
    steps = (
        _copy_preserving(files, facts.code_dir)
        if facts.source_root == "."
        else [f"COPY {' '.join(files)} {package_dir}/"]
    )
    prefix = f" --prefix {package_dir}" if package_dir != facts.workdir else ""
    if npm.production_dependencies:
        steps.append(
            "# Production dependencies only, set aside for the runtime image before the dev toolchain is\n"
            "# installed (npm 9 leaves empty scope directories behind --omit=dev; they go too)."
        )
        steps.append(
            secret_run(
                "/root/.npm",
                _export("NODE_EXTRA_CA_CERTS"),
                [
                    f"npm {install}{prefix} --omit=dev --no-audit --no-fund",
                    f"find {package_dir}/node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete",
                    f"mv {package_dir}/node_modules /opt/node_modules",
                ],
            )
        )
    if npm.build_script:
        steps.append(
            secret_run("/root/.npm", _export("NODE_EXTRA_CA_CERTS"), [f"npm {install}{prefix} --no-audit --no-fund"])
        )
    return steps


def _python_steps(facts: SiteFacts) -> list[str]:
    deps = facts.dependencies
    pip = _export("PIP_CERT")
    if deps.kind == "requirements":
        return [
            "RUN python3 -m venv /opt/venv",
            *_copy_preserving(list(deps.files), "/tmp/requirements"),
            secret_run(
                "/root/.cache/pip",
                pip,
                [
                    f"pip install --disable-pip-version-check -r /tmp/requirements/{deps.production}",
                    "pip uninstall --yes --disable-pip-version-check pip setuptools",
                    "find /opt/venv -name '*.po' -delete",
                ],
            ),
        ]
    project_dir = facts.in_image(posixpath.dirname(deps.production) or ".")
    if deps.kind == "uv":
        return [
            "# uv lives in its own virtualenv; it syncs the project's locked dependencies into /opt/venv.",
            f"ENV UV_PYTHON=python{facts.python_version} \\\n"
            "    UV_PYTHON_DOWNLOADS=never \\\n"
            "    UV_LINK_MODE=copy \\\n"
            "    UV_PROJECT_ENVIRONMENT=/opt/venv",
            secret_run(
                "/root/.cache/pip",
                pip,
                ["python3 -m venv /opt/uv", f"/opt/uv/bin/pip install --disable-pip-version-check uv=={UV_VERSION}"],
            ),
            f"COPY {' '.join(deps.files)} {project_dir}/",
            secret_run(
                "/root/.cache/uv",
                _export("SSL_CERT_FILE"),
                [
                    f"/opt/uv/bin/uv sync --project {project_dir} --frozen --no-dev --no-install-project",
                    "find /opt/venv -name '*.po' -delete",
                ],
            ),
        ]
    if deps.kind == "poetry":
        return [
            "# poetry lives in its own virtualenv; it installs the locked main dependencies into /opt/venv.",
            "ENV POETRY_VIRTUALENVS_CREATE=false",
            secret_run(
                "/root/.cache/pip",
                pip,
                [
                    "python3 -m venv /opt/poetry /opt/venv",
                    f"/opt/poetry/bin/pip install --disable-pip-version-check poetry=={POETRY_VERSION}",
                ],
            ),
            f"COPY {' '.join(deps.files)} {project_dir}/",
            secret_run(
                "/root/.cache/pypoetry",
                _export("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"),
                [
                    f"/opt/poetry/bin/poetry --directory {project_dir} install --only main --no-root --no-interaction",
                    "find /opt/venv -name '*.po' -delete",
                ],
            ),
        ]
    # pyproject without a lock: the dependencies listed in [project], read at build time
    return [
        "RUN python3 -m venv /opt/venv",
        f"COPY {deps.production} /tmp/project/",
        secret_run(
            "/root/.cache/pip",
            pip,
            [
                "python -c \"import tomllib; print('\\n'.join(tomllib.load(open('/tmp/project/pyproject.toml', "
                "'rb'))['project']['dependencies']))\" > /tmp/requirements.txt",
                "pip install --disable-pip-version-check -r /tmp/requirements.txt",
                "pip uninstall --yes --disable-pip-version-check pip setuptools",
            ],
        ),
    ]


def _placeholders(facts: SiteFacts) -> list[str]:
    """`NAME=value` for the variables the settings need at import time (collectstatic imports them);
    placeholders on the RUN line itself, so nothing lands in the image's ENV."""
    words = []
    for var in facts.env:
        if var.role == "secret" or (var.required and var.role in PLACEHOLDERS):
            words.append(f"{var.name}={PLACEHOLDERS[var.role]}")
        elif var.required:
            words.append(f"{var.name}=build-only")
    return words


def project_source(facts: SiteFacts) -> str:
    return "." if facts.project_dir == "." else facts.project_dir


def _code_steps(facts: SiteFacts) -> list[str]:
    """The code and, if there is anything to build, the asset bundle and collectstatic."""
    npm = facts.npm
    building = npm is not None and npm.build_script is not None
    if not building and facts.static_root is None:
        return []
    steps = []
    if building and not npm.inputs:
        source = "." if facts.source_root == "." else facts.source_root
        steps.append(f"COPY --chown=1000:1000 {source} {facts.code_dir}")
    else:
        steps.append(f"COPY --chown=1000:1000 {project_source(facts)} {facts.workdir}")
        outside = [p for p in (npm.inputs if building else ()) if not _inside(p, facts.project_dir)]
        for path in outside:
            steps.append(f"COPY --chown=1000:1000 {path} {facts.in_image(path)}")
    commands = []
    if building:
        package_dir = _package_dir(facts)
        prefix = f" --prefix {package_dir}" if package_dir != facts.workdir else ""
        commands.append(f"npm run build{prefix}")
    if facts.static_root is not None:
        assignments = [f"{word} \\\n   " for word in _placeholders(facts)]
        commands.append(
            " ".join(assignments) + (" " if assignments else "") + "python manage.py collectstatic --noinput -v 0"
        )
    steps.append("RUN " + " \\\n && ".join(commands))
    return steps


def _inside(path: str, directory: str) -> bool:
    return directory == "." or path == directory or path.startswith(directory.rstrip("/") + "/")


def builder(facts: SiteFacts) -> str:
    packages = list(facts.apt_build)
    if facts.npm is not None:
        packages += [p for p in ("nodejs", "npm") if p not in packages]
    steps = [apt_run(packages)] if packages else []
    python, npm = _python_steps(facts), (_npm_steps(facts) if facts.npm else [])
    if facts.dependencies.production.endswith("pyproject.toml"):
        # pyproject.toml also holds tool settings: an edit to it must not re-run npm
        steps += npm + python
    else:
        steps += python + npm
    steps += _code_steps(facts)
    return "\n".join(steps)


def test_stage(facts: SiteFacts) -> str:
    deps = facts.dependencies
    steps = []
    pip = _export("PIP_CERT")
    if deps.kind == "requirements" and deps.dev:
        extra = [p for p in deps.dev_files if p not in deps.files]
        steps += _copy_preserving(extra, "/tmp/requirements")
        steps.append(
            secret_run(
                "/root/.cache/pip",
                pip,
                [
                    "python -m ensurepip --default-pip",
                    f"pip install --disable-pip-version-check -r /tmp/requirements/{deps.dev}",
                ],
            )
        )
    elif deps.kind == "uv":
        project_dir = facts.in_image(posixpath.dirname(deps.production) or ".")
        steps.append(
            secret_run(
                "/root/.cache/uv",
                _export("SSL_CERT_FILE"),
                [f"/opt/uv/bin/uv sync --project {project_dir} --frozen --no-install-project"],
            )
        )
    elif deps.kind == "poetry":
        project_dir = facts.in_image(posixpath.dirname(deps.production) or ".")
        steps.append(
            secret_run(
                "/root/.cache/pypoetry",
                _export("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"),
                [f"/opt/poetry/bin/poetry --directory {project_dir} install --no-root --no-interaction"],
            )
        )
    steps.append(f"COPY --chown=1000:1000 {project_source(facts)} {facts.workdir}")
    if facts.test_settings_module:
        steps.append(f"ENV DJANGO_SETTINGS_MODULE={facts.test_settings_module}")
    steps.append("USER app")
    if facts.test_runner == "pytest":
        steps.append("CMD " + exec_form(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]))
    else:
        steps.append("CMD " + exec_form(["python", "manage.py", "test", "--noinput"]))
    return "\n".join(steps)


def _summaries(facts: SiteFacts) -> dict[str, str]:
    deps = facts.dependencies
    how = {
        "requirements": f"pip -r {deps.production}",
        "uv": "uv sync --frozen --no-dev",
        "poetry": "poetry install --only main",
        "pyproject": "pip, from pyproject.toml",
    }[deps.kind]
    builder_parts = []
    if facts.npm is not None:
        if facts.npm.production_dependencies:
            builder_parts.append("production-only node_modules")
        if facts.npm.build_script:
            builder_parts.append("npm run build")
    if facts.static_root:
        builder_parts.append("collectstatic")
    return {
        "deps_summary": how,
        "builder_summary": (",\n#                    " + ", ".join(builder_parts)) if builder_parts else "",
        "web_summary": f"{facts.web_command[0]} on port {facts.web_port}",
        "test_summary": "pytest" if facts.test_runner == "pytest" else "manage.py test",
    }


def dockerfile(facts: SiteFacts) -> str:
    assert facts.health_path is not None, "generation needs a health path"
    from dockyard.init.detect.deps import local_stand_in

    owned = list(dict.fromkeys([facts.code_dir, facts.workdir, *facts.writable_dirs, "/data"]))
    entrypoint = ["tini", "--", "docker-entrypoint.sh"] if facts.uses_tini else ["docker-entrypoint.sh"]
    package_dir = _package_dir(facts)
    node_modules = ""
    if facts.npm is not None and facts.npm.production_dependencies:
        node_modules = f"COPY --link --from=builder --chown=1000:1000 /opt/node_modules {package_dir}/node_modules"
    static = ""
    if facts.static_root:
        static = f"COPY --link --from=builder --chown=1000:1000 {facts.static_root} {facts.static_root}"
    return render(
        "Dockerfile.multistage.tmpl",
        name=facts.name,
        python=facts.python_version,
        code_dir=facts.code_dir,
        health_path=facts.health_path,
        local_base_image=local_stand_in(facts.python_version),
        base_image=base_image(facts),
        workdir=facts.workdir,
        settings_module=facts.settings_module,
        base_packages=apt_run(facts.apt_runtime) if facts.apt_runtime else "",
        owned_dirs=" ".join(owned),
        builder=builder(facts),
        runtime_node_modules=node_modules,
        project_copy_source=project_source(facts),
        runtime_static=static,
        port=facts.web_port,
        web_probe=urllib_probe(f"http://127.0.0.1:{facts.web_port}{facts.health_path}"),
        entrypoint=exec_form(entrypoint),
        web_cmd=exec_form(list(facts.web_command)),
        flower_probe=urllib_probe("http://127.0.0.1:5555/healthcheck"),
        flower_cmd=exec_form(celery(facts, "flower", ["--port=5555", "--address=0.0.0.0"])),
        ping_probe=ping_probe(facts),
        unified_cmd=exec_form(celery(facts, "worker", unified_args(facts))),
        worker_cmd=exec_form(celery(facts, "worker", list(facts.worker_args))),
        beat_probe=beat_probe(facts),
        beat_cmd=exec_form(celery(facts, "beat", list(facts.beat_args))),
        test=test_stage(facts),
        **_summaries(facts),
    )


def base_image(facts: SiteFacts) -> str:
    return f"python:{facts.python_version}-slim-{facts.debian_suite}"
