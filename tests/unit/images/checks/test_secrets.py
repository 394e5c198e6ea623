import io
import tarfile

from dockyard.images.checks.secrets import secret_env_names, secret_file, secret_files, secret_history


def test_secret_env_by_name_or_url_password_only_with_a_value():
    env = [
        "PATH=/usr/bin",
        "API_TOKEN=abc",
        "DJANGO_SECRET_KEY=x",
        "DB_PASSWORD=",
        "GPG_KEY=A035C8C1",
        "AWS_ACCESS_KEY_ID=AKIA",
        "DATABASE_URL=postgres://u:pw@db/site",
        "CACHE_URL=redis://redis:6379/0",
        "DB_PASSWORD_FILE=/run/secrets/db",
        "TOKENIZERS_PARALLELISM=false",
        "ALLOWED=1",
    ]
    assert secret_env_names(env, allow=[]) == ["API_TOKEN", "DJANGO_SECRET_KEY", "AWS_ACCESS_KEY_ID", "DATABASE_URL"]
    assert secret_env_names(["API_TOKEN=abc"], allow=["API_TOKEN"]) == []


def test_secret_history_reads_build_args_and_env_steps():
    history = [
        {"CreatedBy": "RUN |2 NPM_TOKEN=abc BASE=x /bin/sh -c npm ci"},
        {"CreatedBy": "/bin/sh -c #(nop)  ENV SENTRY_AUTH_TOKEN=zzz"},
        {"CreatedBy": "ENV PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings"},
        {"CreatedBy": "RUN /bin/sh -c DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic"},
        {"CreatedBy": "RUN |1 API_KEY= /bin/sh -c true"},
    ]
    assert secret_history(history, allow=[]) == ["build arg NPM_TOKEN", "ENV SENTRY_AUTH_TOKEN"]


def test_secret_file_by_name_and_content():
    assert secret_file("/code/.env", b"A=1") == "env file"
    assert secret_file("/code/.env.production", None) == "env file"
    assert secret_file("/code/.env.example", b"A=") is None
    assert secret_file("/root/.ssh/id_rsa", None) == "key file"
    assert secret_file("/code/tls/server.key", None) == "key file"
    assert secret_file("/root/.netrc", None) == "credentials file"
    assert secret_file("/root/.npmrc", b"//registry/:_authToken=x") == "credentials file"
    assert secret_file("/root/.npmrc", b"fund=false") is None
    key = b"-----BEGIN RSA " + b"PRIVATE KEY-----\nx\n"
    assert secret_file("/code/cert.pem", key) == "private key"
    assert secret_file("/code/cert.pem", b"-----BEGIN CERTIFICATE-----") is None
    assert secret_file("/code/app.py", b"print('hi')") is None


def test_secret_files_builds_image_paths_and_honours_the_allow_list():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name in ("code/.env", "code/app.py", "code/tests/fixture.key"):
            archive.addfile(tarfile.TarInfo(name), io.BytesIO(b""))
    buffer.seek(0)
    with tarfile.open(fileobj=buffer) as archive:
        entries = [(m, b"") for m in archive.getmembers()]
    assert secret_files("/code", entries, allow=[]) == ["/code/.env (env file)", "/code/tests/fixture.key (key file)"]
    assert secret_files("/code", entries, allow=["/code/tests/*"]) == ["/code/.env (env file)"]


def test_the_images_workdir_is_searched_unless_a_secret_path_holds_it():
    from dockyard.images.checks.secrets import search_roots

    assert search_roots(["/code", "/data"], "/app") == ["/code", "/data", "/app"]
    assert search_roots(["/code", "/data"], "/code/src") == ["/code", "/data"]
    assert search_roots(["/code"], "/") == ["/code"]


def test_installed_python_packages_are_not_the_sites_secrets():
    import tarfile

    from dockyard.images.checks.secrets import secret_files

    def entry(name: str) -> tuple[tarfile.TarInfo, bytes]:
        info = tarfile.TarInfo(name)
        info.size = 3
        return info, b"key"

    entries = [entry("kanban/.venv/lib/python3.11/site-packages/tornado/test/test.key"), entry("kanban/src/.env")]
    assert secret_files("/srv/kanban", entries, []) == ["/srv/kanban/src/.env (env file)"]
