"""`from dockyard.tasks import ns`: the Invoke namespace, for a project's own tasks.py."""

from dockyard.cli.tasks import ns

__all__ = ["ns"]
