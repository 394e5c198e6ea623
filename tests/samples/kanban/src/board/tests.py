import json

import pytest

from board.tasks import slugify_title


def test_slugify_title_runs_locally():
    assert slugify_title.apply(args=["Ship It Now"]).get() == "ship-it-now"


@pytest.mark.django_db
def test_ready_with_database(client, settings):
    settings.BROKER_URL = None
    response = client.get("/status/ready/")
    assert response.status_code == 200
    assert json.loads(response.content) == {"ready": True}


@pytest.mark.django_db
def test_board_page(client, settings):
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    assert client.get("/").status_code == 200
