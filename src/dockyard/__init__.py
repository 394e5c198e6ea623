"""dockyard: build, check, test, troubleshoot, prune and roll back a Django + Celery site's images."""

__version__ = "0.1.0"
