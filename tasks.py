"""dockyard's Invoke tasks; the task modules live in src/dockyard/cli/tasks/."""

from dockyard.tasks import ns  # noqa: F401  (Invoke looks for `ns`)
