"""`dockyard init --check`: the card's checklist item by item, for deployments init wrote and for
hand-written ones with pieces missing."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import minimal_site, write_tree

from dockyard.cli.app import main
from dockyard.core.settings import LintSettings, Settings
from dockyard.init.check import ITEMS, check_deployment

REPO = Path(__file__).resolve().parents[3]
SETTINGS = Settings(lint=LintSettings(bake_parser="hcl2"))


def missing(root: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in check_deployment(root, SETTINGS).missing:
        out.setdefault(row.item, []).append(row.detail)
    return out


def test_what_init_writes_passes_every_item(tmp_path, capsys):
    write_tree(tmp_path, minimal_site())
    assert main(["init", "--root", str(tmp_path), "--yes"]) == 0
    result = check_deployment(tmp_path, SETTINGS)
    assert result.missing == []
    assert {r.item for r in result.rows} == set(ITEMS)
    capsys.readouterr()
    assert main(["init", "--root", str(tmp_path), "--check"]) == 0
    assert "every checklist item is in place" in capsys.readouterr().out


def test_the_samples_hand_written_deployments_pass(tmp_path):
    for name in ("ledger", "kanban"):
        assert missing(REPO / "tests" / "samples" / name) == {}, name


def test_the_reference_deployment_passes_every_item_legacy_targets_included():
    assert missing(REPO) == {}


BROKEN = """FROM python:3.11-slim-bookworm AS base
RUN useradd -r app
FROM base AS builder
RUN pip install -r requirements.txt
FROM base AS runtime-full
COPY . /code
EXPOSE 8000
CMD ["gunicorn", "site_pkg.wsgi", "--bind", "0.0.0.0:8000"]
FROM runtime-full AS celery-unified
HEALTHCHECK CMD curl -f http://127.0.0.1:8000/ || exit 1
CMD ["celery", "--app", "site_pkg.celery", "worker", "--beat"]
"""
BAKE = """target "web" {
  dockerfile = "deployment/Dockerfile.multistage"
  target = "runtime-full"
}
target "celery-unified" {
  dockerfile = "deployment/Dockerfile.multistage"
  target = "celery-unified"
}
group "essential" {
  targets = ["web"]
}
"""
COMPOSE = """services:
  db:
    image: postgres:15
  web:
    image: site-web
    build: {context: .., dockerfile: deployment/Dockerfile.multistage, target: runtime-full}
    ports: ["8000:8000"]
    depends_on: [db]
"""


def test_a_deployment_missing_pieces_names_each_item(tmp_path, capsys):
    write_tree(tmp_path, minimal_site())
    write_tree(tmp_path, {"deployment/Dockerfile.multistage": BROKEN, "deployment/docker-bake.multistage.hcl": BAKE,
                          "deployment/docker-compose.test.yml": COMPOSE})  # fmt: skip
    found = missing(tmp_path)
    assert set(found) == set(ITEMS) - {"production-only node_modules"}
    assert found["six stages"] == ["no stage runtime-minimal", "no stage test"]
    assert any(d.startswith("DY001") for d in found["uid 1000"]) and any(
        d.startswith("DY002") for d in found["uid 1000"]
    )
    assert any(d.startswith("DY003") for d in found["HEALTHCHECKs"]) and any(
        d.startswith("DY010") for d in found["HEALTHCHECKs"]
    )
    assert found["celery inspect ping"] == [
        "stage 'celery-unified' runs a celery worker; its HEALTHCHECK is not `celery inspect ping`"
    ]
    assert "no global `ARG BASE_IMAGE=<upstream image>` before the first FROM" in found["BASE_IMAGE argument"]
    assert any("line 4: an install without" in d for d in found["optional CA secret"])
    assert "group essential lacks celery-unified" in found["bake targets and groups"]
    assert "no broker service" in found["compose test stack"]
    assert "service 'web' publishes 8000:8000 beyond 127.0.0.1" in found["compose test stack"]
    assert "line 8: service 'web' depends on 'db' without condition: service_healthy" in found["compose test stack"]
    assert any(d.startswith("DY012") for d in found[".dockerignore entries"])
    assert main(["init", "--root", str(tmp_path), "--check"]) == 1
    captured = capsys.readouterr()
    assert "Card checklist" in captured.out
    assert captured.err.strip().splitlines() == [
        f"error: {len(found)} of 10 checklist items missing: " + ", ".join(i for i in ITEMS if i in found)
    ]


def test_dev_node_modules_are_the_npm_item(tmp_path):
    shutil.copytree(
        REPO / "tests" / "samples" / "kanban", tmp_path / "k", ignore=shutil.ignore_patterns("node_modules")
    )
    dockerfile = tmp_path / "k/deployment/Dockerfile.multistage"
    dockerfile.write_text(dockerfile.read_text().replace("npm ci --omit=dev --no-audit", "npm ci --no-audit"))
    found = missing(tmp_path / "k")
    assert list(found) == ["production-only node_modules"] and found["production-only node_modules"][0].startswith(
        "DY004"
    )


def test_no_deployment_directory_is_one_error(tmp_path, capsys):
    write_tree(tmp_path, minimal_site())
    assert main(["init", "--root", str(tmp_path), "--check"]) == 1
    assert capsys.readouterr().err.strip() == "error: no deployment/ here: `dockyard init` writes one"
