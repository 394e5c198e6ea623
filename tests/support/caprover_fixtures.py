"""Fixtures for the rollback tests: a fake CapRover on 127.0.0.1 and tokens unique to each test."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from .fake_caprover import FakeCapRover


@pytest.fixture
def web_token() -> str:
    return "tok-web-" + secrets.token_hex(16)


@pytest.fixture
def celery_token() -> str:
    return "tok-celery-" + secrets.token_hex(16)


@pytest.fixture
def fake(web_token: str, celery_token: str) -> Iterator[FakeCapRover]:
    with FakeCapRover(apps={"refsite-web": web_token, "refsite-celery": celery_token}) as server:
        yield server
