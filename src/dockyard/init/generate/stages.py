"""The builder and test stages: system packages, the dependency install (pip, uv, poetry, pyproject),
npm (production node_modules set aside first), the code, the asset build and collectstatic."""

from __future__ import annotations

import posixpath

from dockyard.init.detect.layout import inside
from dockyard.init.facts import SiteFacts
from dockyard.init.generate.instructions import apt_run, copy_preserving, exec_form, export, secret_run

UV_VERSION = "0.13.9"
POETRY_VERSION = "2.5.1"
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


def package_dir(facts: SiteFacts) -> str | None:
    if facts.npm is None:
        return None
    return facts.in_image(posixpath.dirname(facts.npm.package_json) or ".")


def _npm_steps(facts: SiteFacts) -> list[str]:
    npm = facts.npm
    assert npm is not None
    package_in_image = package_dir(facts)
    files = [npm.package_json] + ([npm.lockfile] if npm.lockfile else [])
    install = "ci" if npm.lockfile else "install"
    steps = (
        copy_preserving(files, facts.code_dir)
        if facts.source_root == "."
        else [f"COPY {' '.join(files)} {package_in_image}/"]
    )
    prefix = f" --prefix {package_in_image}" if package_in_image != facts.workdir else ""
    if npm.production_dependencies:
        steps.append(
            "# Production dependencies only, set aside for the runtime image before the dev toolchain is\n"
            "# installed (npm 9 leaves empty scope directories behind --omit=dev; they go too)."
        )
        steps.append(
            secret_run(
                "/root/.npm",
                export("NODE_EXTRA_CA_CERTS"),
                [
                    f"npm {install}{prefix} --omit=dev --no-audit --no-fund",
                    f"find {package_in_image}/node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete",
                    f"mv {package_in_image}/node_modules /opt/node_modules",
                ],
            )
        )
    if npm.build_script:
        steps.append(
            secret_run("/root/.npm", export("NODE_EXTRA_CA_CERTS"), [f"npm {install}{prefix} --no-audit --no-fund"])
        )
    return steps


def _python_steps(facts: SiteFacts) -> list[str]:
    deps = facts.dependencies
    pip = export("PIP_CERT")
    if deps.kind == "requirements":
        return [
            "RUN python3 -m venv /opt/venv",
            *copy_preserving(list(deps.files), "/tmp/requirements"),
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
                export("SSL_CERT_FILE"),
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
                export("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"),
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
        outside = [p for p in (npm.inputs if building else ()) if not inside(p, facts.project_dir)]
        for path in outside:
            steps.append(f"COPY --chown=1000:1000 {path} {facts.in_image(path)}")
    commands = []
    if building:
        package_in_image = package_dir(facts)
        prefix = f" --prefix {package_in_image}" if package_in_image != facts.workdir else ""
        commands.append(f"npm run build{prefix}")
    if facts.static_root is not None:
        assignments = [f"{word} \\\n   " for word in _placeholders(facts)]
        commands.append(
            " ".join(assignments) + (" " if assignments else "") + "python manage.py collectstatic --noinput -v 0"
        )
    steps.append("RUN " + " \\\n && ".join(commands))
    return steps


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
    pip = export("PIP_CERT")
    if deps.kind == "requirements" and deps.dev:
        extra = [p for p in deps.dev_files if p not in deps.files]
        steps += copy_preserving(extra, "/tmp/requirements")
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
                export("SSL_CERT_FILE"),
                [f"/opt/uv/bin/uv sync --project {project_dir} --frozen --no-install-project"],
            )
        )
    elif deps.kind == "poetry":
        project_dir = facts.in_image(posixpath.dirname(deps.production) or ".")
        steps.append(
            secret_run(
                "/root/.cache/pypoetry",
                export("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"),
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
