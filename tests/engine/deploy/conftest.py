"""A fake CapRover on 127.0.0.1 for the rollback tests; tokens unique to each test."""

from support.caprover_fixtures import celery_token, fake, web_token  # noqa: F401
