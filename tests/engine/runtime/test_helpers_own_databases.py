"""runtime.helpers on the Engine: a database of its own per name on the one postgres, so containers
that migrate at start side by side (the image checks, concurrent) never race."""

from __future__ import annotations

import uuid

import pytest

from dockyard.docker import containers
from dockyard.docker.client import client
from dockyard.runtime.helpers import Helpers

POSTGRES = "dockyard-local/postgres:15"


def test_each_name_gets_its_own_database_made_once():
    try:
        client().images.get(POSTGRES)
    except Exception:  # noqa: BLE001
        pytest.skip(f"{POSTGRES} is missing: run invoke base.bootstrap")
    run = f"hdb{uuid.uuid4().hex[:6]}"
    helpers = Helpers({"postgres": POSTGRES}, run_id=run)
    template = {"DATABASE_URL": "{database_url}", "NAME": "{postgres_db}", "HOST": "{postgres_host}"}
    try:
        shared = helpers.environment(template)
        unified = helpers.environment(template, database="celery-unified")
        again = helpers.environment(template, database="celery-unified")
        worker = helpers.environment(template, database="celery-worker")
        assert shared["NAME"] == "dockyard"
        assert (unified["NAME"], worker["NAME"]) == ("celery_unified", "celery_worker")
        assert unified == again  # made once
        assert unified["DATABASE_URL"].endswith("/celery_unified") and unified["HOST"] == shared["HOST"]
        postgres = client().containers.get(shared["HOST"])
        code, listing = containers.exec_text(
            postgres, ["psql", "--username", "dockyard", "-Atc", "select datname from pg_database"]
        )
        assert code == 0 and {"dockyard", "celery_unified", "celery_worker"} <= set(listing.split())
    finally:
        helpers.close()
        containers.remove_labelled(run)
    assert client().containers.list(all=True, filters={"label": f"dockyard.run={run}"}) == []
