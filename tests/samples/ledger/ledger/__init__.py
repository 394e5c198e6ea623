"""The ledger: a small Django + Celery billing site."""
# Load the Celery app whenever Django starts, so @shared_task binds to it.
from .worker import app as celery_app

__all__ = ("celery_app",)
