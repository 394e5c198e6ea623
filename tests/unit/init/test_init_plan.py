"""The plan, --yes, --force and the archive, in throwaway repositories; the CLI's lines and exit codes."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from conftest import minimal_site, write_tree

from dockyard.cli.app import main
from dockyard.init.detect import detect
from dockyard.init.generate.files import InstallSpec
from dockyard.init.installed import current_install, install_spec
from dockyard.init.plan import make_plan
from dockyard.init.snapshot import read_repository
from dockyard.init.urls_edit import add_route

INSTALL = InstallSpec(("-e", "/opt/dockyard"), "editable, from /opt/dockyard")
WRITTEN = [
    "deployment/Dockerfile.multistage",
    "deployment/docker-bake.multistage.hcl",
    "deployment/docker-compose.test.yml",
    "deployment/entrypoints/docker-entrypoint.sh",
    ".dockerignore",
    "tasks.py",
    "noxfile.py",
    "pyproject.toml",
]


def run(root: Path, *args: str) -> int:
    return main(["init", "--root", str(root), *args])


def plan_of(root: Path, **kwargs):
    snapshot = read_repository(root)
    return make_plan(detect(snapshot), snapshot, INSTALL, **kwargs)


def test_without_yes_the_plan_is_printed_and_nothing_written(tmp_path, capsys):
    write_tree(tmp_path, minimal_site())
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert run(tmp_path) == 0
    out = capsys.readouterr().out
    assert "site_pkg.settings" in out and "site_pkg/wsgi.py:2" in out and "site_pkg/celery.py:6" in out
    assert "Nothing written yet: run the same command with --yes to write 8 file(s)." in out
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_yes_writes_every_file_and_a_second_run_keeps_them(tmp_path, capsys):
    write_tree(tmp_path, minimal_site())
    assert run(tmp_path, "--yes") == 0
    for path in WRITTEN:
        assert (tmp_path / path).is_file(), path
    mode = (tmp_path / "deployment/entrypoints/docker-entrypoint.sh").stat().st_mode
    assert mode & stat.S_IXUSR
    assert "from dockyard.tasks import ns" in (tmp_path / "tasks.py").read_text()
    assert "DOCKYARD = ['-e', " in (tmp_path / "noxfile.py").read_text()
    assert "dockyard" in tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]
    capsys.readouterr()
    assert run(tmp_path, "--yes") == 0
    assert "Nothing to write: every file is in place" in capsys.readouterr().out
    assert all(a.kind == "keep" for a in plan_of(tmp_path).actions), [
        a for a in plan_of(tmp_path).actions if a.kind != "keep"
    ]


def test_existing_files_are_kept_without_force_and_archived_with_it(tmp_path):
    write_tree(tmp_path, minimal_site())
    (tmp_path / "deployment").mkdir()
    (tmp_path / "deployment/Dockerfile.multistage").write_text("FROM scratch\n")
    (tmp_path / "tasks.py").write_text("# my own tasks\n")
    assert run(tmp_path, "--yes") == 0
    assert (tmp_path / "deployment/Dockerfile.multistage").read_text() == "FROM scratch\n"
    assert (tmp_path / "tasks.py").read_text() == "# my own tasks\n"
    plan = plan_of(tmp_path, force=True, stamp="20261204T000000Z")
    kinds = {a.path: (a.kind, a.archive) for a in plan.actions}
    assert kinds["deployment/Dockerfile.multistage"] == (
        "replace",
        "deployment/archive/20261204T000000Z/deployment/Dockerfile.multistage",
    )
    assert kinds["tasks.py"] == ("replace", "deployment/archive/20261204T000000Z/tasks.py")
    assert run(tmp_path, "--yes", "--force") == 0
    archived = list((tmp_path / "deployment/archive").glob("*/deployment/Dockerfile.multistage"))
    assert len(archived) == 1 and archived[0].read_text() == "FROM scratch\n"
    assert list((tmp_path / "deployment/archive").glob("*/tasks.py"))[0].read_text() == "# my own tasks\n"
    assert "AS celery-unified" in (tmp_path / "deployment/Dockerfile.multistage").read_text()


def test_pyproject_keeps_its_lines_and_an_existing_table_needs_force(tmp_path):
    original = '[project]\nname = "site"  # the name\nversion = "1"\n\n[tool.ruff]\nline-length = 99\n'
    write_tree(tmp_path, minimal_site(**{"pyproject.toml": original}))
    assert run(tmp_path, "--yes") == 0
    text = (tmp_path / "pyproject.toml").read_text()
    assert text.startswith(original.rstrip("\n")) and "[tool.dockyard]" in text
    (tmp_path / "pyproject.toml").write_text(original + '\n[tool.dockyard]\nbase_image = "mine:1"\n')
    keep = {a.path: a for a in plan_of(tmp_path).actions}["pyproject.toml"]
    assert keep.kind == "keep" and "--force replaces the table" in keep.detail
    assert run(tmp_path, "--yes", "--force") == 0
    data = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert (
        data["tool"]["dockyard"]["base_image"] == "python:3.11-slim-bookworm"
        and data["tool"]["ruff"]["line-length"] == 99
    )
    assert 'base_image = "mine:1"' in next((tmp_path / "deployment/archive").glob("*/pyproject.toml")).read_text()


def test_dockerignore_is_appended_never_rewritten(tmp_path):
    write_tree(tmp_path, minimal_site(**{".dockerignore": "**\n!manage.py\n!site_pkg/\n"}))
    assert run(tmp_path, "--yes") == 0
    text = (tmp_path / ".dockerignore").read_text()
    assert text.startswith("**\n!manage.py\n!site_pkg/\n")
    added = text.split("# Added by `dockyard init`", 1)[1].splitlines()[1:]
    assert "!requirements.txt" in added and "!deployment/entrypoints/docker-entrypoint.sh" in added
    assert "**/.env" not in added  # `**` already keeps it out, and nothing re-included it
    assert run(tmp_path, "--yes") == 0
    assert (tmp_path / ".dockerignore").read_text() == text  # nothing more to add


def test_no_health_endpoint_blocks_writing_with_one_error(tmp_path, capsys):
    urls = "from django.urls import path\nfrom site_pkg import views\n\nurlpatterns = [\n    path('', views.home),\n]\n"
    write_tree(tmp_path, minimal_site(**{"site_pkg/urls.py": urls}))
    assert run(tmp_path) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no health endpoint found")
    assert "--add-health-view" in err[0] and "--health-path PATH" in err[0] and "nothing was written" in err[0]
    assert not (tmp_path / "deployment").exists()
    assert run(tmp_path, "--yes", "--health-path", "/up/") == 0
    assert "http://127.0.0.1:80/up/" in (tmp_path / "deployment/Dockerfile.multistage").read_text()


def test_add_health_view_writes_the_view_and_the_route(tmp_path):
    urls = (
        "from django.urls import path\n\nfrom site_pkg import views\n\nurlpatterns = [\n    path('', views.home)\n]\n"
    )
    write_tree(tmp_path, minimal_site(**{"site_pkg/urls.py": urls}))
    assert run(tmp_path, "--yes", "--add-health-view") == 0
    view = (tmp_path / "site_pkg/health.py").read_text()
    assert "def healthz(request):" in view and 'cursor.execute("SELECT 1")' in view
    edited = (tmp_path / "site_pkg/urls.py").read_text()
    assert edited == (
        "from django.urls import path\n\nfrom site_pkg import views\nfrom site_pkg import health\n\n"
        'urlpatterns = [\n    path(\'\', views.home),\n    path("healthz/", health.healthz, name="healthz"),\n]\n'
    )
    assert "http://127.0.0.1:80/healthz/" in (tmp_path / "deployment/Dockerfile.multistage").read_text()


def test_a_urls_file_too_clever_to_edit_gets_the_lines_printed(tmp_path, capsys):
    urls = "from django.urls import path\nfrom site_pkg import views\nurlpatterns = [path('', views.home)] + extra()\n"
    write_tree(tmp_path, minimal_site(**{"site_pkg/urls.py": urls}))
    assert run(tmp_path, "--yes", "--add-health-view") == 0
    assert (tmp_path / "site_pkg/urls.py").read_text() == urls
    assert "add to site_pkg/urls.py: `from site_pkg import health`" in capsys.readouterr().out.replace("\n    ", " ")


@pytest.mark.parametrize(
    "text",
    [
        "urlpatterns = [\n    path('', v),\n]\n",  # no `from django.urls import path`
        "from django.urls import path\nurlpatterns = [path('', v)]\n",  # one line
        "from django.urls import path\nurlpatterns = [\n    path('', v),  # home\n]\n",  # a comment after
        "from django.urls import path\nurlpatterns = [\n    path('', v), path('a', w),\n]\n",  # two per line
    ],
)
def test_urls_edit_declines_what_it_cannot_edit_safely(text):
    assert add_route(text, "import health", "path('h/', health.healthz),") is None


def test_errors_are_one_line_without_a_traceback(tmp_path, capsys):
    write_tree(tmp_path, {"README.md": "not django\n"})
    assert run(tmp_path) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: not a Django project: no manage.py here or up to two directories below (run dockyard init in "
        "the repository root, or pass --manage-py PATH)"
    ]
    write_tree(tmp_path, minimal_site(**{"site_pkg/celery.py": "# no app\n"}))
    assert run(tmp_path) == 1
    assert capsys.readouterr().err.strip().startswith("error: no Celery app found")
    write_tree(tmp_path, minimal_site(**{"pyproject.toml": "[project\nname = 1\n"}))
    assert run(tmp_path) == 1
    assert capsys.readouterr().err.strip().startswith("error: pyproject.toml: not valid TOML")


def test_unreadable_settings_is_one_error(tmp_path, capsys):
    write_tree(tmp_path, minimal_site())
    (tmp_path / "site_pkg/settings.py").write_bytes(b"SECRET_KEY = '\xff\xfe'\n")  # not UTF-8
    assert run(tmp_path) == 1
    assert capsys.readouterr().err.strip() == "error: cannot read site_pkg/settings.py: not UTF-8 text"


def test_unparsable_settings_is_one_error(tmp_path, capsys):
    write_tree(tmp_path, minimal_site(**{"site_pkg/settings.py": "SECRET_KEY = (\n"}))
    assert run(tmp_path) == 1
    assert capsys.readouterr().err.strip().startswith("error: cannot parse site_pkg/settings.py:1:")


@pytest.mark.parametrize(
    ("direct_url", "args"),
    [
        (None, ("dockyard==0.1.0",)),
        ('{"url": "file:///src/dockyard", "dir_info": {"editable": true}}', ("-e", "/src/dockyard")),
        ('{"url": "file:///src/dock%20yard", "dir_info": {}}', ("/src/dock yard",)),
        (
            '{"url": "https://github.com/o/dockyard.git", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}',
            ("dockyard @ git+https://github.com/o/dockyard.git@abc123",),
        ),  # fmt: skip
        (
            '{"url": "https://example.org/dockyard-0.1.0.tar.gz", "archive_info": {}}',
            ("dockyard @ https://example.org/dockyard-0.1.0.tar.gz",),
        ),  # fmt: skip
    ],
)
def test_noxfile_installs_dockyard_the_way_it_was_installed(direct_url, args):
    assert install_spec(direct_url, "0.1.0").args == args


def test_a_second_run_reads_its_own_output_and_changes_nothing(tmp_path):
    """init reads deployment/ as evidence too (a hand-written layout is the best there is); its own
    output must lead it back to the same files, --force or not."""
    from support.samples import pre_migration_copy

    for name in ("ledger", "kanban"):
        root = pre_migration_copy(name, tmp_path)
        assert run(root, "--yes") == 0
        snapshot = read_repository(root)
        again = make_plan(detect(snapshot), snapshot, current_install(), force=True)
        assert [(a.path, a.kind) for a in again.actions if a.kind != "keep"] == [], name
