# Import the Celery app with Django so that shared tasks use it.
from .celery_app import celery

__all__ = ["celery"]
